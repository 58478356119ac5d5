"""Drains the outbox to Slack, retrying from what is stored.

Every announcement was written in the same transaction as the change it announces, so
nothing is lost if Slack is down or this process dies: undelivered rows stay in the
outbox and are delivered later, in order per thread. The announcer only *reads*
requests, decisions and executions; it never changes a request, so a Slack failure can
delay a message but can never cause a second execution.

Each row holds one event (:mod:`bot.events`) and the surface it is told on:

``card``    the card of the event's request: ``chat.postMessage`` in OFFBOARD_APPROVAL_CHANNEL
            the first time (its ``ts`` is stored with ``set_card``; inside the event's
            thread when that is another card's), ``chat.update`` afterwards. Rendered
            from the database at delivery time, so one delivery shows every change
            queued before it; later card rows of the same batch are then no-ops.
``thread``  a reply in the event's thread: ``thread_ts`` = the ``ts`` of the card that
            starts it (Slack: always the parent's).
``dm``      ``conversations.open`` with the requester, then ``chat.postMessage`` there
            (a ``U…`` id as channel would land in Slackbot's DM instead).
``notice``  a message in the approval channel about no card in particular (step-up
            enrolments, resets, recovery codes used, lock-outs).
``home``    ``views.publish`` of one person's Home tab (:mod:`bot.slack.home`), queued
            when a card row is delivered for everyone the change concerns.
``plan_card``, ``plan_thread``, ``plan_dm``  a member plan's events
            (:mod:`bot.plan_events`), told by :mod:`bot.slack.plan_announcer`, which also
            shows the events of a request that is a plan's gate (they name the plan's
            thread, so the plan's news and its gates' keep one order).

Delivery is at least once: a crash between Slack's answer and ``mark_announced`` repeats
one message, which is better than losing a result.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import events, plan_events
from bot.deps import Deps
from bot.errors import BotError
from bot.events import Surface
from bot.slack import home, rendering
from bot.slack.plan_announcer import PlanDelivery
from bot.slack.thread_replies import Stored, thread_message
from bot.slack.views.card import CardModel, build_card
from bot.slack.views.replies import SlackMessage
from bot.slack.views.step_up import notice
from bot.slack.views.summaries import requester_dm
from commands.errors import OffboardError
from storage.records import AnnouncementRecord, RequestRecord

log = structlog.get_logger(__name__)

# Slack asks for at most about one message per second per channel; bursts are fine.
# Retries back off exponentially so an outage is not hammered: 1 s, 2 s, 4 s ... 5 min.
_FIRST_RETRY = 1.0
_MAX_RETRY = 300.0


class _Undeliverable(Exception):
    """Not deliverable yet (e.g. a thread reply whose card has no ts): retry later."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


# What delivery retries later: Slack refused, or our own errors (rendering a card can
# meet a policy that cannot resolve its approvers right now).
_RETRIED = (SlackApiError, SlackClientError, OffboardError, BotError, _Undeliverable)


