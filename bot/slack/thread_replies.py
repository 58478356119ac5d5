"""The reply in a card's thread for each event, chosen by the event's type.

The event says what happened (and carries the tally counted when a decision was taken,
so a reply says "Now 1 of 2" even if more came since); everything else is re-read from
the database when the reply is rendered, so a retried announcement shows the result as
it is stored now.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import singledispatch

from bot.events import (
    Approved,
    Cancelled,
    Correction,
    Decided,
    Ending,
    Executing,
    Expired,
    Progress,
    Reconciled,
    Rejected,
    RequestEvent,
    Tampered,
)
from bot.slack import rendering
from bot.slack.views import replies
from bot.slack.views.card import status_line
from bot.slack.views.replies import SlackMessage
from commands.catalog import DEFAULT_CATALOG, Catalog
from storage.records import ExecutionRecord, RequestRecord
from storage.states import Status


@dataclass(frozen=True)
class Stored:
    """What the database holds now about the event's request."""

    record: RequestRecord
    execution: ExecutionRecord | None
    endpoint: str = ""  # where the call goes, for the "calling" reply
    catalog: Catalog = DEFAULT_CATALOG  # the operation's spec: next steps, per-item Codes


def thread_message(news: RequestEvent, stored: Stored) -> SlackMessage:
    """The thread reply that tells ``news``."""
    return _reply(news, stored)


@singledispatch
def _reply(news: RequestEvent, stored: Stored) -> SlackMessage:
    # An event with no reply of its own (one this version does not know): the status.
    return _status(stored)


def _status(stored: Stored) -> SlackMessage:
    return replies.message(status_line(stored.record.status))


@_reply.register
def _decided(news: Decided, stored: Stored) -> SlackMessage:
    return replies.decided(
        news.actor or "",
        news.vote,
        approvals=news.approvals,
        rejections=news.rejections,
        required=news.required,
    )


@_reply.register
def _approved(news: Approved, stored: Stored) -> SlackMessage:
    return replies.approved(news.approvals, news.required)


@_reply.register
def _rejected(news: Rejected, stored: Stored) -> SlackMessage:
    return replies.rejected(news.actor or "")


@_reply.register
def _cancelled(news: Cancelled, stored: Stored) -> SlackMessage:
    return replies.cancelled(news.actor or "")


@_reply.register
def _expired(news: Expired, stored: Stored) -> SlackMessage:
    return replies.expired("execution" if news.was is Status.APPROVED else "approval")


@_reply.register
def _executing(news: Executing, stored: Stored) -> SlackMessage:
    return replies.executing(stored.record.operation, stored.endpoint)


@_reply.register
def _progress(news: Progress, stored: Stored) -> SlackMessage:
    return replies.progress(stored.record.operation, news.status or news.phase, news.details)


@_reply.register
def _ended(news: Ending, stored: Stored) -> SlackMessage:
    record, execution = stored.record, stored.execution
    if execution is None or execution.outcome is None:
        return _status(stored)
    if isinstance(news, Reconciled):
        return replies.reconciled(record.operation, news.status, execution.result.message or "")
    if execution.outcome is Status.UNKNOWN:
        detail = execution.result.message or "no answer came back"
        return replies.unknown(record.operation, detail)
    catalog = stored.catalog
    return replies.result(
        record.operation,
        execution.outcome,
        execution.result,
        rendering.next_step(record, execution, catalog),
        items=rendering.items(record, execution, catalog),
    )


@_reply.register
def _correction(news: Correction, stored: Stored) -> SlackMessage:
    execution = stored.execution
    if execution is None or execution.late is None:
        return _status(stored)
    late = execution.late
    return replies.correction(stored.record.operation, execution.outcome, late.outcome, late.result)


@_reply.register
def _tampered(news: Tampered, stored: Stored) -> SlackMessage:
    return replies.tampered(news.why)
