"""Following an accepted DeleteAccount until the deletion ends.

DeleteAccount only starts a deletion; GetAccountDeletionStatus tells how it goes
(Checking, Deleting, then Success, CheckFailed or DeleteFailed). Each followed deletion
runs in a thread of its own so the worker keeps executing other approved requests, which
would otherwise wait (and expire) behind a long deletion. Every poll renews the lease; if
the process dies, the lease lapses and the next worker resumes following: DeleteAccount
is never sent again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from bot.events import Ending, Result
from bot.execution.reconcile import DELETE_ACCOUNT, ask_deletion_status, unknown_outcome
from bot.execution.results import ResultWriter, from_call
from commands.client import CallResult, CloudClient
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
    """How a long-running DeleteAccount is followed: doubling delays, a bounded count."""

    first_delay: float = 1.0
    max_delay: float = 15.0
    max_polls: int = 240


class DeletionFollower:
    """Follows deletions for one worker (same owner, lease, clock and stop event)."""

    def __init__(
        self,
        repo: Repository,
        client: CloudClient,
        out: ResultWriter,
        *,
        owner: str,
        clock: Callable[[], datetime],
        lease_seconds: float,
        policy: FollowPolicy,
        stop: threading.Event,
    ) -> None:
        self.repo = repo
        self.client = client
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
        accepted: CallResult | None,
        event: type[Ending] = Result,
    ) -> None:
        """Follow a deletion in its own thread, so this worker keeps executing other
        approved requests (which would otherwise wait, and expire, behind it)."""
        thread = threading.Thread(
            target=self._follow_guarded,
            args=(record, execution, accepted, event),
            name=f"follow-{record.id}",
            daemon=True,
        )
        with self._followers_lock:
            self._followers = [t for t in self._followers if t.is_alive()] + [thread]
        thread.start()

    def wait(self, timeout: float) -> bool:
        """Wait for the deletions this worker follows; True when none is left."""
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
        accepted: CallResult | None,
        event: type[Ending],
    ) -> None:
        try:
            self._run(record, execution, accepted, event)
        except Exception:
            # The execution keeps its lease until it lapses; then it is reconciled.
            log.exception("follow_crashed", request_id=record.id)

    def _accepted(
        self, record: RequestRecord, execution: ExecutionRecord, accepted: CallResult
    ) -> bool:
        """Announce that the deletion was accepted; False when no longer ours."""
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
        accepted: CallResult | None,
        event: type[Ending],
    ) -> None:
        """Ask GetAccountDeletionStatus until the deletion ends (bounded)."""
        if accepted is not None and not self._accepted(record, execution, accepted):
            return
        account_id = str(record.params.get("AccountId"))
        delay, last = self.policy.first_delay, ""
        for _ in range(self.policy.max_polls):
            if self.stop.wait(delay):
                return  # shutting down: the lease lapses and the next worker resumes
            delay = min(delay * 2, self.policy.max_delay)
            if not self.repo.renew_lease(
                record.id, execution.attempt, owner=self.owner, lease_seconds=self.lease_seconds
            ):
                return  # someone else owns it now
            try:
                finding = ask_deletion_status(self.client, account_id)
            except (ThrottledError, ServerError, NetworkError, OutcomeUnknownError, NotFoundError):
                # A read-only question: asking again is harmless, and the loop is bounded.
                # (NotFound: the deletion may not be visible yet right after it was accepted.)
                continue
            except ApiError as error:
                finding = unknown_outcome(
                    DELETE_ACCOUNT, record.params, f"Asking failed ({error})."
                )
            if finding.verdict != "RUNNING":
                self.out.conclude(record, execution, finding, accepted, event=event)
                return
            if finding.message != last:
                last = finding.message
                self.out.progress(record, execution, Phase.FOLLOWING, finding.message)
        self.out.conclude(
            record,
            execution,
            unknown_outcome(DELETE_ACCOUNT, record.params, "The deletion was still running."),
            accepted,
            event=event,
        )
