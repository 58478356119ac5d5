"""The approval card posted in the approval channel, and its later states.

``build_card(model)`` is the whole card for one moment of a request: the app posts it
with ``chat.postMessage`` and replaces it with ``chat.update`` (blocks *and* text, since
"if you pass text and omit blocks, the old blocks are removed"). While the request is
PENDING it ends in Approve / Reject buttons (``action_id`` ``approve`` / ``reject``,
``value`` = the request id); in every other state the buttons are gone and a
final status line says what happened. The buttons carry only the request id: state is
read from the database, never from this message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Finding is re-exported: the card model holds them, and callers build them from here.
from bot.slack.views.findings import Finding as Finding
from bot.slack.views.findings import findings_blocks
from bot.slack.views.params import (
    MAX_PARAM_BLOCKS,
    heading,
    parameter_sections,
    sections_needed,
)
from bot.slack.views.text import (
    MAX_BUTTON_TEXT,
    MAX_CONFIRM_BUTTON,
    MAX_CONFIRM_TEXT,
    MAX_CONFIRM_TITLE,
    MAX_HEADER_TEXT,
    MAX_ID,
    MAX_MESSAGE_BLOCKS,
    code,
    context,
    escape,
    mention,
    mentions,
    mrkdwn_safe,
    plain_text,
    section,
    slack_date,
    truncate,
)
from storage.states import Status

APPROVE = "approve"  # action_id of the Approve button (docs/INTERFACE.md)
REJECT = "reject"  # action_id of the Reject button (docs/INTERFACE.md)

# One line per request status; tests/bot/slack/views/test_card.py checks every Status has
# one (a value from elsewhere is still shown, escaped).
STATUS_LINES: dict[Status, str] = {
    Status.PENDING: ":hourglass_flowing_sand: Waiting for approval",
    Status.APPROVED: ":white_check_mark: Approved, about to run",
    Status.EXECUTING: ":gear: Approved and running",
    Status.SUCCEEDED: ":white_check_mark: Done: the call succeeded",
    Status.PARTIAL: ":warning: Done: the call succeeded for some items and failed for others",
    Status.FAILED: ":x: Done: the call failed",
    Status.UNKNOWN: ":grey_question: Outcome unknown: check before retrying",
    Status.REJECTED: ":no_entry_sign: Rejected: nothing was called",
    Status.EXPIRED: ":hourglass: Expired: nothing was called",
    Status.CANCELLED: ":heavy_multiplication_x: Cancelled by the requester: nothing was called",
    Status.TAMPERED: ":rotating_light: Refused as TAMPERED: nothing was called",
}

# What the parameter list is, per status: approvers must see exactly what will be sent.
_PARAMS_HEADINGS: dict[Status, str] = {
    Status.PENDING: "exactly as they will be signed",
    Status.APPROVED: "exactly as they will be signed",
    Status.EXECUTING: "exactly as signed",
    Status.SUCCEEDED: "exactly as signed",
    Status.PARTIAL: "exactly as signed",
    Status.FAILED: "exactly as signed",
    Status.UNKNOWN: "exactly as signed",
}

# The card header's words per status (plain_text, so no emoji codes).
TITLES: dict[Status, str] = {
    Status.PENDING: "approval needed",
    Status.APPROVED: "approved",
    Status.EXECUTING: "running",
    Status.SUCCEEDED: "succeeded",
    Status.PARTIAL: "partly failed",
    Status.FAILED: "failed",
    Status.UNKNOWN: "outcome unknown",
    Status.REJECTED: "rejected",
    Status.EXPIRED: "expired",
    Status.CANCELLED: "cancelled",
    Status.TAMPERED: "refused as tampered",
}

_CONFIRM_WHAT = 200  # of the confirm dialog's 300 characters


@dataclass(frozen=True)
class CardModel:
    """Plain values the card shows; the app fills it from storage records.

    ``params`` are the serialized parameters exactly as they will be signed (name ->
    string); ``requester``, ``approvals`` and ``rejections`` are Slack user ids.
    """

    request_id: str
    action: str
    product: str
    version: str
    endpoint: str
    params: Mapping[str, str]
    summary: str
    danger: str
    requester: str
    reason: str
    status: Status
    required: int
    created_at: datetime
    expires_at: datetime
    approvals: Sequence[str] = ()
    rejections: Sequence[str] = ()
    findings: Sequence[Finding] = ()
    result_summary: str | None = None
    decided_by: str | None = None
    # Step-up: how approvals are identified (already-escaped mrkdwn from rendering).
    assurance_note: str = ""


def build_card(model: CardModel) -> tuple[list[dict[str, Any]], str]:
    """The card's blocks and its fallback ``text`` (for notifications; escaped too).

    At most 50 blocks (Slack's message limit): every parameter is shown in full (the
    modal refused what cannot be); if pre-checks would not fit, their list is shortened;
    the tally and buttons are always kept. Parameters that cannot be shown in full take
    the Approve button away.
    """
    when = _PARAMS_HEADINGS.get(model.status, "as requested")
    showable = parameter_sections(model.params, when) is not None
    head: list[dict[str, Any]] = [
        {"type": "header", "text": plain_text(_title(model), MAX_HEADER_TEXT, user_text=True)},
        section(
            f"{_summary(model.summary, 1000, bold=True)}\n"
            f"Requested by {mention(model.requester)} · request `{code(model.request_id)}`"
        ),
        _call_block(model),
        *_params_blocks(model.params, when),
    ]
    if model.danger:
        head.append(section(f"*Why this is dangerous*\n{mrkdwn_safe(model.danger, 2800)}"))
    head.append(section(f"*Reason*\n{_quote(model.reason)}"))
    tail = [
        {"type": "divider"},
        context(tally(model), _times(model), model.assurance_note),
        _buttons(model, approvable=showable)
        if model.status == Status.PENDING
        else section(_final_line(model)),
    ]
    room = MAX_MESSAGE_BLOCKS - len(head) - len(tail)
    return [*head, *findings_blocks(model.findings, room), *tail], _fallback(model)


def tally(model: CardModel) -> str:
    """``1 of 2 approvals · approved by <@U1>`` (plus who rejected), escaped mrkdwn."""
    text = f"*{len(model.approvals)} of {model.required} approvals*"
    if model.approvals:
        text += f" · approved by {mentions(model.approvals)}"
    if model.rejections:
        text += f" · rejected by {mentions(model.rejections)}"
    return text


def status_line(status: Status) -> str:
    """The one-line words for a request status."""
    return STATUS_LINES.get(status, f"Status: {mrkdwn_safe(status, 100)}")


def _title(model: CardModel) -> str:
    return f"{model.action}: {TITLES.get(model.status, model.status.lower())}"


def _call_block(model: CardModel) -> dict[str, Any]:
    endpoint = f"`{code(model.endpoint)}`" if model.endpoint else "_not known yet_"
    return section(
        f"*Operation* `{code(model.action)}` · *API* {mrkdwn_safe(model.product, 100)} "
        f"`{code(model.version)}`\n*Endpoint* {endpoint}"
    )


def _params_blocks(params: Mapping[str, str], when: str) -> list[dict[str, Any]]:
    """Every parameter in full (see :mod:`bot.slack.views.params`), or a refusal to show.

    The modal refuses what cannot be shown, so the second case is only a request stored
    before that rule or under another catalog: the card then says so instead of cutting.
    """
    sections = parameter_sections(params, when)
    if sections is not None:
        return [section(text) for text in sections]
    names = ", ".join(f"`{code(name.split('.', 1)[0])}`" for name in params)
    return [
        section(
            f"{heading(when)}:no_entry: *These parameters are too long to show in full within "
            f"Slack's limits* ({sections_needed(params)} sections; the card has room for "
            f"{MAX_PARAM_BLOCKS}), so this card offers no Approve button: nobody should "
            f"approve what they cannot see. Parameters: {truncate(names, 2000)}"
        )
    ]


def _times(model: CardModel) -> str:
    text = f"Requested {slack_date(model.created_at)}"
    if model.status == Status.PENDING:
        text += f" · expires {slack_date(model.expires_at)}"
    return text


def _buttons(model: CardModel, *, approvable: bool) -> dict[str, Any]:
    # A new block_id per tally so a client holding the old card state cannot reuse it.
    block_id = truncate(f"decide:{model.request_id}:{len(model.approvals)}", MAX_ID)
    what = f"{model.action} — {model.summary}"
    if len(escape(what)) > _CONFIRM_WHAT:
        # The dialog holds 300 characters; rather than a cut list, point at the card.
        what = f"{model.action} with the parameters shown on this card"
    approve = decision_button(
        APPROVE,
        "Approve",
        "primary",
        model.request_id,
        f"Approve {what}? It runs once enough approvers agree.",
    )
    reject = decision_button(
        REJECT,
        "Reject",
        "danger",
        model.request_id,
        f"Reject {what}? One rejection ends the request.",
    )
    return {
        "type": "actions",
        "block_id": block_id,
        "elements": [approve, reject] if approvable else [reject],
    }


def decision_button(
    action_id: str, label: str, style: str, value: str, question: str
) -> dict[str, Any]:
    """An Approve or Reject button with its confirm dialog (the card's and the Home tab's)."""
    return {
        "type": "button",
        "action_id": action_id,
        "text": plain_text(label, MAX_BUTTON_TEXT),
        "style": style,
        "value": value,
        # The confirm dialog is only "are you sure", not authentication (slack-platform §9).
        "confirm": {
            "title": plain_text(f"{label}?", MAX_CONFIRM_TITLE),
            "text": plain_text(question, MAX_CONFIRM_TEXT, user_text=True),
            "confirm": plain_text(label, MAX_CONFIRM_BUTTON),
            "deny": plain_text("Back", MAX_CONFIRM_BUTTON),
            "style": style,
        },
    }


def _final_line(model: CardModel) -> str:
    line = f"*{status_line(model.status)}*"
    if model.decided_by:
        line += f" ({mention(model.decided_by)})"
    if model.result_summary:
        line += f"\n{mrkdwn_safe(model.result_summary, 2000)}"
    return line


def _quote(text: str) -> str:
    body = mrkdwn_safe(text, 2500) or "_no reason given_"
    return "\n".join(f">{line}" for line in body.splitlines() or [body])


def _summary(summary: str, limit: int, *, bold: bool = False) -> str:
    """The summary, escaped; if it must be shortened, it says where the full values are.

    A summary can quote parameter values (the checks to abandon, say): a silent "…" there
    would read as the whole list, so the cut is named.
    """
    text = escape(summary)
    note = ""
    if len(text) > limit:
        note = " _(shortened here: every parameter is on the card in full)_"
        text = truncate(text, limit - len(note))
    return (f"*{text}*" if bold and text else text) + note


def _fallback(model: CardModel) -> str:
    head = "Approval needed" if model.status == Status.PENDING else model.status.capitalize()
    head = mrkdwn_safe(head, 100)  # a status is ours, but never trust it to be
    requested = f"requested by {mention(model.requester)}"
    if len(requested) > 200:  # a requester id that is not a user id is shown, not trusted
        requested = "requested"
    return f"{head}: {mrkdwn_safe(model.action, 100)} {requested}: {_summary(model.summary, 1000)}"
