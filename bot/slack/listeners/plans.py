"""The member plan's listeners: the plan modal, the checks to abandon, the requester's
buttons (re-check, retry, skip with a reason, abandon).

The modal's fields are checked before the ack (field errors can only be shown there);
discovery (seconds of reads) runs after it, in the lazy function, and the card follows
through the outbox. Every button carries only the plan id; who may act and what state
the plan is in come from the database.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import structlog
from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.approvals.rules import reason_problem
from bot.deps import Deps
from bot.plans import phases
from bot.plans.filing import PlanAsk, file_plan
from bot.plans.gates import abandoned
from bot.plans.rollback import rollback
from bot.slack.listeners import identity
from bot.slack.listeners import submission_guards as guards
from bot.slack.listeners.errors import reported, tell
from bot.slack.views import plan_card as card
from bot.slack.views import plan_modals as modals
from bot.slack.views.submission import REASON, field_errors_for_slack
from commands.catalog import get_spec, validate_params
from commands.errors import ParameterError
from commands.member_plan import BastionUser, parse_bastion_users
from storage.errors import DuplicateSubmission
from storage.plan_records import PlanRecord

log = structlog.get_logger(__name__)


def read_ask(body: dict[str, Any], context: BoltContext) -> PlanAsk:
    """The plan modal's values, checked; ParameterError keyed by input."""
    values = modals.values_of(body.get("view") or {})
    who = identity.actor(body)
    problems: dict[str, str] = {}
    refused = identity.foreign(who, context)
    if refused is not None:
        problems[modals.ACCOUNT] = refused
    account = str(values.get(modals.ACCOUNT) or "")
    try:  # the member's id, by the same rules as DeleteAccount's
        validate_params(get_spec("DeleteAccount"), {"AccountId": account})
    except ParameterError as error:
        problems[modals.ACCOUNT] = error.field_errors.get("AccountId", str(error))
    users: tuple[BastionUser, ...] = ()
    try:
        users = parse_bastion_users(str(values.get(modals.USERS) or ""))
    except ParameterError as error:
        problems.update(error.field_errors)
    reason = str(values.get(REASON) or "")
    why = reason_problem(reason)
    if why is not None:
        problems[REASON] = why
    if problems:
        raise ParameterError(problems)
    return PlanAsk(
        account_id=account,
        users=users,
        requester=who.user_id,
        requester_team=who.team_id,
        reason=reason.strip(),
        submission_key=guards.submission_key(body),
    )


