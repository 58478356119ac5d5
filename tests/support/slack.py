"""The Slack boundary for tests: a Web API stand-in and Slack-signed requests.

``slack_standin``  a running :class:`bot.slack_standin.SlackStandIn` (loopback, port 0)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.slack_standin import SlackStandIn


@pytest.fixture
def slack_standin() -> Iterator[SlackStandIn]:
    standin = SlackStandIn()
    standin.start()
    try:
        yield standin
    finally:
        standin.stop()
