"""The member plan's modal: ``/offboard member`` and the picker's ``member`` option.

The modal's fields are checked before the ack (field errors can only be shown there);
discovery (seconds of reads) runs after it, in the lazy function, and the card follows
through the outbox. The requester's buttons are in :mod:`plan_buttons`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import structlog
from slack_bolt import Ack, App, BoltContext

from bot.approvals.reasons import reason_problem
from bot.deps import Deps
from bot.plans.filing import PlanAsk, file_plan
from bot.slack.listeners import identity, plan_buttons
from bot.slack.listeners import submission_guards as guards
from bot.slack.listeners.errors import reported, tell
from bot.slack.views import plan_modals as modals
from bot.slack.views.submission import REASON, field_errors_for_slack
from commands.errors import ParameterError
from commands.member_plan import BastionUser, parse_bastion_users
from commands.member_plan.steps import deletion_step
from storage.errors import DuplicateSubmission

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
    try:  # the member's id, by the catalog's rules for the plan's deletion step
        deletion_step(account)
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

    app.view(modals.MEMBER_CALLBACK)(ack=ack_member, lazy=[reported(deps, file_member)])
    plan_buttons.register(app, deps)
