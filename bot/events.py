"""What happened, to be told in Slack: one typed event per kind of news.

Producers make an event and turn it into outbox drafts with :func:`drafts`, written in
the same transaction as the change the event tells (so nothing is told that is not
stored, and nothing stored goes untold). The announcer reads each back with
:func:`parse` and renders it by its type; a payload is only ever ``event.dump()``.

    produced by                          events
    bot/approvals/workflow.py            Submitted
    bot/approvals/rules.py               Decided, Approved, Rejected, Cancelled, Expired
    bot/execution/results.py             Executing, Progress, Result, Reconciled, Correction
    bot/execution/door.py                Tampered
    bot/approvals/enrolment.py, step_up  Enrolled, Reset, KeyRotated, RecoveryUsed, LockedOut
    bot/plans/ (bot/plan_events.py)      a member plan's: Proposed, GateRunning, StepTold, ...

Each event type says where it is told (``ON``), one outbox row per surface:

    card    the card of ``request_id``, re-rendered from the database (the event is a hint)
    thread  a reply in the event's thread
    dm      a direct message to the requester of ``request_id``
    notice  a message in the approval channel about no card (step-up)
    home    one person's Home tab re-published (queued by the announcer with each card;
            its row holds the user, not an event: see bot.slack.home)
    plan_card, plan_thread, plan_dm   a member plan's card, its thread, its requester

Threads: every request event names the Slack thread it belongs to (:class:`Thread`, the
thread under the card of ``card_of``). Left out, it is the thread of the request's own
card; a request shown inside another card's thread (a member plan's gates) names that
card, so one thread carries several requests, in order. A plan's own events are told in
the thread of the plan card (``Thread(card_of=plan_id)``).

Payloads written by an older version parse too (they carry the same keys without
``thread``); one this version does not know parses as :class:`Unrecognised`, which is
told as the request's status rather than lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError

from bot import plan_events as plan
from bot.event_base import Surface as Surface
from bot.event_base import Thread as Thread
from bot.event_base import Told as Told
from storage.records import AnnouncementDraft, RequestRecord
from storage.states import Phase, Status, Vote


class RequestEvent(Told):
    """News about one request, told in a thread (``thread``, else the request's own)."""

    request_id: str
    actor: str | None = None
    thread: Thread | None = None

    @property
    def where(self) -> Thread:
        """The thread this event is told in."""
        return self.thread or Thread(card_of=self.request_id)

    def dump(self) -> dict[str, Any]:
        """The payload, naming its thread even when it is the request's own."""
        return {**super().dump(), "thread": self.where.model_dump(mode="json")}


# --- the approval ------------------------------------------------------------------------


class Submitted(RequestEvent):
    ON = (Surface.CARD,)
    event: Literal["submitted"] = "submitted"


class _Counted(RequestEvent):
    """A decision and the tally the rules counted right after it."""

    vote: Vote
    approvals: tuple[str, ...] = ()
    rejections: tuple[str, ...] = ()
    required: int


class Decided(_Counted):
    ON = (Surface.CARD, Surface.THREAD)
    event: Literal["decided"] = "decided"


class Approved(_Counted):
    ON = (Surface.CARD, Surface.THREAD)
    event: Literal["approved"] = "approved"
    execute_by: datetime


class Rejected(_Counted):
    ON = (Surface.CARD, Surface.THREAD, Surface.DM)
    event: Literal["rejected"] = "rejected"


class Cancelled(RequestEvent):
    ON = (Surface.CARD, Surface.THREAD)
    event: Literal["cancelled"] = "cancelled"


class Expired(RequestEvent):
    """Timed out: ``was`` PENDING (no decision in time) or APPROVED (never started)."""

    ON = (Surface.CARD, Surface.THREAD, Surface.DM)
    event: Literal["expired"] = "expired"
    was: Status
    why: str


# --- the execution -----------------------------------------------------------------------


class Executing(RequestEvent):
    """Marked sent: the call is going out."""

    ON = (Surface.CARD, Surface.THREAD)
    event: Literal["executing"] = "executing"
    phase: Phase = Phase.SENDING


class Progress(RequestEvent):
    """How a long-running call is doing (``status`` in the cloud's words)."""

    ON = (Surface.THREAD,)
    event: Literal["progress"] = "progress"
    phase: Phase
    status: str = ""
    details: tuple[str, ...] = ()


class Ending(RequestEvent):
    """The execution ended in ``status``; its result is read from the database."""

    ON = (Surface.CARD, Surface.THREAD, Surface.DM)
    status: Status


class Result(Ending):
    """The answer to the call (or, when none came, what is known)."""

    event: Literal["result"] = "result"


class Reconciled(Ending):
    """After a restart: what was found about a call that was under way."""

    event: Literal["reconciled"] = "reconciled"


class Correction(RequestEvent):
    """A real answer that came after the execution was taken over; it shows ``status``."""

    ON = (Surface.CARD, Surface.THREAD)
    event: Literal["correction"] = "correction"
    status: Status


class Tampered(RequestEvent):
    """The door refused a request marked ``was`` that its decisions do not justify."""

    ON = (Surface.CARD, Surface.THREAD)
    event: Literal["tampered"] = "tampered"
    was: Status
    why: str


# --- step-up notices ---------------------------------------------------------------------


class Notice(Told):
    """A message in the approval channel about an approver's second factor."""

    ON = (Surface.NOTICE,)
    user: str = ""


class Enrolled(Notice):
    event: Literal["enrolled"] = "enrolled"
    by: str


class Reset(Notice):
    event: Literal["reset"] = "reset"
    by: str


class KeyRotated(Notice):
    event: Literal["key_rotated"] = "key_rotated"
    by: str
    count: int


class RecoveryUsed(Notice):
    """An approval made with a recovery code instead of an authenticator code."""

    event: Literal["recovery_used"] = "recovery_used"
    request_id: str
    left: int


class LockedOut(Notice):
    event: Literal["locked_out"] = "locked_out"
    until: datetime


# --- what this version does not know ----------------------------------------------------


class Unrecognised(RequestEvent):
    """A request event this version cannot read; told as the request's status."""


class UnrecognisedNotice(Notice):
    """A notice this version cannot read; told by its name only."""


_KNOWN = Annotated[
    Submitted
    | Decided
    | Approved
    | Rejected
    | Cancelled
    | Expired
    | Executing
    | Progress
    | Result
    | Reconciled
    | Correction
    | Tampered
    | Enrolled
    | Reset
    | KeyRotated
    | RecoveryUsed
    | LockedOut
    | plan.Proposed
    | plan.NothingProposed
    | plan.Moved
    | plan.GateRunning
    | plan.StepTold
    | plan.StepStopped
    | plan.StepResumed
    | plan.Blocked
    | plan.Gate2Opened
    | plan.RollbackOpened
    | plan.Succeeded
    | plan.RolledBack
    | plan.Abandoned
    | plan.Ended,
    Field(discriminator="event"),
]
_PARSER: TypeAdapter[_KNOWN] = TypeAdapter(_KNOWN)


def thread_of(record: RequestRecord) -> Thread | None:
    """Where a request's events are told when not under its own card: a member plan's
    gate is told under the plan card, in one order with the plan's own news."""
    return None if record.plan_id is None else Thread(card_of=record.plan_id)


def drafts(*events: Told) -> tuple[AnnouncementDraft, ...]:
    """Outbox drafts for ``events``: one per surface each is told on, in order."""
    return tuple(AnnouncementDraft(str(on), event.dump()) for event in events for on in event.ON)


def parse(payload: Mapping[str, Any], request_id: str | None) -> Told:
    """The event an outbox payload holds; ``request_id`` is the outbox row's.

    Never raises: a payload this version cannot read is :class:`Unrecognised` (or
    :class:`UnrecognisedNotice` when it is about no request, or
    :class:`~bot.plan_events.UnrecognisedPlanEvent` when it names a member plan).
    """
    try:
        return _PARSER.validate_python(payload)
    except ValidationError:
        name = str(payload.get("event", ""))
        plan_id = payload.get("plan_id")
        if isinstance(plan_id, str) and plan_id:  # a member plan's, told under its card
            return plan.UnrecognisedPlanEvent(event=name, plan_id=plan_id)
        if request_id is None:
            return UnrecognisedNotice(event=name)
        return Unrecognised(event=name, request_id=request_id)
