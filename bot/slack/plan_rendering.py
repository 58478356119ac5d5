"""From what is stored to what Slack shows of a member plan: plain models for the views.

Everything comes from the database (the plan, its gates and their decisions, its
steps); outbox payloads only say which event to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.approvals.changes import counted
from bot.approvals.digest import digest, shown, signed_call
from bot.approvals.tally import Policy
from bot.plans.gates import abandoned
from commands.client import CloudClient
from storage.plan_records import PlanRecord, StepRecord
from storage.repository import Repository
from storage.states import Status


@dataclass(frozen=True)
class GateModel:
    number: int
    request_id: str
    status: Status
    approvals: tuple[str, ...]
    rejections: tuple[str, ...]
    required: int
    abandon: str  # gate 2: the AbandonableCheckId it will send ("" for none)
    digest: str  # over every call it covers: the one the step-up window shows


@dataclass(frozen=True)
class PlanModel:
    plan: PlanRecord
    gates: tuple[GateModel, ...]  # live ones: cancelled gate-2 filings are left out
    steps: tuple[StepRecord, ...]  # of the live gates, gate by gate, in order

    @property
    def id(self) -> str:
        return self.plan.id

    @property
    def member_name(self) -> str:
        return str(self.plan.proposal.get("member_name") or "")

    def gate(self, number: int) -> GateModel | None:
        found = [g for g in self.gates if g.number == number]
        return found[-1] if found else None

    def steps_of(self, number: int) -> tuple[StepRecord, ...]:
        gate = self.gate(number)
        return tuple(s for s in self.steps if gate and s.request_id == gate.request_id)

    def step(self, step_id: int) -> StepRecord | None:
        return next((s for s in self.steps if s.id == step_id), None)

    @property
    def fresh(self) -> dict[str, Any]:
        return dict(self.plan.fresh_check or {})


def plan_model(
    repo: Repository, plan_id: str, policy: Policy, cloud: CloudClient
) -> PlanModel | None:
    plan = repo.get_plan(plan_id)
    if plan is None:
        return None
    gates: list[GateModel] = []
    steps: list[StepRecord] = []
    for gate in repo.gates_of(plan_id):
        if gate.status is Status.CANCELLED and gate.gate == 2:
            continue  # replaced by a gate 2 with another choice of checks
        tally = counted(gate, repo.decisions_for(gate.id), policy)
        abandon = ",".join(abandoned(gate.params))
        gates.append(
            GateModel(
                gate.gate or 0,
                gate.id,
                gate.status,
                tuple(tally.approvals),
                tuple(tally.rejections),
                tally.required,
                abandon if gate.gate == 2 else "",
                shown(digest(signed_call(gate, cloud))),
            )
        )
        steps += repo.steps_of(gate.id)
    return PlanModel(plan, tuple(gates), tuple(steps))
