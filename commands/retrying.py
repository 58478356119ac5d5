"""When a failed call may be sent again, and how long to wait first.

Read-only calls retry throttling, 5xx and NetworkError; calls that change the cloud retry
only NetworkError (provably never sent, so a second send cannot act twice); nothing retries
OutcomeUnknownError. Waits are exponential with full jitter ("random exponential"),
bounded; when a throttled answer says how long to wait (``x-acs-retry-after``, in
milliseconds, as the official SDKs read it) we wait at least that, up to a cap.
"""

from __future__ import annotations

from collections.abc import Callable

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from commands.errors import CloudError, NetworkError, ServerError, ThrottledError

__all__ = ["MAX_RETRY_AFTER", "retry_on", "retrying"]

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


def retrying(
    *, changes_cloud: bool, max_attempts: int, backoff: float, sleep: Callable[[float], None]
) -> Retrying:
    """A tenacity ``Retrying`` for one call; re-raises the last error when it gives up."""
    return Retrying(
        stop=stop_after_attempt(max_attempts),
        wait=_wait(backoff),
        retry=retry_if_exception_type(retry_on(changes_cloud)),
        sleep=sleep,
        reraise=True,
    )
