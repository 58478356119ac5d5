"""What is specific to one operation, declared on its spec instead of named in ``bot/``.

An :class:`~commands.catalog.base.OperationSpec` holds one :class:`Quirks` value. Each
field is optional; an operation without quirks is a plain call that succeeds or fails on
its answer. ``bot/`` uses these without knowing any operation by name:

    prechecks      read-only look-ups shown to approvers before they decide
    follow_up      after the cloud accepted the call, poll until it ends (DeleteAccount:
                   GetAccountDeletionStatus through Checking and Deleting)
    settle         a sent call got no answer: ask the cloud what became of it
    what_to_check  when nothing can settle it: the read-only check a person should run
    items          the per-item Codes inside a successful answer (DetachHostAccountsFromUser's
                   host results), shown in the thread
    item_failures  the items among them that failed: a non-empty tuple makes the stored
                   outcome PARTIAL, not SUCCEEDED
    already_done   which answers to a second send mean the effect is already in place
                   (a plan's retried step; see ``commands.catalog.already_done``)
    extra          named facts other parts may need, documented where they are set

Every callable that reads takes a :class:`Reader` (read-only calls only) and the call's
validated parameters, so quirks are tested against the sandbox cloud like everything
else; pre-checks take :class:`Checks` (a Reader with the polling pace). ``what_to_check``
takes the request's stored parameters as strings instead: it must still say something
when they no longer validate. The quirks of each product live next to its specs:
``<product>_quirks.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from commands.errors import OffboardError

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

    # Asked by name so that ``bot`` never spells a verdict (its words are states' words).
    @property
    def succeeded(self) -> bool:
        return self.verdict == "SUCCEEDED"

    @property
    def failed(self) -> bool:
        return self.verdict == "FAILED"

    @property
    def running(self) -> bool:
        return self.verdict == "RUNNING"


@dataclass(frozen=True)
class Finding:
    """One thing the pre-checks found, for approvers: a title, a status, detail lines."""

    title: str
    status: FindingStatus
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class PollPolicy:
    """How long a pre-check waits for a check the cloud runs (the injected ``sleep``)."""

    interval: float = 1.0
    attempts: int = 10
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class Checks:
    """What pre-checks are given: the Reader, the polling pace, and ``caller_uid`` (the
    account Offboard calls as, when known: it lets a lookup by id find its owner)."""

    reader: Reader
    poll: PollPolicy = field(default_factory=PollPolicy)
    caller_uid: int | None = None

    def read(self, action: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """The body of one read."""
        return dict(self.reader.read(action, params).body)


def guarded(title: str, run: Callable[[], Finding]) -> Finding:
    """``run()``'s finding, or an ``error`` finding saying why a read failed."""
    try:
        return run()
    except OffboardError as exc:
        return Finding(title, "error", (str(exc),))


@dataclass(frozen=True)
class FollowUp:
    """Poll after acceptance until the call ends: doubling delays, a bounded count."""

    poll: Callable[[Reader, Any], Progress]
    first_delay: float = 1.0
    max_delay: float = 15.0
    max_polls: int = 240


@dataclass(frozen=True)
class ItemResult:
    """One item a successful answer reports on, with its own Code, and its parts' Codes:
    ``ItemResult("Host", "1", "OK", "accounts", (("1", "OK"), ("9", "OBJECT_NOT_FOUND")))``."""

    kind: str
    id: str | None
    code: str | None
    parts_kind: str = ""
    parts: tuple[tuple[str | None, str | None], ...] = ()


@dataclass(frozen=True)
class AlreadyDone:
    """How a second send can say the effect is already in place.

    ``codes``: a refusal with one of these Codes is already done, by itself.
    ``item_codes``: a per-item Code inside a successful answer that says the item is
    already in the wanted state. ``by_read``: an undocumented refusal counts as done only
    when the step's verification read then shows the effect in place.
    """

    codes: frozenset[str] = frozenset()
    item_codes: frozenset[str] = frozenset()
    by_read: bool = False


@dataclass(frozen=True)
class Quirks:
    """Everything one operation does beyond "send it once and read the answer"."""

    prechecks: Callable[[Checks, Any], list[Finding]] | None = None
    follow_up: FollowUp | None = None
    settle: Callable[[Reader, Any], Progress] | None = None
    what_to_check: Callable[[Mapping[str, str]], str] | None = None
    items: Callable[[Mapping[str, Any]], tuple[ItemResult, ...]] | None = None
    item_failures: Callable[[CallResult], tuple[str, ...]] | None = None
    already_done: AlreadyDone = AlreadyDone()
    # Free-form facts other parts may need, kept out of bot/ (e.g. which read confirms
    # a step of a plan): named, documented where they are set.
    extra: Mapping[str, Any] = field(default_factory=dict)


NO_QUIRKS = Quirks()
