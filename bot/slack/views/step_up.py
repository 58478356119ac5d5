"""The step-up modal (Approve with a code) and the step-up notices in the approval channel.

Ids are an interface (docs/INTERFACE.md, "Slack identifiers"): the modal's ``callback_id`` is
``approve_step_up``; its ``private_metadata`` is JSON holding ``request_id`` and the
``digest`` of the request as shown; the code input's ``block_id`` and ``action_id`` are
``totp_code``. ``private_metadata`` is not a trust anchor (slack-platform §3): the server
re-reads the request by id and compares digests, so a changed request, or metadata
pointing elsewhere, records nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot import events
from bot.approvals.digest import SignedCall, shown
from bot.slack.views.replies import SlackMessage, message
from bot.slack.views.text import (
    MAX_MODAL_TITLE,
    MAX_PLACEHOLDER,
    MAX_SECTION_TEXT,
    code,
    mention,
    mrkdwn_safe,
    plain_text,
    section,
    slack_date,
    truncate,
)

CALLBACK_ID = "approve_step_up"  # docs/INTERFACE.md
CODE = "totp_code"  # block_id and action_id of the code input (docs/INTERFACE.md)
TITLE = "Approve with a code"
SUBMIT = "Approve"
CLOSE = "Cancel"
_MAX_CODE = 20  # a 6-digit code, or a recovery code such as 3-ABCDE-FGHJK, with spaces
_MAX_LABEL = 2000  # Slack: an input's label and hint are at most 2000 characters


@dataclass(frozen=True)
class CodeSubmission:
    """What came back: the request and digest the modal was opened for, and the code."""

    request_id: str
    digest: str
    code: str | None


def build_step_up_modal(request_id: str, call: SignedCall, digest: str) -> dict[str, Any]:
    """The modal: the operation, the parameters exactly as they will be signed, the digest
    (the card shows the same one), and the code input."""
    params = "\n".join(f"{code(k)}={code(v)}" for k, v in call.params.items()) or "(none)"
    endpoint = f"`{code(call.endpoint)}`" if call.endpoint else "_not known yet_"
    blocks: list[dict[str, Any]] = [
        section(
            f"*You are approving `{code(call.action)}`* "
            f"({mrkdwn_safe(call.product, 100)} API `{code(call.version)}`), "
            f"request `{code(request_id)}`\n{mrkdwn_safe(call.summary, 1000)}\n"
            f"*Endpoint* {endpoint}"
        ),
        section(
            truncate(
                f"*Parameters, exactly as they will be signed*\n```{params}```", MAX_SECTION_TEXT
            )
        ),
        section(
            f"*Digest* `{shown(digest)}`: the card shows the same digest. If they differ, "
            "cancel: the request is not what you were shown."
        ),
        {
            "type": "input",
            "block_id": CODE,
            "label": plain_text("Code from your authenticator app", _MAX_LABEL),
            "hint": plain_text(
                "6 digits, changing every 30 seconds. Lost your phone? A recovery code "
                "works once instead.",
                _MAX_LABEL,
            ),
            "element": {
                "type": "plain_text_input",
                "action_id": CODE,
                "max_length": _MAX_CODE,
                "placeholder": plain_text("123456", MAX_PLACEHOLDER),
            },
        },
    ]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain_text(TITLE, MAX_MODAL_TITLE),
        "submit": plain_text(SUBMIT, MAX_MODAL_TITLE),
        "close": plain_text(CLOSE, MAX_MODAL_TITLE),
        "private_metadata": json.dumps({"request_id": request_id, "digest": digest}),
        "blocks": blocks,
    }


def parse_code_submission(view: Mapping[str, Any]) -> CodeSubmission | None:
    """The submission's request, digest and typed code; None when it is not ours."""
    try:
        metadata = json.loads(str(view.get("private_metadata") or ""))
        request_id, digest = str(metadata["request_id"]), str(metadata["digest"])
    except (ValueError, KeyError, TypeError):
        return None
    typed = ((view.get("state") or {}).get("values") or {}).get(CODE, {}).get(CODE, {})
    value = typed.get("value") if isinstance(typed, Mapping) else None
    return CodeSubmission(request_id, digest, value if isinstance(value, str) else None)


def notice(news: events.Notice) -> SlackMessage:
    """A step-up notice for the approval channel.

    Only ids, counts and times are ever in a notice: never a secret, code or URI.
    """
    who = mention(news.user)
    match news:
        case events.Enrolled(by=by):
            return message(
                f":key: {who} was enrolled for approval codes by `{_by(by)}` on the bot's host."
            )
        case events.Reset(by=by):
            return message(
                f":key: The approval-code enrolment of {who} was reset by `{_by(by)}`: they "
                "cannot approve until enrolled again."
            )
        case events.RecoveryUsed(request_id=request_id, left=left):
            return message(
                f":rotating_light: {who} approved `{code(request_id)}` with a *recovery code* "
                f"instead of an authenticator code ({left} left). If that was not them, "
                "reset their enrolment now."
            )
        case events.LockedOut(until=until):
            return message(
                f":lock: {who} typed too many wrong approval codes and cannot approve until "
                f"{slack_date(until)}."
            )
        case events.KeyRotated(by=by, count=count):
            return message(
                f":key: `{_by(by)}` re-encrypted {count} approval-code secrets with a new key."
            )
    return message(f"Step-up notice: {mrkdwn_safe(news.event, 100)}")


def _by(operator: str) -> str:
    return mrkdwn_safe(operator or "an operator", 200)
