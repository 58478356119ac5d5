"""Following an accepted call until the cloud says it ended: ``spec.quirks.follow_up``.

Some operations only start something (DeleteAccount starts a deletion); their spec's
follow-up polls a read until it gives a verdict (DeleteAccount: GetAccountDeletionStatus
through Checking and Deleting). Each followed call runs in a thread of its own so the
worker keeps executing other approved requests, which would otherwise wait (and expire)
behind a long one. Every poll renews the lease; if the process dies, the lease lapses and
the next worker resumes following: the call is never sent again. No operation is named
here: what to poll, how often and for how long is the spec's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from bot.events import Ending, Result
from bot.execution.reconcile import unknown_outcome
from bot.execution.results import ResultWriter, from_call
from commands.catalog import OperationSpec, validate_params
from commands.catalog.quirks import FollowUp, Reader
from commands.client import CallResult
from commands.errors import (
    ApiError,
    NetworkError,
    NotFoundError,
    OutcomeUnknownError,
    ServerError,
    ThrottledError,
)
from storage.records import ExecutionRecord, RequestRecord
from storage.repository import Repository
from storage.states import Phase, Status

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class FollowPolicy:
    """The worker's own pace for follow-ups, over each spec's ``FollowUp``: a value left
    ``None`` keeps the spec's (tests and the demo follow briskly)."""

    first_delay: float | None = None
    max_delay: float | None = None
    max_polls: int | None = None

    def pace(self, follow_up: FollowUp) -> tuple[float, float, int]:
        """(first delay, longest delay, most polls) for ``follow_up``."""
        return (
            follow_up.first_delay if self.first_delay is None else self.first_delay,
            follow_up.max_delay if self.max_delay is None else self.max_delay,
            follow_up.max_polls if self.max_polls is None else self.max_polls,
        )


class Follower:
    """Follows accepted calls for one worker (same owner, lease, clock and stop event)."""

    def __init__(
        self,
        repo: Repository,
        reader: Reader,
        out: ResultWriter,
        *,
        owner: str,
        clock: Callable[[], datetime],
        lease_seconds: float,
        policy: FollowPolicy,
        stop: threading.Event,
    ) -> None:
        self.repo = repo
        self.reader = reader
        self.out = out
        self.owner = owner
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.policy = policy
        self.stop = stop
        self._followers: list[threading.Thread] = []
        self._followers_lock = threading.Lock()

    def start(
        self,
        record: RequestRecord,
        execution: ExecutionRecord,
        spec: OperationSpec,
        accepted: CallResult | None,
        event: type[Ending] = Result,
    ) -> None:
        """Follow a call of ``spec`` (which has a ``follow_up``) in its own thread, so this
        worker keeps executing other approved requests (which would otherwise wait, and
        expire, behind it)."""
        thread = threading.Thread(
            target=self._follow_guarded,
            args=(record, execution, spec, accepted, event),
            name=f"follow-{record.id}",
            daemon=True,
        )
        with self._followers_lock:
            self._followers = [t for t in self._followers if t.is_alive()] + [thread]
        thread.start()

    def wait(self, timeout: float) -> bool:
        """Wait for the calls this worker follows; True when none is left."""
        deadline = time.monotonic() + timeout
        with self._followers_lock:
            followers = list(self._followers)
        for thread in followers:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in followers)

    def _follow_guarded(
        self,
        record: RequestRecord,
        execution: ExecutionRecord,
        spec: OperationSpec,
        accepted: CallResult | None,
        event: type[Ending],
    ) -> None:
        try:
            self._run(record, execution, spec, accepted, event)
        except Exception:
            # The execution keeps its lease until it lapses; then it is reconciled.
            log.exception("follow_crashed", request_id=record.id)

    def _accepted(
        self, record: RequestRecord, execution: ExecutionRecord, accepted: CallResult
    ) -> bool:
        """Announce that the call was accepted; False when no longer ours."""
        if self.out.progress(
            record,
            execution,
            Phase.FOLLOWING,
            "accepted",
            facts={"cloud_request_id": accepted.request_id},
        ):
            return True
        # Taken over while the call was out: the acceptance is a late answer to keep.
        self.out.late_answer(record, execution, Status.SUCCEEDED, from_call(accepted))
        return False

    def _run(
        self,
        record: RequestRecord,
        execution: ExecutionRecord,
        spec: OperationSpec,
        accepted: CallResult | None,
        event: type[Ending],
    ) -> None:
        """Poll the spec's follow-up until it gives a verdict (bounded)."""
        follow_up = spec.quirks.follow_up
        assert follow_up is not None, "only a spec with a follow_up is followed"
        if accepted is not None and not self._accepted(record, execution, accepted):
            return
        params = validate_params(spec, record.params)
        delay, longest, polls = self.policy.pace(follow_up)
        last = ""
        for _ in range(polls):
            if self.stop.wait(delay):
                return  # shutting down: the lease lapses and the next worker resumes
            delay = min(delay * 2, longest)
            if not self.repo.renew_lease(
                record.id, execution.attempt, owner=self.owner, lease_seconds=self.lease_seconds
            ):
                return  # someone else owns it now
            try:
                progress = follow_up.poll(self.reader, params)
            except (ThrottledError, ServerError, NetworkError, OutcomeUnknownError, NotFoundError):
                # A read-only question: asking again is harmless, and the loop is bounded.
                # (NotFound: what was started may not be visible yet right after acceptance.)
                continue
            except ApiError as error:
                progress = unknown_outcome(spec, record.params, f"Asking failed ({error}).")
            if not progress.running:
                self.out.conclude(record, execution, progress, accepted, event=event)
                return
            if progress.message != last:
                last = progress.message
                self.out.progress(
                    record, execution, Phase.FOLLOWING, progress.message, details=progress.details
                )
        why = f"{spec.action} was still running after {polls} checks."
        self.out.conclude(
            record, execution, unknown_outcome(spec, record.params, why), accepted, event=event
        )
