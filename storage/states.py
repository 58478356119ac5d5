"""The vocabulary of states, defined once: storage checks its columns against these enums
and ``bot`` imports them, so a state cannot be spelled two ways.

    Status       where a request is in its life (the ``requests.status`` column)
    OUTCOMES     the statuses an execution may finish with (``executions.outcome``)
    Vote         one person's decision (``decisions.vote``)
    Assurance    how strongly the person deciding was identified (``decisions.assurance``)
    Phase        how far an execution has got (``executions.phase``)
    PlanState    where a member plan is (the ``plans.state`` column)
    StepState    where one step of a plan is (``plan_steps.state``)

The database checks ``status``, ``outcome``, ``vote``, ``assurance``, ``plans.state`` and
``plan_steps.state`` against these (``sql_one_of`` in the models' CHECK constraints).
``phase`` has no CHECK yet: adding one is a migration, and the column only ever holds what
the worker writes from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum, StrEnum


class Status(StrEnum):
    """Where a request is in its life; the strings are what the database keeps.

    PENDING -> APPROVED -> EXECUTING -> SUCCEEDED | PARTIAL | FAILED | UNKNOWN
    PENDING -> REJECTED | EXPIRED | CANCELLED
    APPROVED -> EXPIRED      (not started within the execution window)
    APPROVED | EXECUTING -> TAMPERED   (refused before sending: the stored decisions do
                                        not justify the approval; nothing was called)
    """

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    EXECUTING = "EXECUTING"
    SUCCEEDED = "SUCCEEDED"
    PARTIAL = "PARTIAL"  # accepted, but some items inside the answer failed (quirks.py)
    FAILED = "FAILED"
    UNKNOWN = "UNKNOWN"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"
    TAMPERED = "TAMPERED"

    @property
    def is_final(self) -> bool:
        """True when nothing can happen to the request any more."""
        return self not in _LIVE


_LIVE = frozenset({Status.PENDING, Status.APPROVED, Status.EXECUTING})

#: Statuses an execution may finish with.
OUTCOMES: tuple[Status, ...] = (
    Status.SUCCEEDED,
    Status.PARTIAL,
    Status.FAILED,
    Status.UNKNOWN,
)


class Vote(StrEnum):
    """One person's decision on a request; the strings are what the database keeps."""

    APPROVE = "approve"
    REJECT = "reject"


class Assurance(IntEnum):
    """How strongly a reviewer was identified; higher is stronger."""

    SLACK_ACCOUNT = 1
    SECOND_FACTOR = 2


class Phase(StrEnum):
    """How far an execution has got, kept on the execution while it runs."""

    SENDING = "sending"  # marked sent, durably, before the call goes out: never re-sent
    FOLLOWING = "following"  # accepted; a long-running operation's progress is followed
    REFUSED = "refused"  # the door refused the request: the call was never sent


class PlanState(StrEnum):
    """Where a member plan is in its life.

    REFUSED (nothing proposed) | GATE1 -> REVERSIBLE -> CHECKING -> GATE2 | BLOCKED
    BLOCKED -> CHECKING (re-check)      GATE2 -> DELETING -> SUCCEEDED | FAILED
    REVERSIBLE | DELETING -> STOPPED (a step failed) -> REVERSIBLE | DELETING (retry, skip)
    GATE2 | BLOCKED -> ROLLBACK (its own gate) -> ROLLING_BACK -> ROLLED_BACK
    any live state -> ABANDONED (the requester) | ENDED (a gate rejected, expired, refused)
    """

    REFUSED = "REFUSED"
    GATE1 = "GATE1"
    REVERSIBLE = "REVERSIBLE"
    CHECKING = "CHECKING"
    BLOCKED = "BLOCKED"
    GATE2 = "GATE2"
    DELETING = "DELETING"
    STOPPED = "STOPPED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    ABANDONED = "ABANDONED"
    ENDED = "ENDED"
    ROLLBACK = "ROLLBACK"
    ROLLING_BACK = "ROLLING_BACK"
    ROLLED_BACK = "ROLLED_BACK"

    @property
    def is_final(self) -> bool:
        return self in _PLAN_FINAL


_PLAN_FINAL = frozenset(
    {
        PlanState.REFUSED,
        PlanState.SUCCEEDED,
        PlanState.FAILED,
        PlanState.ABANDONED,
        PlanState.ENDED,
        PlanState.ROLLED_BACK,
    }
)


class StepState(StrEnum):
    """One step of a plan: PLANNED -> RUNNING (leased; ``sent_at`` marks it sent) ->
    DONE | ALREADY_DONE | FAILED | UNKNOWN; DeleteAccount RUNNING -> FOLLOWING -> DONE |
    FAILED; FAILED | UNKNOWN -> PLANNED (retry) | SKIPPED (skip, with a reason)."""

    PLANNED = "PLANNED"
    RUNNING = "RUNNING"
    FOLLOWING = "FOLLOWING"
    DONE = "DONE"
    ALREADY_DONE = "ALREADY_DONE"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"
    UNKNOWN = "UNKNOWN"

    @property
    def settled(self) -> bool:
        """True when the plan may go on past this step."""
        return self in (StepState.DONE, StepState.ALREADY_DONE, StepState.SKIPPED)


def sql_one_of(column: str, values: Iterable[StrEnum]) -> str:
    """``column IN ('A', 'B')`` for a CHECK constraint, in the enum's own order."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"
