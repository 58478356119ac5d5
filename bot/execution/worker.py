"""The durable worker: executes APPROVED requests exactly once, follows, reconciles.

One round (:meth:`Worker.run_once`):

1. expire what is past its clock (a stale approval never runs);
2. take over executions whose lease ran out (their worker died) and reconcile them:
   never sent -> send now if still inside the execution window; sent -> ask the cloud
   (the spec's ``settle``) or end UNKNOWN with what a person should check (its
   ``what_to_check``); never re-send;
3. claim APPROVED requests one by one (one conditional UPDATE; on PostgreSQL ``FOR
   UPDATE SKIP LOCKED``), each behind the door (:mod:`bot.execution.door`: the stored
   decisions are counted again in the claim's transaction; a request they do not justify
   ends TAMPERED), and execute each: build and sign the request (what cannot be built
   ends FAILED, "Not sent"), mark "sent" durably, *then* send through the CloudClient
   inside the lease (:mod:`bot.execution.lease`: a deadline for every attempt, the lease
   confirmed before each), then store the result together with its announcements (the
   outbox), so nothing is announced that is not stored. An answer whose items partly
   failed (the spec's ``item_failures``) is stored PARTIAL, not SUCCEEDED.

An operation whose spec declares a ``follow_up`` is long-running: once accepted, its poll
is followed (:mod:`bot.execution.follow`, in a thread of its own, so other approved
requests do not wait behind it) with bounded backoff, recording progress, until a
verdict; a restart resumes following and never re-sends. Every operation comes from the
``catalog`` the worker is given, and none is named here. A call uses at most three
quarters of the lease (the client's timeouts are cut to fit), so ``lease_seconds``
defaults to 60.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

import structlog
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from bot.approvals.policy import ApprovalRules
from bot.approvals.workflow import sweep_expired
from bot.events import Reconciled, Result
from bot.execution.door import door
from bot.execution.follow import Follower, FollowPolicy
from bot.execution.lease import LeaseGuard, LeaseLost
from bot.execution.reconcile import Settler
from bot.execution.results import ResultWriter, from_call
from commands.catalog import (
    DEFAULT_CATALOG,
    Catalog,
    OperationSpec,
    prepare_params,
    validate_params,
)
from commands.client import CloudClient
from commands.errors import (
    ApiError,
    CredentialsError,
    NetworkError,
    OffboardError,
    OutcomeUnknownError,
    ServerError,
)
from commands.reads import CloudReader
from storage.records import (
    AuditDraft,
    ExecutionRecord,
    ExecutionResult,
    RequestRecord,
)
from storage.repository import Repository
from storage.states import Phase, Status

__all__ = ["FollowPolicy", "Worker"]

log = structlog.get_logger(__name__)


class Worker:
    """Executes approved requests; several may run against one database.

    ``rules`` is the approval policy in force: the door counts every request's stored
    decisions against it before anything is sent. ``catalog`` holds the operations it
    may run (and the reads their quirks make).
    """

    def __init__(
        self,
        repo: Repository,
        client: CloudClient,
        *,
        owner: str,
        clock: Callable[[], datetime],
        rules: ApprovalRules,
        lease_seconds: float = 60.0,
        poll_seconds: float = 1.0,
        wakeup: threading.Event | None = None,
        follow: FollowPolicy | None = None,
        stop: threading.Event | None = None,
        catalog: Catalog = DEFAULT_CATALOG,
    ) -> None:
        self.repo = repo
        self.catalog = catalog
        self.reader = CloudReader(client, catalog)
        self.client = client
        self.owner = owner
        self.clock = clock
        self.rules = rules
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.wakeup = wakeup or threading.Event()
        self._stop = stop or threading.Event()
        self._out = ResultWriter(repo, owner=owner, clock=clock)
        self._follower = Follower(
            repo,
            self.reader,
            self._out,
            owner=owner,
            clock=clock,
            lease_seconds=lease_seconds,
            policy=follow or FollowPolicy(),
            stop=self._stop,
        )
        self._settle = Settler(self.reader, self._out, self._follower)

    def wake(self) -> None:
        """Start the next round now (the workflow calls this after an approval)."""
        self.wakeup.set()

    def run_forever(self, stop: threading.Event) -> None:
        """Run rounds until ``stop`` is set: at once when woken, else every poll interval
        (requests approved by other replicas are only seen by polling)."""
        self._stop = self._follower.stop = stop
        while not stop.is_set():
            try:
                self.run_once()
            except SQLAlchemyError as error:
                # The database is away. Every step is its own conditional transaction, so
                # the next round starts from what is stored: retrying is safe.
                log.warning("worker_round_failed", error=type(error).__name__)
            except Exception:
                # A bug must not stop every later execution. Whatever was under way keeps
                # its "sent" mark, so after its lease lapses it is reconciled, not re-sent.
                log.exception("worker_round_crashed")
            if self.wakeup.wait(self.poll_seconds):
                self.wakeup.clear()

    def run_once(self) -> int:
        """One round (see the module docstring); returns how many requests it handled."""
        sweep_expired(self.repo, self.clock())
        handled = self._take_over_expired()
        while not self._stop.is_set():
            now = self.clock()
            execution = self.repo.claim_next_approved(
                owner=self.owner,
                lease_seconds=self.lease_seconds,
                now=now,
                admit=door(self.rules, now=now, actor=self.owner, catalog=self.catalog),
                audit=(AuditDraft("execution.claimed", self.owner, {"owner": self.owner}),),
            )
            if execution is None:
                break
            self._execute(self._request(execution), execution)
            handled += 1
        return handled

    # --- executing -------------------------------------------------------------------------

    def _execute(self, record: RequestRecord, execution: ExecutionRecord) -> None:
        guard = LeaseGuard(
            self.repo,
            record.id,
            execution.attempt,
            owner=self.owner,
            lease_seconds=self.lease_seconds,
            clock=self.clock,
        )
        try:
            spec = self.catalog.get(record.operation)
            params = prepare_params(
                spec, validate_params(spec, record.params), offboard_request_id=record.id
            )
            # Built and signed before the sent mark: what cannot be built (no endpoint,
            # no credentials) was not sent, and must not be reported as maybe sent.
            self.client.build_request(spec, params)
        except OffboardError as error:
            self._out.finish(record, execution, Status.FAILED, _not_sent(error))
            return
        facts = {"operation": record.operation, "params": spec.serialize(params)}
        admit = door(self.rules, now=self.clock(), actor=self.owner, catalog=self.catalog)
        # Durable before the call goes out: after a crash this row says "reconcile".
        if not self._out.mark_sent(record, execution, facts, admit):
            log.warning("not_sent_lease_lost_or_refused", request_id=record.id)
            return
        self._send(record, execution, spec, params, guard)

    def _send(
        self,
        record: RequestRecord,
        execution: ExecutionRecord,
        spec: OperationSpec,
        params: BaseModel,
        guard: LeaseGuard,
    ) -> None:
        try:
            result = self.client.call(
                spec, params, deadline=guard.deadline, before_attempt=guard.before_attempt
            )
        except LeaseLost:
            # Taken over (or expired) before this attempt: it was not sent, and what
            # happens to the execution is the new owner's to say.
            log.warning("lease_lost_before_attempt", request_id=record.id)
            return
        except ServerError as error:
            # A 5xx to a destructive call does not say whether it took effect before failing.
            why = f"The cloud failed while handling the call ({error})."
            self._settle.unanswered(record, execution, spec, why, Result, error.result)
        except ApiError as error:
            self._out.finish(record, execution, Status.FAILED, from_call(error.result))
        except (NetworkError, CredentialsError) as error:
            # Both are raised before any byte reached the cloud: nothing happened.
            self._out.finish(record, execution, Status.FAILED, _not_sent(error))
        except OutcomeUnknownError as error:
            why = f"The call was sent but no answer came back ({error})."
            self._settle.unanswered(record, execution, spec, why, Result)
        else:
            self._settle.answered(record, execution, spec, result)

    def wait_for_followers(self, timeout: float) -> bool:
        """Wait for the calls this worker follows; True when none is left."""
        return self._follower.wait(timeout)

    # --- reconciling -----------------------------------------------------------------------

    def _take_over_expired(self) -> int:
        handled = 0
        for stale in self.repo.expired_leases():
            if not self.repo.take_over(
                stale.request_id,
                stale.attempt,
                new_owner=self.owner,
                lease_seconds=self.lease_seconds,
                now=self.clock(),
                audit=(
                    AuditDraft("execution.taken_over", self.owner, {"from": stale.lease_owner}),
                ),
            ):
                continue  # another worker took it
            handled += 1
            self._reconcile(self._request(stale), stale)
        return handled

    def _reconcile(self, record: RequestRecord, execution: ExecutionRecord) -> None:
        now = self.clock()
        if execution.sent_at is None:
            # Provably never sent (sent_at is written before sending): the first send is
            # still ours to make, if the approval is still fresh.
            if record.execute_by is not None and now < record.execute_by:
                self._execute(record, execution)
            else:
                message = "Not sent: the worker stopped before sending and the approval went stale."
                self._out.finish(
                    record,
                    execution,
                    Status.FAILED,
                    ExecutionResult(message=message),
                    event=Reconciled,
                )
            return
        try:
            spec = self.catalog.get(record.operation)
        except OffboardError:  # sent, and no longer in the catalog: only people can tell
            why = f"Sent, but {record.operation} is no longer an operation Offboard knows."
            result = ExecutionResult(message=f"{why} It was not sent again.")
            self._out.finish(record, execution, Status.UNKNOWN, result, event=Reconciled)
            return
        if spec.quirks.follow_up is not None and execution.phase is Phase.FOLLOWING:
            # Accepted before the crash: resume following, never send again.
            self._follower.start(record, execution, spec, accepted=None, event=Reconciled)
        else:
            why = "The worker stopped after sending, before the answer was stored."
            self._settle.unanswered(record, execution, spec, why, Reconciled)

    def _request(self, execution: ExecutionRecord) -> RequestRecord:
        record = self.repo.get_request(execution.request_id)
        if record is None:  # the foreign key makes this impossible; say so if it happens
            raise LookupError(f"execution for missing request {execution.request_id}")
        return record


def _not_sent(error: Exception) -> ExecutionResult:
    return ExecutionResult(message=f"Not sent: {error}")
