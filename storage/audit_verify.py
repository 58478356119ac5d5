"""Verifying the audit log: the hash chain, an anchor, and the approvals behind each call.

``verify(engine, anchor=...)`` (``offboard-bot audit verify``) reads every event once, in
one streaming query of plain rows, and checks:

1. the chain (``storage.audit``): each event's seq, ``prev_hash`` and hash; the first
   bad event is named;
2. the anchor, when given: a head recorded earlier (``offboard-bot audit head``, or the
   head ``audit export`` prints), ``<seq>:<hash>`` or the bare hash. A chain cut at its
   end, or rewritten with fresh hashes, verifies on its own; it no longer reaches the
   anchor;
3. completeness: every executed request (one with an ``execution.sending`` event or an
   execution row) has its ``request.submitted`` event and ``decision.recorded`` approvals
   from enough distinct people other than the requester, and no recorded rejection.
   Enough is the most of: the count in the submitted event, the count on the request's
   row, and one for a destructive call. Each request that falls short is named.

A chain re-hashed after its approval events were deleted passes 1 and fails 3; one cut
short after an execution passes 1 and 3 and fails 2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Engine, select

from storage.audit import GENESIS_HASH, event_hash
from storage.db import READ_ONLY
from storage.models import AuditEventRow, ExecutionRow, PlanStepRow, RequestRow

_STREAM_BATCH = 5000
_WATCHED = frozenset({"request.submitted", "decision.recorded", "execution.sending"})
_COLUMNS = ("seq", "at", "kind", "request_id", "actor", "data", "prev_hash", "hash")


class EventLike(Protocol):
    """The fields of an audit event that verification reads (a record or a row)."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> Any: ...
    @property
    def kind(self) -> str: ...
    @property
    def request_id(self) -> str | None: ...
    @property
    def actor(self) -> str | None: ...
    @property
    def data(self) -> Any: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


@dataclass(frozen=True)
class Gap:
    """An executed request whose approval the log does not show."""

    request_id: str
    problem: str


@dataclass(frozen=True)
class VerifyResult:
    """The verdict: the chain up to its first bad event, and any completeness gaps.

    ``head`` is ``"<seq>:<hash>"`` of the last good event; keep it somewhere else and
    pass it back as ``anchor`` to detect events removed from the end or a rewritten chain.
    """

    checked: int
    head_hash: str
    bad_seq: int | None = None
    reason: str | None = None
    gaps: tuple[Gap, ...] = ()

    @property
    def chain_ok(self) -> bool:
        return self.bad_seq is None

    @property
    def ok(self) -> bool:
        return self.chain_ok and not self.gaps

    @property
    def head(self) -> str:
        return f"{self.checked}:{self.head_hash}"

    def __str__(self) -> str:
        if self.chain_ok:
            lines = [f"audit chain OK: {self.checked} events, head {self.head}"]
        else:
            lines = [f"audit chain BROKEN at event {self.bad_seq}: {self.reason}"]
        lines += [f"request {gap.request_id} INCOMPLETE: {gap.problem}" for gap in self.gaps]
        return "\n".join(lines)


def parse_anchor(anchor: str) -> tuple[int | None, str]:
    """``"<seq>:<hash>"`` or a bare 64-hex hash as (seq or None, hash)."""
    seq, colon, digest = anchor.strip().partition(":")
    if not colon:
        seq, digest = "", seq
    valid_hex = len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
    if not valid_hex or (colon and not seq.isdigit()):
        raise ValueError(f"an anchor looks like 12:<64 hex digits> or the digest, not {anchor!r}")
    return (int(seq) if colon else None), digest


def verify_chain(
    events: Iterable[EventLike],
    *,
    anchor: str | None = None,
    observe: Callable[[EventLike], None] | None = None,
) -> VerifyResult:
    """Check events given in seq order; stop at the first bad one.

    With ``anchor`` (an earlier result's ``head``, or just its hash), also require that
    event to be present and unchanged: without it, cutting events off the end or
    rewriting the whole chain with fresh hashes cannot be told from an honest chain.
    ``observe`` sees each event that checked out, in order.
    """
    anchor_seq, anchor_hash = parse_anchor(anchor) if anchor else (0, GENESIS_HASH)
    found = anchor_seq == 0
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for event in events:
        why = _bad(event, expected_seq, prev_hash)
        if why is None and event.seq == anchor_seq and event.hash != anchor_hash:
            why = "differs from the recorded anchor (the chain was rewritten up to here)"
        if why is not None:
            return VerifyResult(checked, prev_hash, event.seq, why)
        found = found or event.hash == anchor_hash
        if observe is not None:
            observe(event)
        expected_seq, prev_hash, checked = event.seq + 1, event.hash, checked + 1
    if anchor_seq is not None and anchor_seq > checked:
        why = f"the recorded anchor is gone: events after {checked} were removed"
        return VerifyResult(checked, prev_hash, anchor_seq, why)
    if not found:
        why = "the recorded anchor is not in the chain: it was cut short or rewritten"
        return VerifyResult(checked, prev_hash, checked + 1, why)
    return VerifyResult(checked, prev_hash)


