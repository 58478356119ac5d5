"""The requester's buttons on a member plan: choose the checks to abandon, re-check a
blocked plan, retry / skip (with a reason) / abandon a stopped one, roll back gate 1.

Every button carries only the plan id; who may act and what state the plan is in come
from the database (:mod:`bot.plans.phases`, :mod:`bot.plans.rollback`), which refuse
anyone but the requester. A refusal is told to the person who clicked, nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.approvals.reasons import reason_problem
from bot.deps import Deps
from bot.plans import phases
from bot.plans.gates import abandoned
from bot.plans.rollback import rollback
from bot.slack.listeners import identity
from bot.slack.listeners.errors import reported, tell
from bot.slack.views import plan_card as card
from bot.slack.views import plan_modals as modals
from bot.slack.views.submission import REASON
from storage.plan_records import PlanRecord

# What a button does to the plan: (plan, who, now) -> None, or why not.
Act = Callable[[PlanRecord, str, datetime], "str | None"]


def _acknowledge(ack: Ack) -> None:
    ack()


class _Buttons:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def plan_of(self, body: dict[str, Any]) -> PlanRecord | None:
        action = (body.get("actions") or [{}])[0]
        return self.deps.repo.get_plan(str(action.get("value") or ""))

    def answer(self, body: dict[str, Any], refused: str | None) -> None:
        if refused is not None:
            tell(self.deps.slack, body, refused)
        self.deps.announcer_bell.ring()
        self.deps.worker_bell.ring()  # the plan runner shares the worker's bell

    def press(self, name: str, act: Act) -> Callable[..., None]:
        """A lazy listener that applies ``act`` to the button's plan."""

        def pressed(body: dict[str, Any]) -> None:
            plan = self.plan_of(body)
            who = identity.actor(body).user_id
            refused = "No such plan." if plan is None else act(plan, who, self.deps.clock())
            self.answer(body, refused)

        pressed.__name__ = f"plan_{name}"
        return pressed

    def open_checks(self, body: dict[str, Any], client: WebClient) -> None:
        plan = self.plan_of(body)
        if plan is None or identity.actor(body).user_id != plan.requester:
            tell(self.deps.slack, body, "Only the plan's requester chooses the checks to abandon.")
            return
        gate = phases.current_gate(self.deps.repo, plan.id, 2)
        chosen = abandoned(gate.params) if gate is not None else []
        offered = (plan.fresh_check or {}).get("abandonable", [])
        view = modals.build_abandon_modal(plan.id, offered, chosen)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def save_checks(self, body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        plan = self.deps.repo.get_plan(str(view.get("private_metadata") or ""))
        if plan is None:
            return
        chosen = modals.values_of(view).get(modals.CHECKS) or []
        who, deps = identity.actor(body).user_id, self.deps
        self.answer(
            body, phases.choose(deps.repo, deps.policy, plan, chosen, user=who, now=deps.clock())
        )

    def open_skip(self, body: dict[str, Any], client: WebClient) -> None:
        plan = self.plan_of(body)
        if plan is None or identity.actor(body).user_id != plan.requester:
            tell(self.deps.slack, body, "Only the plan's requester skips a step.")
            return
        client.views_open(trigger_id=body["trigger_id"], view=modals.build_skip_modal(plan.id))

    @staticmethod
    def ack_skip(ack: Ack, body: dict[str, Any]) -> None:
        reason = str(modals.values_of(body.get("view") or {}).get(REASON) or "")
        why = reason_problem(reason)
        if why is not None:
            ack(response_action="errors", errors={REASON: why})
            return
        ack()

    def skip(self, body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        plan = self.deps.repo.get_plan(str(view.get("private_metadata") or ""))
        reason = str(modals.values_of(view).get(REASON) or "").strip()
        if plan is None or reason_problem(reason) is not None:
            return
        who, now = identity.actor(body).user_id, self.deps.clock()
        self.answer(body, phases.resume(self.deps.repo, plan, user=who, now=now, skip=reason))


def register(app: App, deps: Deps) -> None:
    buttons = _Buttons(deps)
    repo, rules = deps.repo, deps.policy
    acts: dict[str, tuple[str, Act]] = {
        card.RECHECK: ("recheck", lambda p, u, t: phases.again(repo, p, user=u, now=t)),
        card.RETRY: ("retry", lambda p, u, t: phases.resume(repo, p, user=u, now=t)),
        card.ABANDON: ("abandon", lambda p, u, t: phases.abandon(repo, rules, p, user=u, now=t)),
        card.ROLLBACK: ("rollback", lambda p, u, t: rollback(repo, rules, p, user=u, now=t)),
    }
    for action_id, (name, act) in acts.items():
        app.action(action_id)(ack=_acknowledge, lazy=[reported(deps, buttons.press(name, act))])
    app.action(card.ABANDON_CHECKS)(ack=_acknowledge, lazy=[reported(deps, buttons.open_checks)])
    app.view(modals.ABANDON_CALLBACK)(ack=_acknowledge, lazy=[reported(deps, buttons.save_checks)])
    app.action(card.SKIP)(ack=_acknowledge, lazy=[reported(deps, buttons.open_skip)])
    app.view(modals.SKIP_CALLBACK)(ack=buttons.ack_skip, lazy=[reported(deps, buttons.skip)])
