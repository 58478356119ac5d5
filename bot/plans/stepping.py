"""One step of a plan, sent at most once: built, compared with what was approved, marked
sent behind the door, sent, settled and verified by a read.

The gate's approvals covered ``signed`` (the parameters as signed); the step is built
again from the stored step and sent only if it signs exactly that. ``sent_at`` commits
before the call goes out, so a runner that dies after it is reconciled by a read
(:meth:`Stepper.reconcile`), never by sending again. The deletion step, once accepted,
is FOLLOWING: GetAccountDeletionStatus is read round after round (:meth:`Stepper.follow`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import structlog

from bot import plan_events as told
from bot.approvals.policy import ApprovalRules
from bot.events import drafts
from bot.execution.door import door
from bot.plans.codec import step_from_json
from bot.plans.gates import step_request_id
from commands.catalog import get_spec, prepare_params, validate_params
from commands.client import CloudClient
from commands.errors import ApiError, CloudError, OffboardError, OutcomeUnknownError
from commands.member_plan import CloudReader, Settled, Step, settle, verify
from commands.responses import CallResult
from storage.plan_records import StepOutcome, StepRecord
from storage.records import AuditDraft, ExecutionResult
from storage.repository import Repository
from storage.states import StepState

log = structlog.get_logger(__name__)

_VERDICT = {
    "done": StepState.DONE,
    "already_done": StepState.ALREADY_DONE,
    "failed": StepState.FAILED,
    "unknown": StepState.UNKNOWN,
}


class Stepper:
    def __init__(
        self,
        repo: Repository,
        client: CloudClient,
        *,
        owner: str,
        clock: Callable[[], datetime],
        rules: ApprovalRules,
        lease_seconds: float,
    ) -> None:
        self.repo, self.client, self.owner = repo, client, owner
        self.clock, self.rules, self.lease_seconds = clock, rules, lease_seconds
        self.reader = CloudReader(client)

    def run(self, record: StepRecord) -> None:
        """Send a claimed step (never marked sent) once, and store what it ended with."""
        step = step_from_json(record.step)
        spec = get_spec(step.action)
        try:
            params = prepare_params(
                spec,
                validate_params(spec, dict(step.params)),
                offboard_request_id=step_request_id(record.request_id, record.key),
            )
            if spec.serialize(params) != record.signed:
                raise ValueError("the step no longer signs what its gate approved")
            self.client.build_request(spec, params)
        except (OffboardError, ValueError) as error:
            not_sent = ExecutionResult(message=f"Not sent: {error}")
            self._finish(record, StepOutcome(StepState.FAILED, not_sent))
            return
        now = self.clock()
        facts = {"plan_id": record.plan_id, "step": record.key, "params": record.signed}
        sent = self.repo.mark_step_sent(
            record,
            owner=self.owner,
            now=now,
            admit=door(self.rules, now=now, actor=self.owner),
            audit=(AuditDraft("plan.step_sent", self.owner, facts),),
        )
        if not sent:
            log.warning("plan_step_not_sent", plan_id=record.plan_id, step=record.key)
            return
        try:
            # Within three quarters of the lease, as the worker's calls: a call still
            # waiting when its lease runs out is another runner's to reconcile.
            deadline = time.monotonic() + 0.75 * self.lease_seconds
            result = self.client.call(spec, params, deadline=deadline)
        except CloudError as error:
            self._conclude(record, step, settle(self.reader, step, error=error), error=error)
            return
        if not result.ok:  # an error answered with HTTP 200 (BssOpenApi "Success": false)
            refused = ApiError(result)
            self._conclude(record, step, settle(self.reader, step, error=refused), error=refused)
            return
        self._conclude(record, step, settle(self.reader, step, result=result), result=result)

    def reconcile(self, record: StepRecord) -> None:
        """A step taken over after it was marked sent: what the reads say, never re-sent."""
        step = step_from_json(record.step)
        error = OutcomeUnknownError(
            "The runner stopped after sending, before the answer was stored."
        )
        self._conclude(record, step, settle(self.reader, step, error=error), error=error)

    def follow(self, record: StepRecord) -> None:
        """One read of a deletion under way; stores a change of status, or its end."""
        progress = verify(self.reader, step_from_json(record.step))
        if progress.succeeded:
            self._finish(record, StepOutcome(StepState.DONE, verified=progress.message))
        elif progress.failed:
            why = " ".join((progress.message, *progress.details))
            self._finish(record, StepOutcome(StepState.FAILED, ExecutionResult(message=why)))
        elif progress.message != record.progress and progress.running:
            self._finish(record, StepOutcome(StepState.FOLLOWING, progress=progress.message))
        else:  # unchanged, or a read that failed: keep following, lease renewed
            self._finish(record, StepOutcome(StepState.FOLLOWING), quiet=True)

    def _conclude(
        self,
        record: StepRecord,
        step: Step,
        settled: Settled,
        *,
        result: CallResult | None = None,
        error: CloudError | None = None,
    ) -> None:
        answer = result or (error.result if isinstance(error, ApiError) else None)
        said = StepOutcome(
            _VERDICT[settled.verdict],
            ExecutionResult(
                http_status=answer.http_status if answer else None,
                code=answer.code if answer else None,
                message=" ".join((settled.message, *settled.details)),
                request_id=answer.request_id if answer else None,
            ),
        )
        if said.state in (StepState.DONE, StepState.ALREADY_DONE):
            said = self._verified(step, said)
        self._finish(record, said)

    def _verified(self, step: Step, said: StepOutcome) -> StepOutcome:
        """A step the cloud accepted counts once a read shows its effect."""
        progress = verify(self.reader, step)
        if step.phase == "deletion" and (progress.running or progress.succeeded):
            # Accepted: the deletion is followed round by round until it ends.
            return _with(said, StepState.FOLLOWING, progress=progress.message)
        if progress.succeeded:
            return _with(said, said.state, verified=progress.message)
        words = " ".join((progress.message, *progress.details))
        state = StepState.FAILED if progress.failed else StepState.UNKNOWN
        return _with(said, state, verified=words)

    def _finish(self, record: StepRecord, outcome: StepOutcome, *, quiet: bool = False) -> None:
        data: dict[str, object] = {"plan_id": record.plan_id, "step": record.key}
        data["state"] = outcome.state.value
        data |= {"code": outcome.result.code, "cloud_request_id": outcome.result.request_id}
        events = () if quiet else drafts(told.StepTold(plan_id=record.plan_id, step_id=record.id))
        stored = self.repo.finish_step(
            record,
            outcome,
            owner=self.owner,
            now=self.clock(),
            lease_seconds=self.lease_seconds,
            audit=() if quiet else (AuditDraft("plan.step_result", self.owner, data),),
            announcements=events,
        )
        if not stored:
            log.warning("plan_step_lease_lost", plan_id=record.plan_id, step=record.key)


def _with(said: StepOutcome, state: StepState, **changes: str) -> StepOutcome:
    return StepOutcome(
        state,
        said.result,
        verified=changes.get("verified", said.verified),
        progress=changes.get("progress", said.progress),
    )