def _bad(event: EventLike, expected_seq: int, prev_hash: str) -> str | None:
    if event.seq != expected_seq:
        what = "missing" if event.seq > expected_seq else "out of order"
        return f"expected seq {expected_seq} here: events {what}"
    if event.prev_hash != prev_hash:
        return (
            "prev_hash does not match the previous event's hash "
            "(an event before it was removed, inserted or rewritten)"
        )
    digest = event_hash(
        prev_hash, event.seq, event.at, event.kind, event.request_id, event.actor, event.data
    )
    if digest != event.hash:
        return "hash does not match the event's content (the row was edited)"
    return None


@dataclass
class _Trail:
    """What the log says about one request, gathered while the chain is read."""

    requester: str | None = None
    required: int = 0
    submitted: bool = False
    sent: bool = False
    approvals: set[str] = field(default_factory=set)
    rejections: set[str] = field(default_factory=set)


class _Completeness:
    """Collects each request's trail from the events verified (``see``)."""

    def __init__(self) -> None:
        self.trails: dict[str, _Trail] = {}

    def see(self, event: EventLike) -> None:
        """Take note of a verified event, if it is about a request's approval."""
        kind = event.kind
        if kind not in _WATCHED or event.request_id is None:
            return
        data = event.data if isinstance(event.data, dict) else {}
        trail = self.trails.setdefault(str(event.request_id), _Trail())
        if kind == "request.submitted":
            trail.submitted, trail.requester = True, event.actor
            required = data.get("required")
            trail.required = max(required if isinstance(required, int) else 0, 0)
            trail.required = max(trail.required, 1 if data.get("destructive") else 0)
        elif kind == "execution.sending":
            trail.sent = True
        elif event.actor is not None and data.get("vote") == "approve":
            trail.approvals.add(event.actor)
        elif event.actor is not None and data.get("vote") == "reject":
            trail.rejections.add(event.actor)

    def gaps(self, executed: dict[str, int]) -> tuple[Gap, ...]:
        """``executed``: request id -> required count on its row (-1 when no row)."""
        for request_id, trail in self.trails.items():
            if trail.sent:
                executed.setdefault(request_id, -1)
        return tuple(
            Gap(request_id, problem)
            for request_id in sorted(executed)
            if (problem := self._problem(self.trails.get(request_id), executed[request_id]))
        )

    @staticmethod
    def _problem(trail: _Trail | None, row_required: int) -> str | None:
        if trail is None or not trail.submitted:
            return "executed, but its request.submitted event is missing"
        approvals = trail.approvals - {trail.requester}
        required = max(trail.required, row_required)
        if trail.rejections:
            return f"executed, but rejected by {', '.join(sorted(trail.rejections))}"
        if len(approvals) < required:
            return (
                f"executed with {len(approvals)} recorded approval(s) from people other "
                f"than the requester; {required} required"
            )
        return None


@contextmanager
def streamed_rows(engine: Engine) -> Iterator[Iterator[Any]]:
    """Every event as a plain row, in seq order, from one streaming query (a server-side
    cursor on PostgreSQL), closed on exit even when the reader stopped early."""
    query = select(*(getattr(AuditEventRow, name) for name in _COLUMNS))
    query = query.order_by(AuditEventRow.seq)
    with engine.connect().execution_options(
        **READ_ONLY, stream_results=True, yield_per=_STREAM_BATCH
    ) as connection:
        result = connection.execute(query)
        try:
            yield iter(result)
        finally:
            result.close()


def _executed(engine: Engine) -> dict[str, int]:
    """Requests with an execution row, and plan gates with a step marked sent -> the
    required count on their row."""
    query = (
        select(ExecutionRow.request_id, RequestRow.required_approvals)
        .join(RequestRow, RequestRow.id == ExecutionRow.request_id, isouter=True)
        .distinct()
    )
    gates = (
        select(PlanStepRow.request_id, RequestRow.required_approvals)
        .join(RequestRow, RequestRow.id == PlanStepRow.request_id, isouter=True)
        .where(PlanStepRow.sent_at.is_not(None))
        .distinct()
    )
    with engine.connect().execution_options(**READ_ONLY) as connection:
        rows = [*connection.execute(query), *connection.execute(gates)]
        return {row[0]: (row[1] if row[1] is not None else -1) for row in rows}


def verify(engine: Engine, *, anchor: str | None = None) -> VerifyResult:
    """Verify the stored log (``offboard-bot audit verify``); see the module docstring.

    Raises ValueError for an anchor that is not ``<seq>:<hash>`` or a hash.
    """
    if anchor:
        parse_anchor(anchor)  # refuse a malformed anchor before reading anything
    completeness = _Completeness()
    with streamed_rows(engine) as rows:
        result = verify_chain(rows, anchor=anchor, observe=completeness.see)
    if not result.chain_ok:
        return result
    gaps = completeness.gaps(_executed(engine))
    return VerifyResult(result.checked, result.head_hash, gaps=gaps)


def head(engine: Engine) -> str:
    """``"<seq>:<hash>"`` of the last stored event (``offboard-bot audit head``);
    ``0:<genesis>`` for an empty log. It says nothing about the chain's health."""
    query = select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc())
    with engine.connect().execution_options(**READ_ONLY) as connection:
        last = connection.execute(query.limit(1)).first()
    return f"{last.seq}:{last.hash}" if last else f"0:{GENESIS_HASH}"
