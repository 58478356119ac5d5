"""The durable worker: executes APPROVED requests exactly once, follows, reconciles.

One round (:meth:`Worker.run_once`):

1. expire what is past its clock (a stale approval never runs);
2. take over executions whose lease ran out (their worker died) and reconcile them:
   never sent -> send now if still inside the execution window; sent -> ask the cloud
   (DeleteAccount) or end UNKNOWN with what a person should check; never re-send;
3. claim APPROVED requests one by one (one conditional UPDATE; on PostgreSQL ``FOR
   UPDATE SKIP LOCKED``), each behind the door (:mod:`bot.execution.door`: the stored
   decisions are counted again in the claim's transaction; a request they do not justify
   ends TAMPERED), and execute each: build and sign the request (what cannot be built
   ends FAILED, "Not sent"), mark "sent" durably, *then* send through the CloudClient
   inside the lease (:mod:`bot.execution.lease`: a deadline for every attempt, the lease
   confirmed before each), then store the result together with its announcements (the
   outbox), so nothing is announced that is not stored.

DeleteAccount is long-running: once accepted, GetAccountDeletionStatus is followed (in a
thread of its own, so other approved requests do not wait behind it) with bounded
backoff, recording progress, until Success or a failure; a restart resumes following
and never re-sends. A call uses at most three quarters of the lease (the client's
timeouts are cut to fit), so ``lease_seconds`` defaults to 60.
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
from bot.events import Ending, Reconciled, Result
from bot.execution.door import door
from bot.execution.follow import DeletionFollower, FollowPolicy
from bot.execution.lease import LeaseGuard, LeaseLost
from bot.execution.reconcile import (
    DELETE_ACCOUNT,
    reconcile_deletion,
    unknown_outcome,
)
from bot.execution.results import ResultWriter, from_call
from commands.catalog import OperationSpec, get_spec, prepare_params, validate_params
from commands.client import CallResult, CloudClient
from commands.errors import (
    ApiError,
    CredentialsError,
    NetworkError,
    OffboardError,
    OutcomeUnknownError,
    ServerError,
)
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
    decisions against it before anything is sent.
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
    ) -> None:
        self.repo = repo
        self.client = client
        self.owner = owner
        self.clock = clock
        self.rules = rules
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.wakeup = wakeup or threading.Event()
        self._stop = stop or threading.Event()
        self._out = ResultWriter(repo, owner=owner, clock=clock)
        self._follower = DeletionFollower(
            repo,
            client,
            self._out,
            owner=owner,
            clock=clock,
            lease_seconds=lease_seconds,
            policy=follow or FollowPolicy(),
            stop=self._stop,
        )

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
                admit=door(self.rules, now=now, actor=self.owner),
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
            spec = get_spec(record.operation)
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
        admit = door(self.rules, now=self.clock(), actor=self.owner)
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
            self._unanswered(record, execution, why, Result, error.result)
        except ApiError as error:
            self._out.finish(record, execution, Status.FAILED, from_call(error.result))
        except (NetworkError, CredentialsError) as error:
            # Both are raised before any byte reached the cloud: nothing happened.
            self._out.finish(record, execution, Status.FAILED, _not_sent(error))
        except OutcomeUnknownError as error:
            why = f"The call was sent but no answer came back ({error})."
            self._unanswered(record, execution, why, Result)
        else:
            if not result.ok:  # an error answered with HTTP 200 (BssOpenApi "Success": false)
                self._out.finish(record, execution, Status.FAILED, from_call(result))
            elif record.operation == DELETE_ACCOUNT:
                self._follower.start(record, execution, accepted=result)
            else:
                self._out.finish(record, execution, Status.SUCCEEDED, from_call(result))

    def wait_for_followers(self, timeout: float) -> bool:
        """Wait for the deletions this worker follows; True when none is left."""
        return self._follower.wait(timeout)

    def _unanswered(
        self,
        record: RequestRecord,
        execution: ExecutionRecord,
        why: str,
        event: type[Ending],
        answer: CallResult | None = None,
    ) -> None:
        """A sent call with no answer that says whether it took effect; never re-sent.

        DeleteAccount: ask the cloud what happened, and follow it if still running. Any
        other operation ends UNKNOWN with what a person should check.
        """
        if record.operation != DELETE_ACCOUNT:
            finding = unknown_outcome(record.operation, record.params, why)
            self._out.conclude(record, execution, finding, answer, event=event)
            return
        finding = reconcile_deletion(self.client, record.params)
        if finding.verdict == "RUNNING":
            self._follower.start(record, execution, accepted=None, event=event)
        else:
            self._out.conclude(record, execution, finding, event=event)

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
        if record.operation == DELETE_ACCOUNT and execution.phase is Phase.FOLLOWING:
            # Accepted before the crash: resume following, never send again.
            self._follower.start(record, execution, accepted=None, event=Reconciled)
        else:
            why = "The worker stopped after sending, before the answer was stored."
            self._unanswered(record, execution, why, Reconciled)

    def _request(self, execution: ExecutionRecord) -> RequestRecord:
        record = self.repo.get_request(execution.request_id)
        if record is None:  # the foreign key makes this impossible; say so if it happens
            raise LookupError(f"execution for missing request {execution.request_id}")
        return record


def _not_sent(error: Exception) -> ExecutionResult:
    return ExecutionResult(message=f"Not sent: {error}")
