"""The modal's submission: validate now, answer field errors, else close and submit.

Validation is the catalog's (pure and fast) and runs before the ack, because field
errors can only be shown in the reply: ``response_action: errors`` keyed by the
``block_id`` of input blocks, which here are the API parameter names. Everything slow
(pre-checks against the cloud, storing the request, posting the card) happens after the
ack has closed the modal.

Whether the person may file a request at all is checked again after the ack, before
anything is stored or sent to the cloud (it may ask Slack, ``users.info``): a modal
opened earlier by someone who has since lost the right files nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict
from typing import Any

import structlog
from pydantic import BaseModel
from slack_bolt import Ack, App, BoltContext

from bot.approvals.reasons import reason_problem
from bot.approvals.workflow import Refused, Workflow
from bot.deps import Deps
from bot.slack import bounds
from bot.slack.listeners import identity
from bot.slack.listeners import submission_guards as guards
from bot.slack.listeners.errors import reported, tell
from bot.slack.views.modal import (
    CALLBACK_ID,
    OPERATION,
    REASON,
    Submission,
    build_operation_modal,
    field_errors_for_slack,
    is_picker,
    parse_submission,
)
from bot.slack.views.plan_modals import MEMBER, build_member_modal
from commands.catalog import REQUESTABLE_ACTIONS, Catalog, OperationSpec, validate_params
from commands.client import CloudClient
from commands.errors import ParameterError
from commands.prechecks import run_prechecks
from storage.errors import DuplicateSubmission

log = structlog.get_logger(__name__)


def register(app: App, deps: Deps) -> None:
    workflow = Workflow(deps.repo, deps.policy, on_approved=deps.worker_bell.ring)
    catalog = deps.catalog

    def checked(spec: OperationSpec, submission: Submission, refusal: str | None) -> BaseModel:
        return check(
            spec, submission, refusal=refusal, cloud=deps.cloud, requestable=catalog.requestable
        )

    def acknowledge(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        """The reply: field errors, the operation's fields (after the picker), or close."""
        view = body.get("view") or {}
        try:
            submission = parse_submission(view)
            if is_picker(view):  # the picker itself ("Next"): show that operation's fields
                ack(response_action="update", view=_fields_of(submission, catalog))
                return
            spec = catalog.get(submission.action)
            checked(spec, submission, identity.foreign(identity.actor(body), context))
            guards.submission_key(body)
        except ParameterError as error:
            ack(response_action="errors", errors=field_errors_for_slack(error, view))
            return
        ack()

    def submit(body: dict[str, Any], context: BoltContext) -> None:
        """After the modal closed: pre-checks, then store the request and queue its card."""
        view = body.get("view") or {}
        who = identity.actor(body)
        try:  # the same pure checks as the ack: only a valid submission goes on
            submission = parse_submission(view)
            spec = catalog.get(submission.action)
            if is_picker(view):
                return
            params = checked(spec, submission, identity.foreign(who, context))
            key = guards.submission_key(body)
        except ParameterError:
            return  # already answered with field errors
        refused = identity.may_file(who, context, deps.access)
        if refused is not None:
            workflow.refuse(who.user_id, spec.action, "not_allowed_to_file", refused, deps.clock())
            tell(deps.slack, _with_channel(body, submission), refused)
            return
        if not _replayed(deps, key):
            _file(deps, workflow, body, spec, params, submission, key)

    app.view(CALLBACK_ID)(ack=acknowledge, lazy=[reported(deps, submit)])


def _fields_of(submission: Submission, catalog: Catalog) -> dict[str, Any]:
    if submission.action == MEMBER:  # the member plan has a modal of its own
        return build_member_modal({}, private_metadata=submission.private_metadata)
    return build_operation_modal(
        catalog.get(submission.action),
        values={},
        private_metadata=submission.private_metadata,
        actions=catalog.requestable,
    )


def check(
    spec: OperationSpec,
    submission: Submission,
    *,
    refusal: str | None,
    cloud: CloudClient,
    requestable: Collection[str] = REQUESTABLE_ACTIONS,
) -> BaseModel:
    """The validated parameters, or one ParameterError with every problem by block_id.

    Beyond the catalog's rules, :mod:`~bot.slack.listeners.submission_guards`: an
    operation the form offers, no JSON nested too deep, a call that can be built
    (``cloud`` knows its endpoint), and parameters that fit on the card in full.
    """
    problems: dict[str, str] = {}
    if refusal is not None:
        problems[OPERATION] = refusal
    problems.update(guards.operation_problems(spec, requestable))
    params: BaseModel | None = None
    too_deep = guards.nesting_problems(submission)
    problems.update(too_deep)
    try:
        if not too_deep:  # a value nested too deep is never decoded
            params = validate_params(spec, submission.raw_params)
    except ParameterError as error:
        problems.update(error.field_errors)
    if params is not None:
        problems.update(guards.build_problems(spec, params, cloud))
    if spec.op_class.changes_cloud:  # every write needs a reason, as Workflow.submit says
        why = reason_problem(submission.reason or "")
        if why is not None:
            problems[REASON] = why
    if problems or params is None:
        raise ParameterError(problems)
    return params


def _file(
    deps: Deps,
    workflow: Workflow,
    body: dict[str, Any],
    spec: OperationSpec,
    params: BaseModel,
    submission: Submission,
    key: str,
) -> None:
    """Pre-checks, then store the request (once per submission key) and queue its card."""
    who = identity.actor(body)
    # Stored as plain JSON with the request; the card re-reads them from there.
    findings = [asdict(f) for f in run_prechecks(deps.cloud, spec, params, catalog=deps.catalog)]
    try:
        outcome = workflow.submit(
            spec=spec,
            params=params,
            requester=who.user_id,
            reason=submission.reason or "",
            now=deps.clock(),
            requester_team=who.team_id,
            channel=deps.approval_channel,
            prechecks=findings,
            submission_key=key,
        )
    except DuplicateSubmission as replay:  # the same view, filed meanwhile elsewhere
        log.warning("submission_replayed", request_id=replay.request_id)
        return
    if isinstance(outcome, Refused):  # the same rules as check(): only if they changed
        tell(deps.slack, _with_channel(body, submission), outcome.message)
        return
    deps.announcer_bell.ring()


def _replayed(deps: Deps, key: str) -> bool:
    """True when this view already filed a request: a replay, answered and ignored."""
    earlier = deps.repo.find_submission(key)
    if earlier is not None:
        log.warning("submission_replayed", request_id=earlier.id)
    return earlier is not None


def _with_channel(body: dict[str, Any], submission: Submission) -> dict[str, Any]:
    # private_metadata holds where /offboard was typed; it only chooses where to reply.
    try:
        channel = bounds.loads(submission.private_metadata or "{}").get("channel")
    except (ValueError, AttributeError):
        channel = None
    return {**body, "channel_id": channel} if channel else body
