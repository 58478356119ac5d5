"""PlanRunner: runs member plans' gates once approved; several may share one database.

One round (:meth:`PlanRunner.run_once`):

1. claim approved gates behind the door (the stored decisions counted again; a gate they
   do not justify ends TAMPERED) and move their plans on;
2. take over steps whose lease ran out: one never marked sent is sent now; one marked
   sent is settled by a read, never sent again; a deletion being followed is followed on;
3. for each running plan, claim the steps whose predecessors are done and run them
   concurrently (a wave), follow a deletion under way, and when every step of the gate is
   done, end the gate and move the plan on (gate 1 -> the fresh check; gate 2 -> done);
   a step that failed stops the plan for its requester to retry, skip or abandon;
4. re-check plans waiting for a fresh check; end plans whose gate was rejected, expired,
   withdrawn or refused at the door (gates expire by the workflow's sweep, run here too).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import structlog
from sqlalchemy.exc import SQLAlchemyError

from bot import plan_events as told
from bot.approvals.policy import ApprovalRules
from bot.approvals.workflow import sweep_expired
from bot.events import drafts
from bot.execution.door import door
from bot.plans.phases import current_gate, recheck_plan
from bot.plans.stepping import Stepper
from commands.client import CloudClient
from commands.member_plan import CheckPoll
from storage.plan_records import PlanRecord, StepRecord
from storage.records import AuditDraft, RequestRecord
from storage.repository import Repository
from storage.states import PlanState, Status, StepState

log = structlog.get_logger(__name__)

_RUNNING = {1: PlanState.REVERSIBLE, 2: PlanState.DELETING, 3: PlanState.ROLLING_BACK}
_WAITING = {1: PlanState.GATE1, 2: PlanState.GATE2, 3: PlanState.ROLLBACK}
# Each state waiting for, or running, a gate: which gate.
_GATE_OF = {state: n for table in (_RUNNING, _WAITING) for n, state in table.items()}
_MAX_WAVE = 8


class PlanRunner:
    def __init__(
        self,
        repo: Repository,
        client: CloudClient,
        *,
        owner: str,
        clock: Callable[[], datetime],
        rules: ApprovalRules,
        lease_seconds: float = 60.0,
        poll: CheckPoll | None = None,
    ) -> None:
        self.repo, self.client, self.owner = repo, client, owner
        self.clock, self.rules, self.poll = clock, rules, poll
        self.lease_seconds = lease_seconds
        self._following: dict[int, tuple[int, float]] = {}  # step id -> (reads, next read)
        self.stepper = Stepper(
            repo, client, owner=owner, clock=clock, rules=rules, lease_seconds=lease_seconds
        )

    def run_forever(self, stop: threading.Event, wakeup: threading.Event, poll: float) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except SQLAlchemyError as error:  # every move is conditional: retry next round
                log.warning("plan_round_failed", error=type(error).__name__)
            except Exception:
                log.exception("plan_round_crashed")
            if wakeup.wait(poll):
                wakeup.clear()

    def run_once(self) -> None:
        # Gates expire by the same sweep as single requests, even where no worker runs.
        sweep_expired(self.repo, self.clock())
        now = self.clock()
        for gate_id in self.repo.approved_gates(now):
            self._claim_gate(gate_id)
        self._take_over()
        for plan in self.repo.plans_in(_WAITING.values()):
            self._watch(plan)
        for plan in self.repo.plans_in(_RUNNING.values()):
            self._advance(plan)
        for plan in self.repo.plans_in([PlanState.CHECKING]):
            recheck_plan(
                self.repo,
                self.client,
                self.rules,
                plan,
                actor=self.owner,
                now=self.clock(),
                poll=self.poll,
            )

    # --- gates -----------------------------------------------------------------------------

    def _claim_gate(self, gate_id: str) -> None:
        gate = self.repo.get_request(gate_id)
        if gate is None or gate.plan_id is None or gate.gate not in _WAITING:
            return
        plan = self.repo.get_plan(gate.plan_id)
        if plan is None or plan.state is not _WAITING[gate.gate]:
            return  # abandoned or ended meanwhile: its approval starts nothing
        now = self.clock()
        facts = {"plan_id": plan.id, "gate": gate.gate, "owner": self.owner}
        if self.repo.claim_gate(
            gate_id,
            now=now,
            admit=door(self.rules, now=now, actor=self.owner),
            audit=(AuditDraft("plan.gate_claimed", self.owner, facts),),
        ):
            self._watch(plan)

    def _watch(self, plan: PlanRecord) -> None:
        """A waiting plan whose gate was claimed runs; one whose gate ended, ends."""
        number = _GATE_OF[plan.state]
        gate = current_gate(self.repo, plan.id, number)
        if gate is None:
            return
        if gate.status is Status.EXECUTING:
            self.repo.move_plan(
                plan.id,
                [plan.state],
                _RUNNING[number],
                announcements=drafts(told.GateRunning(plan_id=plan.id, gate=number)),
                now=self.clock(),
            )
        elif gate.status.is_final:
            # Rejected, expired, refused at the door, or withdrawn (`/offboard cancel`):
            # a re-filed gate 2 cancels the old one in the transaction that files the new
            # one, so the gate found here is never a replaced one.
            self._end(plan, gate)

    def _end(self, plan: PlanRecord, gate: RequestRecord) -> None:
        self.repo.move_plan(
            plan.id,
            [plan.state],
            PlanState.ENDED,
            audit=(
                AuditDraft(
                    "plan.ended",
                    None,
                    {"plan_id": plan.id, "gate": gate.gate, "gate_status": gate.status.value},
                ),
            ),
            announcements=drafts(told.Ended(plan_id=plan.id)),
            now=self.clock(),
        )

    # --- steps -----------------------------------------------------------------------------

    def _take_over(self) -> None:
        for stale in self.repo.expired_steps():
            mine = self.repo.take_over_step(
                stale,
                owner=self.owner,
                lease_seconds=self.lease_seconds,
                now=self.clock(),
                audit=(
                    AuditDraft(
                        "plan.step_taken_over",
                        self.owner,
                        {"plan_id": stale.plan_id, "step": stale.key, "from": stale.lease_owner},
                    ),
                ),
            )
            if mine is None:
                continue
            if mine.state is StepState.FOLLOWING:
                self.stepper.follow(mine)
            elif mine.sent_at is None:
                self.stepper.run(mine)  # provably never sent: the first send is still ours
            else:
                self.stepper.reconcile(mine)

    def _advance(self, plan: PlanRecord) -> None:
        number = _GATE_OF[plan.state]
        gate = current_gate(self.repo, plan.id, number)
        if gate is None:
            return
        if gate.status is not Status.EXECUTING:
            if gate.status.is_final and gate.status is not Status.SUCCEEDED:
                self._end(plan, gate)
            return
        steps = self.repo.steps_of(gate.id)
        if self._stopped(plan, gate, steps):
            return
        if all(s.state.settled for s in steps):
            self._gate_done(plan, gate)
            return
        for step in steps:
            if step.state is StepState.FOLLOWING and step.lease_owner == self.owner:
                self._follow(step)
        self._wave(steps)

    def _follow(self, step: StepRecord) -> None:
        """Read a deletion's status with backoff (0.5 s doubling, at most a third of the
        lease, which each read renews): a silence period can last days."""
        polls, due = self._following.get(step.id, (0, 0.0))
        if time.monotonic() < due:
            return
        self.stepper.follow(step)
        wait = min(0.5 * 2**polls, self.lease_seconds / 3)
        self._following[step.id] = (polls + 1, time.monotonic() + wait)

    def _wave(self, steps: list[StepRecord]) -> None:
        settled = {s.key for s in steps if s.state.settled}
        here = {s.key for s in steps}  # an earlier gate's steps all ended before this one
        ready = [
            s
            for s in steps
            if s.state is StepState.PLANNED and set(s.step.get("after", ())) & here <= settled
        ]
        claimed = [
            c
            for s in ready
            if (
                c := self.repo.claim_step(
                    s.id, owner=self.owner, lease_seconds=self.lease_seconds, now=self.clock()
                )
            )
        ]
        if not claimed:
            return
        # Independent steps of one wave go out concurrently; each is still sent once.
        with ThreadPoolExecutor(min(len(claimed), _MAX_WAVE), "offboard-plan-step") as pool:
            list(pool.map(self.stepper.run, claimed))

    def _stopped(self, plan: PlanRecord, gate: RequestRecord, steps: list[StepRecord]) -> bool:
        bad = [s for s in steps if s.state in (StepState.FAILED, StepState.UNKNOWN)]
        if not bad:
            return False
        if any(s.state in (StepState.RUNNING, StepState.FOLLOWING) for s in steps):
            return True  # let the rest of the wave end first
        self.repo.move_plan(
            plan.id,
            [plan.state],
            PlanState.STOPPED,
            audit=(
                AuditDraft("plan.stopped", None, {"plan_id": plan.id, "step": bad[0].key}, gate.id),
            ),
            announcements=drafts(told.StepStopped(plan_id=plan.id, step_id=bad[0].id)),
            now=self.clock(),
        )
        return True

    def _gate_done(self, plan: PlanRecord, gate: RequestRecord) -> None:
        now = self.clock()
        self.repo.finish_gate(
            gate.id,
            Status.SUCCEEDED,
            now=now,
            audit=(AuditDraft("plan.gate_done", None, {"plan_id": plan.id, "gate": gate.gate}),),
        )
        if gate.gate == 1:
            self.repo.move_plan(
                plan.id,
                [plan.state],
                PlanState.CHECKING,
                announcements=drafts(told.Moved(plan_id=plan.id, to=PlanState.CHECKING)),
                now=now,
            )
        elif gate.gate == 3:
            self.repo.move_plan(
                plan.id,
                [plan.state],
                PlanState.ROLLED_BACK,
                audit=(AuditDraft("plan.rolled_back", None, {"plan_id": plan.id}),),
                announcements=drafts(told.RolledBack(plan_id=plan.id)),
                now=now,
            )
        else:
            self.repo.move_plan(
                plan.id,
                [plan.state],
                PlanState.SUCCEEDED,
                audit=(AuditDraft("plan.succeeded", None, {"plan_id": plan.id}),),
                announcements=drafts(told.Succeeded(plan_id=plan.id)),
                now=now,
            )