def register(app: App, deps: Deps) -> None:
    def ack_member(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        try:
            read_ask(body, context)
        except ParameterError as error:
            ack(response_action="errors", errors=field_errors_for_slack(error, body.get("view")))
            return
        ack()

    def file_member(body: dict[str, Any], context: BoltContext) -> None:
        """After the modal closed: discover, propose, store, queue the card."""
        try:
            ask = read_ask(body, context)
        except ParameterError:
            return  # answered with field errors
        refused = identity.may_file(identity.actor(body), context, deps.access)
        if refused is not None:
            tell(deps.slack, body, refused)
            return
        if ask.submission_key and deps.repo.find_plan_submission(ask.submission_key):
            log.warning("plan_submission_replayed")
            return
        ask = replace(ask, channel=deps.approval_channel)
        try:
            file_plan(deps.repo, deps.cloud, deps.policy, ask, clock=deps.clock)
        except DuplicateSubmission:
            log.warning("plan_submission_replayed")
            return
        deps.announcer_bell.ring()

    def acknowledge(ack: Ack) -> None:
        ack()

    def plan_of(body: dict[str, Any]) -> PlanRecord | None:
        action = (body.get("actions") or [{}])[0]
        return deps.repo.get_plan(str(action.get("value") or ""))

    def answer(body: dict[str, Any], refused: str | None) -> None:
        if refused is not None:
            tell(deps.slack, body, refused)
        deps.announcer_bell.ring()
        deps.worker_bell.ring()

    def open_checks(body: dict[str, Any], client: WebClient) -> None:
        plan = plan_of(body)
        who = identity.actor(body).user_id
        if plan is None or who != plan.requester:
            tell(deps.slack, body, "Only the plan's requester chooses the checks to abandon.")
            return
        gate = phases.current_gate(deps.repo, plan.id, 2)
        chosen = abandoned(gate.params) if gate is not None else []
        offered = (plan.fresh_check or {}).get("abandonable", [])
        view = modals.build_abandon_modal(plan.id, offered, chosen)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def save_checks(body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        plan = deps.repo.get_plan(str(view.get("private_metadata") or ""))
        if plan is None:
            return
        chosen = modals.values_of(view).get(modals.CHECKS) or []
        who = identity.actor(body).user_id
        refused = phases.choose(deps.repo, deps.policy, plan, chosen, user=who, now=deps.clock())
        answer(body, refused)

    def recheck(body: dict[str, Any]) -> None:
        plan = plan_of(body)
        who = identity.actor(body).user_id
        refused = "No such plan." if plan is None else None
        if plan is not None:
            refused = phases.again(deps.repo, plan, user=who, now=deps.clock())
        answer(body, refused)

    def retry(body: dict[str, Any]) -> None:
        plan = plan_of(body)
        who = identity.actor(body).user_id
        refused = "No such plan." if plan is None else None
        if plan is not None:
            refused = phases.resume(deps.repo, plan, user=who, now=deps.clock())
        answer(body, refused)

    def abandon(body: dict[str, Any]) -> None:
        plan = plan_of(body)
        who = identity.actor(body).user_id
        refused = "No such plan." if plan is None else None
        if plan is not None:
            refused = phases.abandon(deps.repo, deps.policy, plan, user=who, now=deps.clock())
        answer(body, refused)

    def roll_back(body: dict[str, Any]) -> None:
        plan = plan_of(body)
        who = identity.actor(body).user_id
        refused = "No such plan." if plan is None else None
        if plan is not None:
            refused = rollback(deps.repo, deps.policy, plan, user=who, now=deps.clock())
        answer(body, refused)

    def open_skip(body: dict[str, Any], client: WebClient) -> None:
        plan = plan_of(body)
        if plan is None or identity.actor(body).user_id != plan.requester:
            tell(deps.slack, body, "Only the plan's requester skips a step.")
            return
        client.views_open(trigger_id=body["trigger_id"], view=modals.build_skip_modal(plan.id))

    def ack_skip(ack: Ack, body: dict[str, Any]) -> None:
        reason = str(modals.values_of(body.get("view") or {}).get(REASON) or "")
        why = reason_problem(reason)
        if why is not None:
            ack(response_action="errors", errors={REASON: why})
            return
        ack()

    def skip(body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        plan = deps.repo.get_plan(str(view.get("private_metadata") or ""))
        reason = str(modals.values_of(view).get(REASON) or "").strip()
        if plan is None or reason_problem(reason) is not None:
            return
        who = identity.actor(body).user_id
        answer(body, phases.resume(deps.repo, plan, user=who, now=deps.clock(), skip=reason))

    app.view(modals.MEMBER_CALLBACK)(ack=ack_member, lazy=[reported(deps, file_member)])
    app.action(card.ABANDON_CHECKS)(ack=acknowledge, lazy=[reported(deps, open_checks)])
    app.view(modals.ABANDON_CALLBACK)(ack=acknowledge, lazy=[reported(deps, save_checks)])
    app.action(card.RECHECK)(ack=acknowledge, lazy=[reported(deps, recheck)])
    app.action(card.RETRY)(ack=acknowledge, lazy=[reported(deps, retry)])
    app.action(card.ABANDON)(ack=acknowledge, lazy=[reported(deps, abandon)])
    app.action(card.SKIP)(ack=acknowledge, lazy=[reported(deps, open_skip)])
    app.action(card.ROLLBACK)(ack=acknowledge, lazy=[reported(deps, roll_back)])
    app.view(modals.SKIP_CALLBACK)(ack=ack_skip, lazy=[reported(deps, skip)])
