"""What is specific to one operation, declared on its spec instead of named in ``bot/``.

An :class:`~commands.catalog.base.OperationSpec` holds one :class:`Quirks` value. Each
field is optional; an operation without quirks is a plain call that succeeds or fails on
its answer. ``bot/`` uses these without knowing any operation by name:

    prechecks      read-only look-ups shown to approvers before they decide
    follow_up      after the cloud accepted the call, poll until it ends (DeleteAccount:
                   GetAccountDeletionStatus through Checking and Deleting)
    settle         a sent call got no answer: ask the cloud what became of it
    what_to_check  when nothing can settle it: the read-only check a person should run
    item_failures  per-item failures inside a successful answer (DetachHostAccountsFromUser's
                   host results): a non-empty list makes the outcome PARTIAL

Every callable takes a :class:`Reader` (read-only calls only) and the call's validated
parameters, so quirks are tested against the sandbox cloud like everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from commands.responses import CallResult

Verdict = Literal["RUNNING", "SUCCEEDED", "FAILED", "UNKNOWN"]
FindingStatus = Literal["ok", "blocked", "warning", "error"]


class Reader(Protocol):
    """Read-only calls by action name; refuses anything that changes the cloud."""

    def read(self, action: str, params: Mapping[str, Any], /) -> CallResult: ...


@dataclass(frozen=True)
class Progress:
    """What the cloud says of a call: a final verdict, or RUNNING (keep following).

    ``result`` is the read's answer that says so (kept with the execution).
    """

    verdict: Verdict
    message: str
    details: tuple[str, ...] = ()
    result: CallResult | None = None


@dataclass(frozen=True)
class Finding:
    """One thing the pre-checks found, for approvers: a title, a status, detail lines."""

    title: str
    status: FindingStatus
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class FollowUp:
    """Poll after acceptance until the call ends: doubling delays, a bounded count."""

    poll: Callable[[Reader, Any], Progress]
    first_delay: float = 1.0
    max_delay: float = 15.0
    max_polls: int = 240


@dataclass(frozen=True)
class Quirks:
    """Everything one operation does beyond "send it once and read the answer"."""

    prechecks: Callable[[Reader, Any], list[Finding]] | None = None
    follow_up: FollowUp | None = None
    settle: Callable[[Reader, Any], Progress] | None = None
    what_to_check: Callable[[Any], str] | None = None
    item_failures: Callable[[CallResult], tuple[str, ...]] | None = None
    # Free-form facts other parts may need, kept out of bot/ (e.g. which read confirms
    # a step of a plan): named, documented where they are set.
    extra: Mapping[str, Any] = field(default_factory=dict)


NO_QUIRKS = Quirks()
