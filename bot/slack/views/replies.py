"""Thread replies, direct messages and ephemeral texts, one function per event.

Each returns a :class:`SlackMessage` (``text`` + ``blocks``) to splat into
``chat.postMessage(channel=..., thread_ts=card_ts, **message)``; the ``text`` is the
notification fallback and is escaped like the blocks. Everything that came from a user
or from the cloud (Codes, Messages, reasons) is escaped; people appear only as
``<@U…>`` built from validated ids (see :mod:`bot.slack.views.text`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol, TypedDict

from bot.slack.views.card import CardModel, status_line, tally
from bot.slack.views.text import (
    MAX_MESSAGE_BLOCKS,
    MAX_SECTION_TEXT,
    code,
    escape,
    mention,
    mentions,
    mrkdwn_safe,
    section,
    slack_date,
    split_escaped,
    truncate,
)
from commands.catalog.quirks import ItemResult

# A Recommend link is cloud text: only a plain https URL becomes a link (no ``|`` or
# ``>`` that could relabel it), anything else is shown escaped.
_SAFE_URL = re.compile(r"^https://[A-Za-z0-9.-]+(/[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]*)?$")

# A summary up to this long goes in the first paragraph; a longer one gets its own.
_SHORT_SUMMARY = 500


class SlackMessage(TypedDict):
    """Keyword arguments for ``chat.postMessage`` / ``chat.postEphemeral``."""

    text: str
    blocks: list[dict[str, Any]]


class ResultLike(Protocol):
    """The fields of ``commands.client.CallResult`` a result reply shows."""

    @property
    def http_status(self) -> int: ...
    @property
    def code(self) -> str | None: ...
    @property
    def message(self) -> str | None: ...
    @property
    def request_id(self) -> str | None: ...
    @property
    def recommend(self) -> str | None: ...
    @property
    def body(self) -> Mapping[str, Any]: ...
    @property
    def ok(self) -> bool: ...


def message(*paragraphs: str) -> SlackMessage:
    """A message from already-escaped mrkdwn paragraphs, one section each (max 50)."""
    texts = [p for p in paragraphs if p][:MAX_MESSAGE_BLOCKS]
    return {
        "text": truncate(texts[0] if texts else " ", MAX_SECTION_TEXT),
        "blocks": [section(p) for p in texts],
    }


def decided(
    actor: str,
    decision: Literal["approve", "reject"],
    *,
    approvals: Sequence[str],
    rejections: Sequence[str],
    required: int,
) -> SlackMessage:
    """A decision reply in the card's thread: who decided, and the tally after it."""
    verb = ":+1: approved" if decision == "approve" else ":no_entry_sign: rejected"
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
    outcome: ResultLike,
    next_step: str | None = None,
    *,
    items: Sequence[ItemResult] | None = None,
    partial: bool = False,
) -> SlackMessage:
    """The call's result: Code, Message, RequestId and HTTP status, always.

    On failure also the error's Recommend link and, when the API page documents the
    Code, ``next_step`` (the catalog's line for people, shown as it is). ``items``: the
    per-item Codes of an operation whose answer has them (the spec's ``quirks.items``);
    ``partial``: the stored outcome is PARTIAL (the spec's ``item_failures`` decided it).
    """
    head = ":white_check_mark: Succeeded" if outcome.ok else ":x: Failed"
    if partial:
        head = ":warning: Partly failed"
    lines = [
        f"{head}: `{code(action)}`",
        f"*Code* `{_value(outcome.code)}` · *HTTP status* {outcome.http_status}",
        f"*Message* {_value(outcome.message)}",
        f"*RequestId* `{_value(outcome.request_id)}`",
    ]
    if not outcome.ok and outcome.recommend:
        lines.append(f"*Recommend* {_link(outcome.recommend)}")
    if not outcome.ok and next_step:
        lines.append(f":point_right: *Next step* {mrkdwn_safe(next_step, 1500)}")
    paragraphs = ["\n".join(lines)]
    if items is not None:
        paragraphs.extend(_chunks(_item_lines(items)))
    return message(*paragraphs)


