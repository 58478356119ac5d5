"""The announcer's part for member plans: the plan card, its thread, the requester's DMs.

Kinds ``plan_card``, ``plan_thread`` and ``plan_dm`` (payload ``plan_id``, ``event``)
come from :mod:`bot.plans`; ``card``, ``thread`` and ``dm`` of a request that is a gate
come from the approval workflow unchanged, and are shown on the plan's card and thread.
Everything is re-read from the database when delivered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.deps import Deps
from bot.errors import NotYetDeliverable
from bot.slack.plan_rendering import PlanModel, plan_model
from bot.slack.views import plan_card as views
from bot.slack.views import plan_gates as gates
from bot.slack.views.replies import SlackMessage
from storage.records import AnnouncementRecord, RequestRecord


class PlanDelivery:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @property
    def slack(self) -> WebClient:
        return self.deps.slack

    def deliver(self, item: AnnouncementRecord) -> None:
        model = self._model(str(item.payload.get("plan_id") or ""))
        deliver: Callable[[PlanModel, dict[str, Any]], None] = {
            "plan_card": self._card,
            "plan_thread": self._thread,
            "plan_dm": self._dm,
        }[item.kind]
        deliver(model, dict(item.payload))

    def gate(self, item: AnnouncementRecord, record: RequestRecord) -> None:
        """The workflow's announcement about a gate, shown as the plan's."""
        model = self._model(str(record.plan_id))
        payload = dict(item.payload)
        if item.kind == "card":
            self._card(model, payload)
            message = _gate_message(model, record.gate or 0)
            if model.plan.gate_ts and message is not None:
                self._update(model, model.plan.gate_ts, message)
        elif item.kind == "thread":
            self._reply(model, views.gate_reply(model, payload))
        # A gate's "dm" (rejected, expired) is not sent: the plan's own DM says how the
        # plan ended once the runner has moved it, so the requester hears it once.

    def _model(self, plan_id: str) -> PlanModel:
        model = plan_model(self.deps.repo, plan_id, self.deps.policy.snapshot(), self.deps.cloud)
        if model is None:
            raise NotYetDeliverable(f"no plan {plan_id}")
        return model

    def _card(self, model: PlanModel, payload: dict[str, Any]) -> None:
        blocks, text = views.build_plan_card(model)
        plan = model.plan
        if plan.card_ts is None:
            channel = self.deps.approval_channel
            posted = self.slack.chat_postMessage(channel=channel, text=text, blocks=blocks)
            self.deps.repo.set_plan_card(plan.id, str(posted["channel"]), str(posted["ts"]))
        else:
            self.slack.chat_update(
                channel=plan.channel or self.deps.approval_channel,
                ts=plan.card_ts,
                text=text,
                blocks=blocks,
            )

    def _thread(self, model: PlanModel, payload: dict[str, Any]) -> None:
        event = payload.get("event")
        if event in ("gate2", "blocked", "rollback"):
            if event == "rollback":
                message = gates.rollback_message(model, list(payload.get("kept") or []))
            else:
                message = (
                    gates.gate2_message(model) if event == "gate2" else gates.blocked_message(model)
                )
            earlier = model.plan.gate_ts
            posted = self._reply(model, message)
            self.deps.repo.set_gate_ts(model.id, str(posted))
            if earlier is not None:  # its buttons would only be refused now: take them away
                self._update(model, earlier, views.note(_SUPERSEDED))
            return
        step = model.step(int(payload.get("step_id") or 0))
        if event in ("step", "stopped") and step is not None:
            self._reply(model, views.step_reply(model, step, stopped=event == "stopped"))
            return
        self._reply(model, views.note(_words(model, payload)))

    def _dm(self, model: PlanModel, payload: dict[str, Any]) -> None:
        opened = self.slack.conversations_open(users=model.plan.requester)
        self.slack.chat_postMessage(
            channel=str(opened["channel"]["id"]), **views.plan_dm(model, payload)
        )

    def _reply(self, model: PlanModel, message: SlackMessage) -> str:
        plan = model.plan
        if plan.card_ts is None:
            raise NotYetDeliverable("the plan card has not been posted yet")
        posted = self.slack.chat_postMessage(
            channel=plan.channel or self.deps.approval_channel, thread_ts=plan.card_ts, **message
        )
        return str(posted["ts"])

    def _update(self, model: PlanModel, ts: str, message: SlackMessage) -> None:
        self.slack.chat_update(
            channel=model.plan.channel or self.deps.approval_channel, ts=ts, **message
        )


_SUPERSEDED = (
    "Superseded by the message below (a new choice of checks, a re-check, or a rollback): "
    "act there. Approvals given here count for nothing else."
)


def _gate_message(model: PlanModel, number: int) -> SlackMessage | None:
    """The thread message of a gate after the first, to show its decisions on."""
    if model.gate(number) is None or model.plan.gate_ts is None:
        return None
    if number == 2 and model.gate(3) is None:
        return gates.gate2_message(model)
    if number == 3:
        return gates.rollback_message(model, [])
    return None


def _words(model: PlanModel, payload: dict[str, Any]) -> str:
    event = payload.get("event")
    account = model.plan.account_id
    if event == "running":
        return (
            f"Gate {payload.get('gate')} is approved: its steps run now, each verified by a read."
        )
    if event == "succeeded":
        return f"Member {account} is deleted: its deletion status says Success. The plan is done."
    if event == "rolled_back":
        return "The rollback is done: what gate 1 changed is back, as far as an API allows."
    if event == "abandoned":
        return "The requester abandoned the plan: nothing more will be sent."
    if event == "resumed":
        how = "skipped (the reason is in the audit log)" if payload.get("skip") else "retried"
        return f"The stopped step is {how}; the plan goes on."
    return f"Plan {model.id}: {event}."
