"""Drains the outbox to Slack, retrying from what is stored.

Every announcement was written in the same transaction as the change it announces, so
nothing is lost if Slack is down or this process dies: undelivered rows stay in the
outbox and are delivered later, in order per request. The announcer only *reads*
requests, decisions and executions; it never changes a request, so a Slack failure can
delay a message but can never cause a second execution.

Kinds:

``card``    the approval card: ``chat.postMessage`` in OFFBOARD_APPROVAL_CHANNEL the first
            time (its ``ts`` is stored with ``set_card``), ``chat.update`` afterwards.
            Rendered from the database at delivery time, so one delivery shows every
            change queued before it; later card rows of the same batch are then no-ops.
``thread``  a reply with ``thread_ts`` = the card's ``ts`` (Slack: always the parent's).
``dm``      ``conversations.open`` with the requester, then ``chat.postMessage`` there
            (a ``U…`` id as channel would land in Slackbot's DM instead).
``notice``  a message in the approval channel about no card in particular (step-up
            enrolments, resets, recovery codes used, lock-outs).
``home``    ``views.publish`` of one person's Home tab (:mod:`bot.slack.home`), queued
            when a card row is delivered for everyone the change concerns.
``plan_*``  member plans (:mod:`bot.slack.plan_announcer`), which also shows the
            announcements of a request that is a plan's gate.

Delivery is at least once: a crash between Slack's answer and ``mark_announced`` repeats
one message, which is better than losing a result.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.deps import Deps
from bot.errors import BotError, NotYetDeliverable
from bot.slack import home, rendering
from bot.slack.plan_announcer import PlanDelivery
from bot.slack.views.card import CardModel, build_card
from bot.slack.views.replies import SlackMessage, requester_dm
from bot.slack.views.step_up import notice
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
        repo, now = self.deps.repo, self.deps.clock()
        claimed = repo.claim_announcements(
            owner=self.owner, limit=self.batch, lease_seconds=self.lease_seconds, now=now
        )
        failed: dict[str, datetime] = {}
        cards_done: set[str] = set()
        delivered = 0
        for item in claimed:
            request_id = item.request_id or ""
            if request_id in failed:
                # Keep the order: release it to be retried after the one that failed.
                repo.mark_announcement_failed(item.id, "after a failed one", failed[request_id])
                continue
            try:
                if not (item.kind == "card" and request_id in cards_done):
                    self.deliver(item)
                if item.kind == "card":
                    cards_done.add(request_id)
            except (
                SlackApiError,
                SlackClientError,
                OffboardError,
                BotError,
                _Undeliverable,
            ) as error:
                retry_at = self.deps.clock() + _backoff(item.attempts)
                failed[request_id] = retry_at
                repo.mark_announcement_failed(item.id, _describe(error), retry_at)
                log.warning(
                    "announcement_failed",
                    announcement=item.id,
                    request_id=item.request_id,
                    kind=item.kind,
                    attempts=item.attempts + 1,
                    error=_describe(error),
                )
                continue
            repo.mark_announced(item.id, self.deps.clock())
            delivered += 1
        return delivered

    def deliver(self, item: AnnouncementRecord) -> None:
        """Send one announcement to Slack; raises when Slack refused it."""
        if item.kind == "notice":
            self._post(self.deps.approval_channel, notice(item.payload))
            return
        if item.kind == home.HOME:
            home.publish(self.deps, str(item.payload.get("user") or ""))
            return
        try:
            if item.kind.startswith("plan_"):
                self._plans.deliver(item)
                return
            record = self.deps.repo.get_request(item.request_id or "")
            if record is not None and record.plan_id is not None:
                if item.kind == "card":  # a gate waits in approvers' Home tabs too
                    home.queue_refresh(self.deps, home.concerned(self.deps, record))
                self._plans.gate(item, record)  # a gate of a member plan
                return
        except NotYetDeliverable as why:
            raise _Undeliverable(str(why)) from None
        if record is None:
            raise _Undeliverable(f"no request {item.request_id}")
        deliver: Callable[[AnnouncementRecord, RequestRecord], None] = {
            "card": self._card,
            "thread": self._thread,
            "dm": self._dm,
        }.get(item.kind, self._unknown)
        deliver(item, record)

    def _card(self, item: AnnouncementRecord, record: RequestRecord) -> None:
        # Queued first: if posting fails, this row is retried and queues them again
        # (coalesced), so no one's tab is left out of date.
        home.queue_refresh(self.deps, home.concerned(self.deps, record))
        blocks, text = build_card(self._model(record))
        if record.card_ts is None:
            channel = self.deps.approval_channel
            posted = self.slack.chat_postMessage(channel=channel, text=text, blocks=blocks)
            self.deps.repo.set_card(record.id, str(posted["channel"]), str(posted["ts"]))
        else:
            # Send blocks *and* text: "if you pass text and omit blocks, the old blocks
            # are removed" (chat.update).
            self.slack.chat_update(
                channel=record.channel or self.deps.approval_channel,
                ts=record.card_ts,
                text=text,
                blocks=blocks,
            )

    def _thread(self, item: AnnouncementRecord, record: RequestRecord) -> None:
        if record.card_ts is None:
            raise _Undeliverable("the card has not been posted yet")
        execution = self.deps.repo.get_execution(record.id)
        catalog = self.deps.catalog
        where = rendering.endpoint(record, self.deps.cloud, catalog)
        message = rendering.thread_message(item.payload, record, execution, where, catalog)
        self._post(record.channel or self.deps.approval_channel, message, record.card_ts)

    def _dm(self, item: AnnouncementRecord, record: RequestRecord) -> None:
        opened = self.slack.conversations_open(users=record.requester)
        channel = str(opened["channel"]["id"])
        self._post(channel, requester_dm(self._model(record)))

    def _unknown(self, item: AnnouncementRecord, record: RequestRecord) -> None:
        raise _Undeliverable(f"unknown announcement kind {item.kind!r}")

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