def unknown(action: str, detail: str) -> SlackMessage:
    """The call was sent but no answer came: never re-sent. ``detail`` is the stored
    message, which says so and names what to check (the spec's ``what_to_check``, see
    ``bot.execution.reconcile``): one wording for the thread, the card and the DM."""
    return message(
        f":grey_question: The outcome of `{code(action)}` is unknown: {mrkdwn_safe(detail, 1500)}"
    )


def reconciled(action: str, status: str, detail: str) -> SlackMessage:
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


def correction(action: str, previous: str | None, outcome: ResultLike) -> SlackMessage:
    """A real answer that came after the execution was taken over and concluded."""
    did = "succeed" if outcome.ok else "fail"
    was = f"the earlier {mrkdwn_safe(previous or '', 20)}"
    head = f":warning: *Correction:* {was} was wrong: the call did {did}."
    if previous is None:
        head = f":warning: *A late answer came in:* the call did {did}."
    elif previous == ("SUCCEEDED" if outcome.ok else "FAILED"):
        head = f":information_source: A late answer confirms {was}: the call did {did}."
    return message(
        f"{head} `{code(action)}`\n"
        f"*Code* `{_value(outcome.code)}` · *HTTP status* {outcome.http_status}\n"
        f"*Message* {_value(outcome.message)}\n*RequestId* `{_value(outcome.request_id)}`\n"
        "It was not sent again."
    )


def requester_dm(model: CardModel, permalink: str | None = None) -> SlackMessage:
    """The direct message telling the requester how their request ended.

    The summary can quote parameter values, so it is never cut: a long one gets sections
    of its own after the first line.
    """
    summary = escape(model.summary)
    short = len(summary) <= _SHORT_SUMMARY
    head = f"Your request `{code(model.request_id)}`" + (f" ({summary})" if short else "")
    lines = [f"{head}: *{status_line(model.status)}*", tally(model)]
    if model.result_summary:
        lines.append(mrkdwn_safe(model.result_summary, 1500))
    if permalink and _SAFE_URL.fullmatch(permalink):
        lines.append(f"<{escape(permalink)}|Open the approval card>")
    return message("\n".join(lines), *([] if short else split_escaped(summary)))


def refusal(reason: str) -> str:
    """Ephemeral text for a refused click or command; nothing changed."""
    return f":no_entry: {mrkdwn_safe(reason, 2500)} Nothing was changed."


def status_text(model: CardModel) -> SlackMessage:
    """``/offboard status ID``: one request in a few lines, its summary never cut."""
    summary = escape(model.summary)
    short = len(summary) <= _SHORT_SUMMARY
    lines = [
        f"`{code(model.request_id)}` · `{code(model.action)}` · *{status_line(model.status)}*",
        *([summary] if short else []),
        f"Requested by {mention(model.requester)} {slack_date(model.created_at)}",
        tally(model),
    ]
    if model.result_summary:
        lines.append(mrkdwn_safe(model.result_summary, 1000))
    return message("\n".join(lines), *([] if short else split_escaped(summary)))


def pending_list(models: Sequence[CardModel]) -> SlackMessage:
    """``/offboard list``: the pending requests, one line each."""
    if not models:
        return message("No requests are waiting for approval.")
    lines = [
        f"• `{code(m.request_id)}` `{code(m.action)}` {mrkdwn_safe(m.summary, 300)} — "
        f"{mention(m.requester)}, {len(m.approvals)} of {m.required}, "
        f"expires {slack_date(m.expires_at)}"
        for m in models
    ]
    return message(f"*{len(models)} pending*", *_chunks(lines))


def _value(text: str | None) -> str:
    return code(text) if text else "—"


def _link(url: str) -> str:
    if _SAFE_URL.fullmatch(url) and len(url) <= 1000:
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


def _chunks(lines: Sequence[str]) -> list[str]:
    """Group lines into paragraphs under the 3000-character section limit."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = truncate(line, MAX_SECTION_TEXT)
        if current and len(current) + 1 + len(line) > MAX_SECTION_TEXT:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks
