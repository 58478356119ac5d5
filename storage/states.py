"""The vocabulary of states, defined once: storage checks its columns against these enums
and ``bot`` imports them, so a state cannot be spelled two ways.

    Status       where a request is in its life (the ``requests.status`` column)
    OUTCOMES     the statuses an execution may finish with (``executions.outcome``)
    Vote         one person's decision (``decisions.vote``)
    Assurance    how strongly the person deciding was identified
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
    APPROVE = "approve"
    REJECT = "reject"


class Assurance(IntEnum):
    """How strongly a reviewer was identified; higher is stronger."""

    SLACK_ACCOUNT = 1
    SECOND_FACTOR = 2


def sql_one_of(column: str, values: Iterable[StrEnum]) -> str:
    """``column IN ('A', 'B')`` for a CHECK constraint, in the enum's own order."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"
