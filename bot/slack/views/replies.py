"""Thread replies, direct messages and ephemeral texts, one function per event.

Each returns a :class:`SlackMessage` (``text`` + ``blocks``) to splat into
``chat.postMessage(channel=..., thread_ts=card_ts, **message)``; the ``text`` is the
notification fallback and is escaped like the blocks. Everything that came from a user
or from the cloud (Codes, Messages, reasons) is escaped; people appear only as
``<@U…>`` built from validated ids (see :mod:`bot.slack.views.text`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
from storage.records import ExecutionResult
from storage.states import Status, Vote

# What people should look at when the outcome of a call is unknown, per operation.
WHAT_TO_CHECK: dict[str, str] = {
    "DeleteAccount": "GetAccountDeletionStatus for the member, or Resource Directory in "
    "the console: is the member deleted or being deleted?",
    "DeregisterDelegatedAdministrator": "ListDelegatedAdministrators: is the account still "
    "a delegated administrator for the service?",
    "RelieveAccountRelation": "QueryRelationList: does the financial relation still exist?",
    "ModifyAccountRelation": "QueryRelationList: what state is the financial relation in?",
    "DetachHostAccountsFromUser": "ListHostAccountsForUser: does the user still have the "
    "host accounts?",
}


class SlackMessage(TypedDict):
    """Keyword arguments for ``chat.postMessage`` / ``chat.postEphemeral``."""

    text: str
    blocks: list[dict[str, Any]]


# The head of a result reply per outcome.
_RESULT_HEADS: dict[Status, str] = {
    Status.SUCCEEDED: ":white_check_mark: Succeeded",
    Status.PARTIAL: ":warning: Partly failed",
    Status.FAILED: ":x: Failed",
    Status.UNKNOWN: ":grey_question: Outcome unknown",
}


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
    action: str, outcome: Status, answer: ExecutionResult, next_step: str | None = None
) -> SlackMessage:
    """The call's result: Code, Message, RequestId and HTTP status, always.

    On failure also the error's Recommend link and, when the API page documents the
    Code, ``next_step`` (the catalog's line for people, shown as it is); for
    DetachHostAccountsFromUser the per-host and per-account Codes from ``Results``.
    """
    ok = outcome is Status.SUCCEEDED
    body = answer.body or {}
    head = _RESULT_HEADS.get(outcome, ":x: Failed")
    if ok and action == "DetachHostAccountsFromUser" and _item_failures(body):
        # HTTP 200 with a per-host or per-account Code other than OK is a partial failure.
        head = ":warning: Partly failed"
    lines = [
        f"{head}: `{code(action)}`",
        f"*Code* `{_value(answer.code)}` · *HTTP status* {_http(answer)}",
        f"*Message* {_value(answer.message)}",
        f"*RequestId* `{_value(answer.request_id)}`",
    ]
    if not ok and answer.recommend:
        lines.append(f"*Recommend* {_link(answer.recommend)}")
    if not ok and next_step:
        lines.append(f":point_right: *Next step* {mrkdwn_safe(next_step, 1500)}")
    paragraphs = ["\n".join(lines)]
    if action == "DetachHostAccountsFromUser":
        paragraphs.extend(chunks(_host_lines(body)))
    return message(*paragraphs)


def unknown(action: str, detail: str) -> SlackMessage:
    """The call was sent but no answer came: never re-sent; say what to check."""
    check = WHAT_TO_CHECK.get(action, "the resource in the console")
    return message(
        f":grey_question: The outcome of `{code(action)}` is unknown: "
        f"{mrkdwn_safe(detail, 1000)}\nOffboard will not send it again. "
        f"Please check {mrkdwn_safe(check, 500)}"
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


def _host_lines(body: Mapping[str, Any]) -> list[str]:
    """Per-host and per-host-account Codes of DetachHostAccountsFromUser ``Results``."""
    results = body.get("Results")
    if not isinstance(results, list) or not results:
        return ["_No per-host results in the response._"]
    lines = []
    for host in results:
        if not isinstance(host, Mapping):
            continue
        line = f"• Host `{_value(_str(host.get('HostId')))}`: `{_value(_str(host.get('Code')))}`"
        accounts = host.get("HostAccounts")
        if isinstance(accounts, list) and accounts:
            parts = [
                f"`{_value(_str(a.get('HostAccountId')))}` `{_value(_str(a.get('Code')))}`"
                for a in accounts
                if isinstance(a, Mapping)
            ]
            line += " — accounts " + ", ".join(parts)
        lines.append(line)
    return lines


def _item_failures(body: Mapping[str, Any]) -> int:
    """How many hosts and host accounts in ``Results`` have a Code other than OK."""
    failures = 0
    for host in body.get("Results") or []:
        if not isinstance(host, Mapping):
            continue
        failures += host.get("Code") != "OK"
        accounts = host.get("HostAccounts") or []
        failures += sum(1 for a in accounts if isinstance(a, Mapping) and a.get("Code") != "OK")
    return failures


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
