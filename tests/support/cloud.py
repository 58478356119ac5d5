"""Fixtures for the cloud boundary: a real sandbox cloud on 127.0.0.1, port 0.

``sandbox``       a fresh seeded ``Sandbox`` serving in a daemon thread, stopped after
``cloud_client``  a ``CloudClient`` signed with the demo credentials, aimed at it
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from commands.client import CloudClient
from commands.credentials import StaticCredentialsProvider
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox()
    box.start()
    try:
        yield box
    finally:
        box.stop()


@pytest.fixture
def cloud_client(sandbox: Sandbox) -> Iterator[CloudClient]:
    client = CloudClient(
        StaticCredentialsProvider.of(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET),
        endpoint_override=sandbox.base_url,
        timeout=5.0,
        sleep=lambda _seconds: None,
    )
    try:
        yield client
    finally:
        client.close()