class Announcer:
    """Claims batches of announcements and delivers them; run it in one thread."""

    def __init__(
        self,
        deps: Deps,
        *,
        owner: str | None = None,
        batch: int = 25,
        lease_seconds: float = 60.0,
    ) -> None:
        self.deps = deps
        self.owner = owner or f"announcer-{socket.gethostname()}-{os.getpid()}"
        self.batch = batch
        self.lease_seconds = lease_seconds
        self._plans = PlanDelivery(deps)

    @property
    def slack(self) -> WebClient:
        return self.deps.slack

    def run_forever(self, stop: threading.Event, idle: float = 1.0) -> None:
        """Deliver until ``stop`` is set; sleeps ``idle`` s unless the bell rings."""
        while not stop.is_set():
            try:
                delivered = self.run_once()
            except Exception:  # the database is down, say: log, wait, try again
                log.exception("announcer_pass_failed")
                delivered = 0
            if not delivered:
                self.deps.announcer_bell.wait(idle)

    def run_once(self) -> int:
        """One pass: claim, deliver in order, mark. Returns how many were delivered."""
        claimed = self.deps.repo.claim_announcements(
            owner=self.owner,
            limit=self.batch,
            lease_seconds=self.lease_seconds,
            now=self.deps.clock(),
        )
        batch = _Batch()
        return sum(self._one(item, batch) for item in claimed)

    def _one(self, item: AnnouncementRecord, batch: _Batch) -> int:
        """Deliver ``item`` unless its thread already failed in this batch; 1 if sent."""
        repo = self.deps.repo
        news = events.parse(item.payload, item.request_id)
        key = _order_key(item, news)
        if key in batch.failed:
            # Keep the order: release it to be retried after the one that failed.
            repo.mark_announcement_failed(item.id, "after a failed one", batch.failed[key])
            return 0
        try:
            if item.kind != Surface.CARD or item.request_id not in batch.cards:
                self.deliver(item, news)
            if item.kind == Surface.CARD:
                batch.cards.add(item.request_id)
        except (SlackApiError, SlackClientError, OffboardError, BotError, _Undeliverable) as error:
            batch.failed[key] = retry_at = self.deps.clock() + _backoff(item.attempts)
            repo.mark_announcement_failed(item.id, _describe(error), retry_at)
            log.warning(
                "announcement_failed",
                announcement=item.id,
                request_id=item.request_id,
                kind=item.kind,
                attempts=item.attempts + 1,
                error=_describe(error),
            )
            return 0
        repo.mark_announced(item.id, self.deps.clock())
        return 1

    def deliver(self, item: AnnouncementRecord, news: events.Told) -> None:
        """Tell ``news`` on the row's surface (its ``kind``); raises when Slack refused it."""
        if item.kind == Surface.HOME:  # a refresh of one person's tab: no event, a user
            home.publish(self.deps, str(item.payload.get("user") or ""))
        elif item.kind in _ABOUT_A_PLAN and isinstance(news, plan_events.PlanEvent):
            self._plans.deliver(Surface(item.kind), news)
        elif item.kind == Surface.NOTICE:
            if not isinstance(news, events.Notice):  # one this version cannot read
                news = events.UnrecognisedNotice(event=news.event)
            self._post(self.deps.approval_channel, notice(news))
        elif item.kind in _ABOUT_A_REQUEST and isinstance(news, events.RequestEvent):
            record = self._request(news.request_id)
            if record.plan_id is not None:  # a gate of a member plan, shown as the plan's
                if item.kind == Surface.CARD:  # a gate waits in approvers' Home tabs too
                    home.queue_refresh(self.deps, home.concerned(self.deps, record))
                self._plans.gate(Surface(item.kind), news, record)
            elif item.kind == Surface.CARD:
                self._card(news, record)
            elif item.kind == Surface.THREAD:
                self._thread(news, record)
            else:
                self._dm(record)
        else:
            raise _Undeliverable(f"no {item.kind!r} for {news.event!r}")

    def _request(self, request_id: str) -> RequestRecord:
        record = self.deps.repo.get_request(request_id)
        if record is None:
            raise _Undeliverable(f"no request {request_id}")
        return record

    def _card(self, news: events.RequestEvent, record: RequestRecord) -> None:
        # Queued first: if posting fails, this row is retried and queues them again
        # (coalesced), so no one's tab is left out of date.
        home.queue_refresh(self.deps, home.concerned(self.deps, record))
        blocks, text = build_card(self._model(record))
        if record.card_ts is not None:
            # Send blocks *and* text: "if you pass text and omit blocks, the old blocks
            # are removed" (chat.update).
            self.slack.chat_update(
                channel=record.channel or self.deps.approval_channel,
                ts=record.card_ts,
                text=text,
                blocks=blocks,
            )
            return
        channel, parent = self.deps.approval_channel, None
        if news.where.card_of != record.id:  # a card inside another card's thread
            channel, parent = self._parent(news.where)
        posted = self.slack.chat_postMessage(
            channel=channel, thread_ts=parent, text=text, blocks=blocks
        )
        self.deps.repo.set_card(record.id, str(posted["channel"]), str(posted["ts"]))

    def _thread(self, news: events.RequestEvent, record: RequestRecord) -> None:
        channel, parent = self._parent(news.where)
        catalog = self.deps.catalog
        stored = Stored(
            record,
            self.deps.repo.get_execution(record.id),
            rendering.endpoint(record, self.deps.cloud, catalog),
            catalog,
        )
        self._post(channel, thread_message(news, stored), parent)

    def _parent(self, thread: events.Thread) -> tuple[str, str]:
        """The channel and ``ts`` of the card that starts ``thread``."""
        card = self.deps.repo.get_request(thread.card_of)
        if card is None or card.card_ts is None:
            raise _Undeliverable("the card has not been posted yet")
        return card.channel or self.deps.approval_channel, card.card_ts

    def _dm(self, record: RequestRecord) -> None:
        opened = self.slack.conversations_open(users=record.requester)
        channel = str(opened["channel"]["id"])
        self._post(channel, requester_dm(self._model(record)))

    def _post(self, channel: str, message: SlackMessage, thread_ts: str | None = None) -> None:
        if thread_ts is None:
            self.slack.chat_postMessage(channel=channel, **message)
        else:
            self.slack.chat_postMessage(channel=channel, thread_ts=thread_ts, **message)

    def _model(self, record: RequestRecord) -> CardModel:
        repo = self.deps.repo
        return rendering.card_model(
            record,
            repo.decisions_for(record.id),
            self.deps.cloud,
            repo.get_execution(record.id),
            policy=self.deps.policy.snapshot(),
            catalog=self.deps.catalog,
        )


_ABOUT_A_REQUEST = frozenset({Surface.CARD, Surface.THREAD, Surface.DM})
_ABOUT_A_PLAN = frozenset({Surface.PLAN_CARD, Surface.PLAN_THREAD, Surface.PLAN_DM})


@dataclass
class _Batch:
    """What one pass has seen: threads whose delivery failed (retry time), cards drawn."""

    failed: dict[str, datetime] = field(default_factory=dict)
    cards: set[str | None] = field(default_factory=set)


def _order_key(item: AnnouncementRecord, news: events.Told) -> str:
    # Order is kept per thread; a person's Home tab and the notices (no thread) keep
    # theirs among themselves.
    if item.kind == Surface.HOME:
        return f"home:{item.payload.get('user')}"
    where = news.where
    return "notices" if where is None else f"thread:{where.card_of}"


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(_FIRST_RETRY * 2 ** min(attempts, 16), _MAX_RETRY))


def _describe(error: Exception) -> str:
    # Slack's error code only: a response body could echo what we sent.
    if isinstance(error, SlackApiError):
        code = error.response.get("error") if error.response is not None else None
        return f"slack: {code or error.response.status_code}"
    if isinstance(error, _Undeliverable):
        return error.why
    return f"{type(error).__name__}: {error}"
