"""An injected clock: tests move time forward by hand, nothing is patched globally."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest


class FakeClock:
    """A callable clock (``clock() -> aware UTC datetime``) that only moves when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
