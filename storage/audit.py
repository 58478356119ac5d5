"""The append-only, hash-chained audit log.

Each event's hash is ``sha256(prev_hash + canonical_json(content))`` where ``content``
holds the event's ``seq``, ``at``, ``kind``, ``request_id``, ``actor`` and ``data`` and
``prev_hash`` is the previous event's hash (``GENESIS_HASH`` for the first). Because the
seq is hashed and must count up by one, verification detects a row that was edited,
deleted, inserted or reordered, and names the first event where the chain breaks.

A chain cut short, or rewritten from the tampered row to the end with freshly computed
hashes, is only detectable against a copy of an earlier head kept elsewhere: ``verify``
returns the head (``<seq>:<hash>``, printed by ``offboard-bot audit verify``) and takes
one back as ``anchor``.

Appends are serialised so concurrent writers can never fork the chain: on SQLite every
write transaction already holds the database write lock (``BEGIN IMMEDIATE``); on
PostgreSQL ``append_event`` takes a transaction-scoped advisory lock. Callers append
as the *last* locking step of a transaction, so the lock is held only until commit and
never waited on while holding it (no lock cycles).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from storage.db import READ_ONLY
from storage.models import AuditEventRow
from storage.records import AuditDraft, AuditEventRecord
from storage.redaction import REDACTED as REDACTED  # re-exported: known by this name
from storage.redaction import scrub

GENESIS_HASH = "0" * 64
# Any PostgreSQL advisory lock key of ours is a constant; this one guards the chain head.
AUDIT_CHAIN_LOCK_KEY = 0x0FFB0A4D17

_EXPORT_BATCH = 500


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_time(value)
    raise TypeError(f"audit data must be JSON values, not {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """Sorted keys, compact separators, no NaN; the bytes are its UTF-8 encoding."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_json_default,
    )


def format_time(at: datetime) -> str:
    """The one textual form of an instant in hashed content (UTC, microseconds)."""
    if at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def event_content(
    seq: int, at: datetime, kind: str, request_id: str | None, actor: str | None, data: Any
) -> dict[str, Any]:
    """The hashed fields of an event."""
    return {
        "seq": seq,
        "at": format_time(at),
        "kind": kind,
        "request_id": request_id,
        "actor": actor,
        "data": data,
    }


def compute_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """``sha256(prev_hash + canonical_json(content))`` as hex."""
    return hashlib.sha256((prev_hash + canonical_json(content)).encode("utf-8")).hexdigest()


def append_event(session: Session, draft: AuditDraft, now: datetime) -> AuditEventRecord:
    """Append one event in ``session``'s transaction, serialised against other appenders."""
    return append_events(session, (draft,), now)[0]


