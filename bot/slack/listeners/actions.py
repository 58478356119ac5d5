"""Clicks: Approve / Reject on the card, and the operation picker in the modal.

A button carries only the request id (its ``value``); who may decide and what state the
request is in come from the database and the policy, never from the message. Every
click is acked at once by the ack function; the decision is taken by the lazy one. A
refused click (the requester, a non-approver, someone of another team, a request
already decided or expired) gets an ephemeral explanation and changes nothing; an
accepted one is announced through the outbox (card update and thread reply) and, when
it approves, wakes the worker.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.approvals.workflow import Done, Workflow
from bot.deps import Deps
from bot.slack.listeners import errors, identity, step_up
from bot.slack.views.card import APPROVE, REJECT
from bot.slack.views.modal import (
    OPERATION,
    REASON,
    build_operation_modal,
    parse_submission,
    selected_operation,
)
from bot.slack.views.plan_modals import MEMBER, build_member_modal
from commands.errors import ParameterError
from storage.states import Vote


def register(app: App, deps: Deps) -> None:
    workflow = Workflow(deps.repo, deps.policy, on_approved=deps.worker_bell.ring)

    def acknowledge(ack: Ack) -> None:
        ack()

    def decide(vote: Vote, body: dict[str, Any], context: BoltContext) -> None:
        who = identity.actor(body)
        action = (body.get("actions") or [{}])[0]
        refused = identity.foreign(who, context)
        if refused is None:
            request_id = str(action.get("value") or "")
            outcome = workflow.decide(request_id, who.user_id, vote, deps.clock())
            if isinstance(outcome, Done):
                deps.announcer_bell.ring()
                return
            refused = outcome.message
        errors.tell(deps.slack, body, refused)

    def approve(body: dict[str, Any], context: BoltContext) -> None:
        decide(Vote.APPROVE, body, context)

    def reject(body: dict[str, Any], context: BoltContext) -> None:
        decide(Vote.REJECT, body, context)

    def pick(body: dict[str, Any], client: WebClient) -> None:
        """Picking an operation swaps in its fields, keeping what was typed.

        Same block and action ids across ``views.update`` keep the inputs (Slack,
        "Preserving input entry"); the view's ``hash`` guards against a stale update.
        """
        view = body.get("view")
        chosen = selected_operation(body)
        if chosen is None or not isinstance(view, dict) or not view.get("id"):
            return  # no modal to update: nothing a person could see changes
        modal = _picked(deps, chosen, view)
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=modal)

    approving = step_up.approver(deps) or approve  # step-up on: the modal asking for a code
    app.action(APPROVE)(ack=acknowledge, lazy=[errors.reported(deps, approving)])
    app.action(REJECT)(ack=acknowledge, lazy=[errors.reported(deps, reject)])
    app.action(OPERATION)(ack=acknowledge, lazy=[errors.reported(deps, pick)])


def _picked(deps: Deps, chosen: str, view: dict[str, Any]) -> dict[str, Any]:
    """The modal for the operation ``chosen``, keeping what was typed."""
    metadata = str(view.get("private_metadata") or "")
    if chosen == MEMBER:  # the member plan has a modal of its own
        return build_member_modal({}, private_metadata=metadata)
    return build_operation_modal(
        deps.catalog.get(chosen),
        values=_typed(view),
        private_metadata=metadata,
        actions=deps.catalog.requestable,
    )


def _typed(view: dict[str, Any]) -> dict[str, str]:
    """What the person typed so far (parameters and reason), to carry into the new view."""
    try:
        submission = parse_submission(view)
    except ParameterError:  # nothing readable yet: start empty
        return {}
    reason = {REASON: submission.reason} if submission.reason else {}
    return {**submission.raw_params, **reason}
