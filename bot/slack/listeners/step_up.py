"""Approve with a code: open the step-up modal on the click, verify the code on submit.

The click (``approve``) is acked at once; its lazy part opens the modal with the click's
``trigger_id`` straight away, because the trigger "expires 3 s after it is sent and can
be used once" (slack-platform §3): only a quick read comes first, so someone who may not
approve (the requester, a non-approver, an unenrolled or locked-out approver, a request
already decided) is told why in an ephemeral message instead of being asked for a code.

The submission (``approve_step_up``) is verified *before* the ack, because field errors
can only be shown in the reply: ``response_action: errors`` keyed by the code input's
``block_id``. Verifying and recording the approval is one short transaction; the slow
part (Slack posts) is the announcer's, woken after the ack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.approvals.sealing import SecretBox
from bot.approvals.step_up import Ready, StepUp
from bot.approvals.workflow import Refused, Workflow
from bot.deps import Deps
from bot.slack.listeners import errors, identity
from bot.slack.views.step_up import (
    CALLBACK_ID,
    CODE,
    build_step_up_modal,
    parse_code_submission,
)
from storage.states import Assurance

NOT_OURS = "This window was not opened by Offboard for an approval; click Approve again."


def enabled(deps: Deps) -> bool:
    """True when approvals need a code (``OFFBOARD_STEP_UP=totp``)."""
    return deps.policy.required_assurance >= Assurance.SECOND_FACTOR


def verifier(deps: Deps) -> StepUp:
    """The step-up verifier over ``deps`` (its key from ``OFFBOARD_SECRET_KEY``)."""
    key = deps.settings.secret_key
    box = SecretBox.from_base64(key.get_secret_value() if key else None)
    workflow = Workflow(deps.repo, deps.policy, on_approved=deps.worker_bell.ring)
    return StepUp(workflow, box, deps.cloud, deps.catalog)


def approver(deps: Deps) -> Callable[..., None] | None:
    """The lazy part of an Approve click with step-up on (None when it is off): open the
    modal asking for the code, or say why not in an ephemeral message."""
    if not enabled(deps):
        return None
    step_up = verifier(deps)

    def open_modal(body: dict[str, Any], context: BoltContext) -> None:
        who = identity.actor(body)
        refused = identity.foreign(who, context)
        if refused is None:
            action = (body.get("actions") or [{}])[0]
            ready = step_up.prepare(str(action.get("value") or ""), who.user_id, deps.clock())
            if isinstance(ready, Ready):
                view = build_step_up_modal(ready.record.id, ready.call, ready.digest)
                deps.slack.views_open(trigger_id=body["trigger_id"], view=view)
                return
            refused = ready.message
        errors.tell(deps.slack, body, refused)

    return open_modal


def register(app: App, deps: Deps) -> None:
    if not enabled(deps):
        return
    step_up = verifier(deps)

    def acknowledge(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        """The reply: close the modal when the approval is recorded, else the field error."""
        problem = check(body, context)
        if problem is not None:
            ack(response_action="errors", errors={CODE: problem})
            return
        ack()

    def check(body: dict[str, Any], context: BoltContext) -> str | None:
        """None when the approval was recorded, else what to show at the code field."""
        who = identity.actor(body)
        refused = identity.foreign(who, context)
        if refused is not None:
            return refused
        sent = parse_code_submission(body.get("view") or {})
        if sent is None:
            return NOT_OURS
        outcome = step_up.approve(
            sent.request_id, who.user_id, sent.digest, sent.code, deps.clock()
        )
        return outcome.message if isinstance(outcome, Refused) else None

    def announce(body: dict[str, Any]) -> None:
        # A recorded approval or a lock-out is in the outbox: deliver it now.
        deps.announcer_bell.ring()

    app.view(CALLBACK_ID)(ack=acknowledge, lazy=[errors.reported(deps, announce)])
