"""A member plan's thread replies and the requester's DMs, by the event's type.

The plan's own events (:mod:`bot.plan_events`) and the approval workflow's events about
a plan's gate (:mod:`bot.events`: a decision, an expiry, a refusal at the door) are told
under the plan card; the DM and the card re-render from the database.
"""

from __future__ import annotations

from bot import events
from bot import plan_events as told
from bot.slack.plan_rendering import PlanModel
from bot.slack.views.plan_card import note
from bot.slack.views.replies import SlackMessage
from bot.slack.views.text import code, escape, mention, mentions
from storage.states import Vote


def gate_reply(model: PlanModel, news: events.RequestEvent) -> SlackMessage:
    """A decision on a gate (or its end), as the approval workflow told it."""
    number = next((g.number for g in model.gates if g.request_id == news.request_id), 0)
    who = mention(news.actor) if news.actor else "The bot"
    if isinstance(news, events.Approved):
        return note(f"Gate {number} approved by {mentions(news.approvals)}: its steps run now.")
    if isinstance(news, events.Rejected):
        return note(f"{who} rejected gate {number}: the plan ends here.")
    if isinstance(news, events.Decided):
        verb = "approved" if news.vote is Vote.APPROVE else "voted on"
        counts = f"{len(news.approvals)} of {news.required} approvals"
        return note(f"{who} {verb} gate {number}. Now {counts}.")
    if isinstance(news, events.Expired):
        return note(f"Gate {number} expired: {escape(news.why)}")
    if isinstance(news, events.Tampered):
        return note(f"Gate {number} was refused at the door: {escape(news.why)}")
    if isinstance(news, events.Cancelled):
        return note(f"Gate {number} was withdrawn.")
    return note(f"Gate {number}: {escape(news.event)}.")


def words(model: PlanModel, news: told.PlanEvent) -> str:
    """A thread reply of the plan's own that is a sentence (steps and gates have views)."""
    if isinstance(news, told.GateRunning):
        return f"Gate {news.gate} is approved: its steps run now, each verified by a read."
    if isinstance(news, told.Succeeded):
        account = model.plan.account_id
        return f"Member {account} is deleted: its deletion status says Success. The plan is done."
    if isinstance(news, told.RolledBack):
        return "The rollback is done: what gate 1 changed is back, as far as an API allows."
    if isinstance(news, told.Abandoned):
        return "The requester abandoned the plan: nothing more will be sent."
    if isinstance(news, told.StepResumed):
        how = "skipped (the reason is in the audit log)" if news.skipped else "retried"
        return f"The stopped step is {how}; the plan goes on."
    return f"Plan {model.id}: {news.event}."


def plan_dm(model: PlanModel, news: told.PlanEvent) -> SlackMessage:
    """The requester's direct message: a gate waits, the plan stopped, or it ended."""
    plan = model.plan
    head = f"Your plan `{code(plan.id)}` for member `{code(plan.account_id)}`"
    if isinstance(news, told.GateOpen):
        return note(f"{head} is waiting for the approvals of {news.gate_name}.")
    if isinstance(news, told.Blocked):
        return note(f"{head} stopped before gate 2: the fresh check does not allow deletion.")
    if isinstance(news, told.NothingProposed):
        return note(f"{head}: nothing is proposed; the card says why.")
    if isinstance(news, told.StepStopped):
        return note(f"{head} stopped at a failed step: retry it, skip it, or abandon the plan.")
    if isinstance(news, told.Ending):
        return note(f"{head} ended: *{plan.state.value}*.")
    return note(f"{head} is now *{plan.state.value}*.")