def append_events(
    session: Session, drafts: Sequence[AuditDraft], now: datetime
) -> list[AuditEventRecord]:
    """Append events in order in ``session``'s transaction: one lock, one head read."""
    if not drafts:
        return []
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_CHAIN_LOCK_KEY})
    head = session.execute(
        select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    at = now.astimezone(UTC)
    rows = []
    for draft in drafts:
        seq += 1
        # Scrubbed by the one redaction rule logs use too; then round-tripped through
        # JSON so what is stored is exactly what was hashed.
        data = json.loads(canonical_json(scrub(draft.data)))
        digest = compute_hash(
            prev_hash, event_content(seq, at, draft.kind, draft.request_id, draft.actor, data)
        )
        rows.append(
            AuditEventRow(
                seq=seq,
                at=at,
                kind=draft.kind,
                request_id=draft.request_id,
                actor=draft.actor,
                data=data,
                prev_hash=prev_hash,
                hash=digest,
            )
        )
        prev_hash = digest
    session.add_all(rows)
    session.flush()
    return [to_record(row) for row in rows]


def to_record(row: AuditEventRow) -> AuditEventRecord:
    return AuditEventRecord(
        seq=row.seq,
        at=row.at,
        kind=row.kind,
        request_id=row.request_id,
        actor=row.actor,
        data=row.data,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


@dataclass(frozen=True)
class VerifyResult:
    """The verdict on a chain: ``ok``, or the first bad event's seq and why.

    ``head`` is ``"<seq>:<hash>"`` of the last good event; keep it somewhere else and
    pass it back as ``anchor`` to detect events removed from the end or a rewritten chain.
    """

    ok: bool
    checked: int
    head_hash: str
    bad_seq: int | None = None
    reason: str | None = None

    @property
    def head(self) -> str:
        return f"{self.checked}:{self.head_hash}"

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain OK: {self.checked} events, head {self.head}"
        return f"audit chain BROKEN at event {self.bad_seq}: {self.reason}"


def parse_anchor(anchor: str) -> tuple[int, str]:
    """``"<seq>:<hash>"`` (a VerifyResult's ``head``) as a (seq, hash) pair."""
    seq, _, digest = anchor.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise ValueError(f"an anchor looks like 12:<64 hex digits>, not {anchor!r}")
    return int(seq), digest


def verify_chain(events: Iterable[AuditEventRecord], *, anchor: str | None = None) -> VerifyResult:
    """Check events given in seq order; stop at the first bad one.

    With ``anchor`` (an earlier result's ``head``), also require that event to be
    present and unchanged: without it, cutting events off the end or rewriting the
    whole chain with fresh hashes cannot be told from an honest, shorter chain.
    """
    anchor_seq, anchor_hash = parse_anchor(anchor) if anchor else (0, GENESIS_HASH)
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for event in events:
        if event.seq != expected_seq:
            what = "missing" if event.seq > expected_seq else "out of order"
            return _broken(
                checked, prev_hash, event.seq, f"expected seq {expected_seq} here: events {what}"
            )
        if event.prev_hash != prev_hash:
            return _broken(
                checked,
                prev_hash,
                event.seq,
                "prev_hash does not match the previous event's hash "
                "(an event before it was removed, inserted or rewritten)",
            )
        content = event_content(
            event.seq, event.at, event.kind, event.request_id, event.actor, event.data
        )
        if compute_hash(prev_hash, content) != event.hash:
            return _broken(
                checked,
                prev_hash,
                event.seq,
                "hash does not match the event's content (the row was edited)",
            )
        if event.seq == anchor_seq and event.hash != anchor_hash:
            return _broken(
                checked,
                prev_hash,
                event.seq,
                "differs from the recorded anchor (the chain was rewritten up to here)",
            )
        expected_seq, prev_hash, checked = event.seq + 1, event.hash, checked + 1
    if anchor_seq > checked:
        return _broken(
            checked,
            prev_hash,
            anchor_seq,
            f"the recorded anchor is gone: events after {checked} were removed",
        )
    return VerifyResult(ok=True, checked=checked, head_hash=prev_hash)


def _broken(checked: int, head: str, seq: int, reason: str) -> VerifyResult:
    return VerifyResult(ok=False, checked=checked, head_hash=head, bad_seq=seq, reason=reason)


def iter_events(engine: Engine) -> Iterator[AuditEventRecord]:
    """Every event in seq order, read in batches (keyset pagination)."""
    after = 0
    while True:
        with Session(engine) as session:
            session.connection(execution_options=READ_ONLY)
            rows = session.scalars(
                select(AuditEventRow)
                .where(AuditEventRow.seq > after)
                .order_by(AuditEventRow.seq)
                .limit(_EXPORT_BATCH)
            ).all()
            batch = [to_record(row) for row in rows]
        yield from batch
        if len(batch) < _EXPORT_BATCH:
            return
        after = batch[-1].seq


def verify(engine: Engine, *, anchor: str | None = None) -> VerifyResult:
    """Verify the whole stored chain (``offboard-bot audit verify``); see ``verify_chain``."""
    return verify_chain(iter_events(engine), anchor=anchor)


def export_jsonl(events: Iterable[AuditEventRecord], out: IO[str]) -> int:
    """Write one JSON object per event and line; return how many were written."""
    count = 0
    for event in events:
        line = dict(
            event_content(
                event.seq, event.at, event.kind, event.request_id, event.actor, event.data
            )
        )
        line.update(prev_hash=event.prev_hash, hash=event.hash)
        out.write(canonical_json(line) + "\n")
        count += 1
    return count


def export(engine: Engine, stream: IO[str]) -> int:
    """Write the whole stored chain as JSON lines (``offboard-bot audit export``)."""
    return export_jsonl(iter_events(engine), stream)
