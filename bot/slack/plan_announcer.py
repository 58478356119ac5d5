"""The announcer's part for member plans: the plan card, its thread, the requester's DMs.

The surfaces ``plan_card``, ``plan_thread`` and ``plan_dm`` carry the plan's typed events
(:mod:`bot.plan_events`); ``card`` and ``thread`` of a request that is a gate carry the
workflow's events unchanged (:mod:`bot.events`, naming the plan's thread) and are shown on
the plan's card and thread. Everything is re-read from the database when delivered.
"""

from __future__ import annotations

from slack_sdk import WebClient

from bot import events
from bot import plan_events as told
from bot.deps import Deps
from bot.errors import NotYetDeliverable
from bot.events import Surface
from bot.slack.plan_rendering import PlanModel, plan_model
from bot.slack.views import plan_card as views
from bot.slack.views import plan_gates as gates
from bot.slack.views.plan_replies import gate_reply, plan_dm, words
from bot.slack.views.replies import SlackMessage
from storage.records import RequestRecord

# A gate's message in the thread, made again when a new one replaces it.
_GATE_MESSAGES = (told.Gate2Opened, told.Blocked, told.RollbackOpened)


class PlanDelivery:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @property
    def slack(self) -> WebClient:
        return self.deps.slack

    def deliver(self, surface: Surface, news: told.PlanEvent) -> None:
        """Tell one of the plan's own events on ``surface``."""
        model = self._model(news.plan_id)
        if surface == Surface.PLAN_CARD:
            self._card(model)
        elif surface == Surface.PLAN_THREAD:
            self._thread(model, news)
        else:
            opened = self.slack.conversations_open(users=model.plan.requester)
            self.slack.chat_postMessage(
                channel=str(opened["channel"]["id"]), **plan_dm(model, news)
            )

    def gate(self, surface: Surface, news: events.RequestEvent, record: RequestRecord) -> None:
        """The workflow's event about a gate, shown as the plan's."""
        model = self._model(str(record.plan_id))
        if surface == Surface.CARD:
            self._card(model)
            message = _gate_message(model, record.gate or 0)
            if model.plan.gate_ts and message is not None:
                self._update(model, model.plan.gate_ts, message)
        elif surface == Surface.THREAD:
            self._reply(model, gate_reply(model, news))
        # A gate's "dm" (rejected, expired) is not sent: the plan's own DM says how the
        # plan ended once the runner has moved it, so the requester hears it once.

    def _model(self, plan_id: str) -> PlanModel:
        model = plan_model(self.deps.repo, plan_id, self.deps.policy.snapshot(), self.deps.cloud)
        if model is None:
            raise NotYetDeliverable(f"no plan {plan_id}")
        return model

    def _card(self, model: PlanModel) -> None:
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

    def _thread(self, model: PlanModel, news: told.PlanEvent) -> None:
        if isinstance(news, _GATE_MESSAGES):
            earlier = model.plan.gate_ts
            posted = self._reply(model, _opened(model, news))
            self.deps.repo.set_gate_ts(model.id, str(posted))
            if earlier is not None:  # its buttons would only be refused now: take them away
                self._update(model, earlier, views.note(_SUPERSEDED))
            return
        step = model.step(news.step_id) if isinstance(news, told.StepEvent) else None
        if step is not None:
            stopped = isinstance(news, told.StepStopped)
            self._reply(model, views.step_reply(model, step, stopped=stopped))
            return
        self._reply(model, views.note(words(model, news)))

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


def _opened(model: PlanModel, news: told.PlanEvent) -> SlackMessage:
    """The thread message of a gate opened (or of the block before gate 2)."""
    if isinstance(news, told.RollbackOpened):
        return gates.rollback_message(model, list(news.kept))
    if isinstance(news, told.Gate2Opened):
        return gates.gate2_message(model)
    return gates.blocked_message(model)


def _gate_message(model: PlanModel, number: int) -> SlackMessage | None:
    """The thread message of a gate after the first, to show its decisions on."""
    if model.gate(number) is None or model.plan.gate_ts is None:
        return None
    if number == 2 and model.gate(3) is None:
        return gates.gate2_message(model)
    if number == 3:
        return gates.rollback_message(model, [])
    return None
