"""When a failed call may be sent again, and how long to wait first.

Read-only calls retry throttling, 5xx and NetworkError; calls that change the cloud retry
only NetworkError (provably never sent, so a second send cannot act twice); nothing retries
OutcomeUnknownError. Waits are exponential with full jitter ("random exponential"),
bounded; when a throttled answer says how long to wait (``x-acs-retry-after``, in
milliseconds, as the official SDKs read it) we wait at least that, up to a cap.

A call with a deadline (the worker's, inside its lease) has a :class:`Budget`: before
each attempt it says how long that attempt may take (asking ``before_attempt``, which
may refuse the attempt outright), :func:`timeout_within` cuts the attempt's timeouts to
fit, and ``give_up`` stops retrying rather than wait past the deadline.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from commands.errors import CloudError, NetworkError, ServerError, ThrottledError

__all__ = [
    "MAX_RETRY_AFTER",
    "BeforeAttempt",
    "Budget",
    "retry_on",
    "retrying",
    "timeout_within",
]

# A server asking for more than this is better answered by failing and trying later.
MAX_RETRY_AFTER = 30.0


def retry_on(changes_cloud: bool) -> tuple[type[CloudError], ...]:
    """The errors after which a call may be sent again."""
    if changes_cloud:
        return (NetworkError,)
    return (ThrottledError, ServerError, NetworkError)


def _wait(backoff: float) -> Callable[[RetryCallState], float]:
    jittered = wait_random_exponential(multiplier=backoff, max=20 * backoff)

    def wait(state: RetryCallState) -> float:
        seconds = jittered(state)
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, ThrottledError) and error.result.retry_after:
            seconds = max(seconds, min(error.result.retry_after, MAX_RETRY_AFTER))
        return seconds

    return wait


class _GiveUp(stop_base):
    """Stop when the caller says the next wait (``upcoming_sleep``) is one too many."""

    def __init__(self, give_up: Callable[[float], bool]) -> None:
        self.give_up = give_up

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.give_up(retry_state.upcoming_sleep)


def retrying(
    *,
    changes_cloud: bool,
    max_attempts: int,
    backoff: float,
    sleep: Callable[[float], None],
    give_up: Callable[[float], bool] | None = None,
) -> Retrying:
    """A tenacity ``Retrying`` for one call; re-raises the last error when it gives up."""
    stop: stop_base = stop_after_attempt(max_attempts)
    if give_up is not None:
        stop = stop | _GiveUp(give_up)
    return Retrying(
        stop=stop,
        wait=_wait(backoff),
        retry=retry_if_exception_type(retry_on(changes_cloud)),
        sleep=sleep,
        reraise=True,
    )


BeforeAttempt = Callable[[], float]
"""Runs before each attempt is signed: returns the seconds the attempt may take, or
raises to stop (that attempt is not sent; the exception reaches the caller unchanged)."""


@dataclass
class Budget:
    """The time one call has: a monotonic ``deadline`` and/or a ``before_attempt`` check."""

    deadline: float | None
    before_attempt: BeforeAttempt | None
    exhausted: bool = False

    def for_attempt(self) -> float:
        """Seconds the next attempt may take (``inf`` when unbounded); may raise."""
        left = math.inf if self.deadline is None else self.deadline - time.monotonic()
        if self.before_attempt is not None:
            left = min(left, self.before_attempt())
        self.exhausted = left <= 0
        return left

    def give_up(self, upcoming_sleep: float) -> bool:
        """No more attempts: none had time left, or the next wait would pass the deadline."""
        if self.exhausted:
            return True
        return self.deadline is not None and time.monotonic() + upcoming_sleep >= self.deadline


def timeout_within(timeout: httpx.Timeout, seconds: float) -> httpx.Timeout:
    """``timeout`` cut so that one attempt, every phase added up, fits in ``seconds``.

    httpx times each phase on its own (pool, connect, write, and each read), so the
    phases share the budget: an eighth to wait for a pooled connection, a quarter to
    connect (TCP and TLS), an eighth to write, half to read the answer (one read for
    these small JSON bodies). The request's bytes have left by half of it.
    """

    def cut(configured: float | None, share: float) -> float:
        return min(configured if configured is not None else math.inf, seconds * share)

    return httpx.Timeout(
        pool=cut(timeout.pool, 1 / 8),
        connect=cut(timeout.connect, 1 / 4),
        write=cut(timeout.write, 1 / 8),
        read=cut(timeout.read, 1 / 2),
    )
