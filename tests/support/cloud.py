"""Fixtures for the cloud boundary: a real sandbox cloud on 127.0.0.1, port 0.

``sandbox``       a fresh seeded ``Sandbox`` serving in a daemon thread, stopped after
``cloud_client``  a ``CloudClient`` signed with the demo credentials, aimed at it
``timed_cloud``   a sandbox and a client sharing the fake ``clock`` (a deletion takes
                  1 s, a deletion check 5 s)
``demo_client``   the ``CloudClient`` of the demo credentials for a base URL
``call``          one catalog operation from raw input, through a client
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from commands.catalog import get_spec, prepare_params, validate_params
from commands.client import CallResult, CloudClient
from commands.credentials import StaticCredentialsProvider
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Sandbox, demo_world
from tests.support.clock import FakeClock


def demo_client(base_url: str, **options: Any) -> CloudClient:
    """A client signed with the demo credentials, aimed at ``base_url``; no real sleeps."""
    options.setdefault("sleep", lambda _seconds: None)
    return CloudClient(
        StaticCredentialsProvider.of(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET),
        endpoint_override=base_url,
        **options,
    )


def call(client: CloudClient, action: str, raw: dict[str, Any]) -> CallResult:
    """Validate ``raw``, prepare and make the call; the same input is the same request
    (BssOpenApi's RequestId derives from the action and the input)."""
    spec = get_spec(action)
    params = validate_params(spec, raw)
    prepared = prepare_params(spec, params, offboard_request_id=f"{action}:{raw}")
    return client.call(spec, prepared)


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
    with demo_client(sandbox.base_url, timeout=5.0) as client:
        yield client


@pytest.fixture
def timed_cloud(clock: FakeClock) -> Iterator[tuple[Sandbox, CloudClient]]:
    with (
        Sandbox(demo_world(deletion_seconds=1.0, check_seconds=5.0), clock=clock) as box,
        demo_client(box.base_url, clock=clock) as client,
    ):
        yield box, client
