"""Thread replies, direct messages and ephemeral texts, one function per event.

Each returns a :class:`SlackMessage` (``text`` + ``blocks``) to splat into
``chat.postMessage(channel=..., thread_ts=card_ts, **message)``; the ``text`` is the
notification fallback and is escaped like the blocks. Everything that came from a user
or from the cloud (Codes, Messages, reasons) is escaped; people appear only as
``<@U…>`` built from validated ids (see :mod:`bot.slack.views.text`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal, TypedDict

from bot.slack.views.card import status_line
from bot.slack.views.text import (
    MAX_MESSAGE_BLOCKS,
    MAX_SECTION_TEXT,
    SAFE_URL,
    chunks,
    code,
    escape,
    mention,
    mentions,
    mrkdwn_safe,
    section,
    truncate,
)
from commands.catalog.quirks import ItemResult
from storage.records import ExecutionResult
from storage.states import Status, Vote

# The head of a result reply per outcome.
_RESULT_HEADS: dict[Status, str] = {
    Status.SUCCEEDED: ":white_check_mark: Succeeded",
    Status.PARTIAL: ":warning: Partly failed",
    Status.FAILED: ":x: Failed",
    Status.UNKNOWN: ":grey_question: Outcome unknown",
}


class SlackMessage(TypedDict):
    """Keyword arguments for ``chat.postMessage`` / ``chat.postEphemeral``."""

    text: str
    blocks: list[dict[str, Any]]


def message(*paragraphs: str) -> SlackMessage:
    """A message from already-escaped mrkdwn paragraphs, one section each (max 50)."""
    texts = [p for p in paragraphs if p][:MAX_MESSAGE_BLOCKS]
    return {
        "text": truncate(texts[0] if texts else " ", MAX_SECTION_TEXT),
        "blocks": [section(p) for p in texts],
    }


def decided(
    actor: str,
    decision: Vote,
    *,
    approvals: Sequence[str],
    rejections: Sequence[str],
    required: int,
) -> SlackMessage:
    """A decision reply in the card's thread: who decided, and the tally after it."""
    verb = ":+1: approved" if decision == Vote.APPROVE else ":no_entry_sign: rejected"
    count = f"{len(approvals)} of {required} approvals"
    if rejections:
        count += f"; rejected by {mentions(rejections)}"
    return message(f"{mention(actor)} {verb}. Now {count}.")


def approved(approvals: Sequence[str], required: int) -> SlackMessage:
    """Enough approvals: the call will run."""
    return message(
        f":white_check_mark: Approved by {mentions(approvals)} "
        f"({len(approvals)} of {required}). Offboard will make the call once."
    )


def rejected(by: str) -> SlackMessage:
    """One reject ends the request."""
    return message(f":no_entry_sign: Rejected by {mention(by)}. Nothing was called.")


def cancelled(by: str) -> SlackMessage:
    """The requester withdrew the request."""
    return message(f":heavy_multiplication_x: Cancelled by {mention(by)}. Nothing was called.")


def expired(phase: Literal["approval", "execution"] = "approval") -> SlackMessage:
    """The request timed out: waiting for approval, or approved but never started."""
    if phase == "execution":
        return message(
            ":hourglass: Approved, but it did not start within the execution window, so it "
            "expired instead of running on stale approvals. Nothing was called."
        )
    return message(":hourglass: Expired without enough approvals. Nothing was called.")


def executing(action: str, endpoint: str) -> SlackMessage:
    """The worker is about to send the signed call."""
    return message(f":gear: Calling `{code(action)}` at `{code(endpoint)}`…")


def progress(action: str, status: str, details: Iterable[str] = ()) -> SlackMessage:
    """A long-running call's status (DeleteAccount: GetAccountDeletionStatus ``Status``)."""
    lines = [f":arrows_counterclockwise: `{code(action)}` status: *{mrkdwn_safe(status, 200)}*"]
    lines.extend(f"• {mrkdwn_safe(detail, 400)}" for detail in details)
    return message("\n".join(lines))


