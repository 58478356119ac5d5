"""``/offboard``: open the request modal, or answer help/status/list/cancel.

Slack wants the 200 within 3000 ms and a ``trigger_id`` is good for 3 s and one use. The
ack function answers at once (with the whole reply when it is pure text, like help); the
lazy function then opens the modal, or does the database work and answers through
``response_url`` ("Posts to response_url are ephemeral by default").

Who may do what is checked in the lazy function, because it may ask Slack
(``users.info``): the modal opens only for someone who may file a request; ``list``,
``status`` and ``cancel`` answer only requesters and approvers, and a refusal says
nothing about any request (not even whether an id exists).
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.approvals.changes import counted
from bot.approvals.workflow import Done, Workflow
from bot.deps import Deps
from bot.slack import rendering
from bot.slack.command_text import Cancel, Help, List, Open, Status, Usage, parse_command
from bot.slack.listeners import errors, identity
from bot.slack.plan_rendering import plan_model
from bot.slack.views import guide, replies, summaries
from bot.slack.views.modal import build_operation_modal, build_picker
from bot.slack.views.plan_card import gate_line, plan_status
from bot.slack.views.plan_modals import MEMBER, build_member_modal
from bot.slack.views.text import section
from commands.catalog import Catalog
from storage import states

COMMAND = "/offboard"
_LIST_LIMIT = 20


def register(app: App, deps: Deps) -> None:
    workflow = Workflow(deps.repo, deps.policy, on_approved=deps.worker_bell.ring)

    def acknowledge(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        """The HTTP answer: the whole reply when it is pure text, else an empty ack."""
        command = parse_command(str(body.get("text") or ""), catalog=deps.catalog)
        refused = identity.foreign(identity.actor(body), context)
        if refused is not None:
            ack(response_type="ephemeral", text=replies.refusal(refused))
        elif isinstance(command, Help):
            ack(response_type="ephemeral", **guide.help_text())
        elif isinstance(command, Usage):
            ack(response_type="ephemeral", **guide.usage(command.message))
        else:
            ack()

    def work(
        body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
    ) -> None:
        """After the ack: check who asks, then open the modal or answer via response_url."""
        command = parse_command(str(body.get("text") or ""), catalog=deps.catalog)
        who = identity.actor(body)
        if identity.foreign(who, context) is not None or isinstance(command, Help | Usage):
            return  # answered in the ack
        if isinstance(command, Open):
            refused = identity.may_file(who, context, deps.access)
        else:
            refused = identity.may_read(who, context, deps.access)
        if refused is not None:
            respond(response_type="ephemeral", text=replies.refusal(refused))
        elif isinstance(command, Open):
            view = open_view(command, body, deps.catalog)
            client.views_open(trigger_id=body["trigger_id"], view=view)
        elif isinstance(command, Status):
            respond(response_type="ephemeral", **status(deps, command.request_id))
        elif isinstance(command, List):
            respond(response_type="ephemeral", **pending(deps))
        elif isinstance(command, Cancel):
            outcome = workflow.cancel(command.request_id, who.user_id, deps.clock())
            if isinstance(outcome, Done):
                deps.announcer_bell.ring()
                respond(response_type="ephemeral", text=outcome.message)
            else:
                respond(response_type="ephemeral", text=replies.refusal(outcome.message))

    app.command(COMMAND)(ack=acknowledge, lazy=[errors.reported(deps, work)])


def open_view(command: Open, body: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """The picker, or one operation's modal filled from ``/offboard Action Name=Value``."""
    # Where the command was typed, for errors after the modal closes; not authority.
    metadata = json.dumps({"channel": body.get("channel_id")})
    if command.action == MEMBER:
        return build_member_modal(command.values, private_metadata=metadata)
    if command.action is None:
        return build_picker(private_metadata=metadata, actions=catalog.requestable)
    spec = catalog.get(command.action)
    return build_operation_modal(
        spec, values=command.values, private_metadata=metadata, actions=catalog.requestable
    )


def status(deps: Deps, request_id: str) -> replies.SlackMessage:
    record = deps.repo.get_request(request_id)
    plan_id = record.plan_id if record is not None else request_id
    if plan_id is not None and (record is not None or request_id.startswith("PL-")):
        plan = plan_model(deps.repo, plan_id, deps.policy.snapshot(), deps.cloud)
        if plan is None:
            return {"text": replies.refusal(f"There is no plan {plan_id}."), "blocks": []}
        return plan_status(plan)
    if record is None:
        return {"text": replies.refusal(f"There is no request {request_id}."), "blocks": []}
    # Counted as the card counts them (current approvers only), so the two agree.
    model = rendering.card_model(
        record,
        deps.repo.decisions_for(record.id),
        deps.cloud,
        deps.repo.get_execution(record.id),
        policy=deps.policy.snapshot(),
        catalog=deps.catalog,
    )
    return summaries.status_text(model)


def pending(deps: Deps) -> replies.SlackMessage:
    records = deps.repo.list_requests(statuses=[states.Status.PENDING], limit=_LIST_LIMIT)
    # A plan's gate is listed as its plan's line (`/offboard status PL-...` shows it all).
    gates = [r for r in records if r.plan_id is not None]
    records = [r for r in records if r.plan_id is None]
    policy = deps.policy.snapshot()
    models = [
        rendering.card_model(
            r, deps.repo.decisions_for(r.id), deps.cloud, policy=policy, catalog=deps.catalog
        )
        for r in records
    ]
    listed = summaries.pending_list(models)
    if gates:
        lines = [gate_line(g, counted(g, deps.repo.decisions_for(g.id), policy)) for g in gates]
        listed["blocks"] = [
            *listed["blocks"],
            section("*Member plans waiting*\n" + "\n".join(lines)),
        ]
    return listed
