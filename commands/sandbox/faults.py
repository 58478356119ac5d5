"""Fault injection: hold an action's answers back, or make its next calls fail."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from commands.sandbox.errors import SandboxError


@dataclass
class _Failure:
    status: int
    code: str
    message: str
    remaining: int


class Faults:
    """Per-action delays and failures, safe to change while requests are served."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._delays: dict[str, float] = {}
        self._failures: dict[str, _Failure] = {}

    def delay(self, action: str, seconds: float) -> None:
        """Hold every answer to ``action`` back by ``seconds`` (0 removes the delay)."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        with self._lock:
            if seconds:
                self._delays[action] = seconds
            else:
                self._delays.pop(action, None)

    def fail(self, action: str, *, status: int, code: str, message: str, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``action`` with this error, changing nothing."""
        if times < 1 or not 100 <= status <= 599:
            raise ValueError("times must be >= 1 and status an HTTP status")
        with self._lock:
            self._failures[action] = _Failure(status, code, message, times)

    def delay_of(self, action: str) -> float:
        with self._lock:
            return self._delays.get(action, 0.0)

    def take_failure(self, action: str) -> SandboxError | None:
        """The injected error for this call of ``action``, if one is still due."""
        with self._lock:
            failure = self._failures.get(action)
            if failure is None:
                return None
            failure.remaining -= 1
            if failure.remaining <= 0:
                del self._failures[action]
            return SandboxError(failure.status, failure.code, failure.message)

    def clear(self) -> None:
        with self._lock:
            self._delays.clear()
            self._failures.clear()