def result(
    action: str,
    outcome: Status,
    answer: ExecutionResult,
    next_step: str | None = None,
    *,
    items: Sequence[ItemResult] | None = None,
) -> SlackMessage:
    """The call's result: Code, Message, RequestId and HTTP status, always.

    On failure also the error's Recommend link and, when the API page documents the
    Code, ``next_step`` (the catalog's line for people, shown as it is). ``items``: the
    per-item Codes of an operation whose answer has them (the spec's ``quirks.items``);
    a PARTIAL ``outcome`` (the spec's ``item_failures`` decided it) says "partly failed".
    """
    ok = outcome is Status.SUCCEEDED
    lines = [
        f"{_RESULT_HEADS.get(outcome, ':x: Failed')}: `{code(action)}`",
        f"*Code* `{_value(answer.code)}` · *HTTP status* {_http(answer)}",
        f"*Message* {_value(answer.message)}",
        f"*RequestId* `{_value(answer.request_id)}`",
    ]
    if not ok and answer.recommend:
        lines.append(f"*Recommend* {_link(answer.recommend)}")
    if not ok and next_step:
        lines.append(f":point_right: *Next step* {mrkdwn_safe(next_step, 1500)}")
    paragraphs = ["\n".join(lines)]
    if items is not None:
        paragraphs.extend(chunks(_item_lines(items)))
    return message(*paragraphs)


def unknown(action: str, detail: str) -> SlackMessage:
    """The call was sent but no answer came: never re-sent. ``detail`` is the stored
    message, which says so and names what to check (the spec's ``what_to_check``, see
    ``bot.execution.reconcile``): one wording for the thread, the card and the DM."""
    return message(
        f":grey_question: The outcome of `{code(action)}` is unknown: {mrkdwn_safe(detail, 1500)}"
    )


def reconciled(action: str, status: Status, detail: str) -> SlackMessage:
    """After a restart, what Offboard found about a call that was under way."""
    return message(
        f":mag: Reconciled `{code(action)}` after a restart: {status_line(status)}.\n"
        f"{mrkdwn_safe(detail, 2000)}"
    )


def tampered(why: str) -> SlackMessage:
    """The door refused a request marked approved that its stored decisions do not justify."""
    return message(
        ":rotating_light: *Refused before sending: treated as tampered.* This request was "
        "marked approved, but its stored decisions do not justify it, so Offboard did not "
        f"make the call and never will. {mrkdwn_safe(why, 2000)}\n"
        "Ask whoever runs Offboard to check the database and run `offboard-bot audit verify`."
    )


def correction(
    action: str, previous: Status | None, outcome: Status, answer: ExecutionResult
) -> SlackMessage:
    """A real answer that came after the execution was taken over and concluded: what it
    shows (``outcome``) against what had been concluded (``previous``)."""
    did = "succeed" if outcome is Status.SUCCEEDED else "fail"
    was = f"the earlier {mrkdwn_safe(previous or '', 20)}"
    head = f":warning: *Correction:* {was} was wrong: the call did {did}."
    if previous is None:
        head = f":warning: *A late answer came in:* the call did {did}."
    elif previous == outcome:
        head = f":information_source: A late answer confirms {was}: the call did {did}."
    return message(
        f"{head} `{code(action)}`\n"
        f"*Code* `{_value(answer.code)}` · *HTTP status* {_http(answer)}\n"
        f"*Message* {_value(answer.message)}\n*RequestId* `{_value(answer.request_id)}`\n"
        "It was not sent again."
    )


def refusal(reason: str) -> str:
    """Ephemeral text for a refused click or command; nothing changed."""
    return f":no_entry: {mrkdwn_safe(reason, 2500)} Nothing was changed."


def _value(text: str | None) -> str:
    return code(text) if text else "—"


def _http(answer: ExecutionResult) -> str:
    return str(answer.http_status) if answer.http_status else "—"


def _link(url: str) -> str:
    if SAFE_URL.fullmatch(url) and len(url) <= 1000:
        # "&" is still escaped inside a link (formatting#escaping); Slack decodes it.
        return f"<{escape(url)}|{mrkdwn_safe(url, 200)}>"
    return mrkdwn_safe(url, 1000)


def _item_lines(items: Sequence[ItemResult]) -> list[str]:
    """One line per item: its Code, then its parts' Codes."""
    if not items:
        return ["_No per-item results in the response._"]
    lines = []
    for item in items:
        line = f"• {escape(item.kind)} `{_value(item.id)}`: `{_value(item.code)}`"
        if item.parts:
            parts = [f"`{_value(part)}` `{_value(said)}`" for part, said in item.parts]
            line += f" — {escape(item.parts_kind)} " + ", ".join(parts)
        lines.append(line)
    return lines
