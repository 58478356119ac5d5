"""The append-only, hash-chained audit log.

Each event's hash is ``sha256(prev_hash + canonical_json(content))`` where ``content``
holds the event's ``seq``, ``at``, ``kind``, ``request_id``, ``actor`` and ``data`` and
``prev_hash`` is the previous event's hash (``GENESIS_HASH`` for the first). Because the
seq is hashed and must count up by one, verification detects a row that was edited,
deleted, inserted or reordered, and names the first event where the chain breaks.

A chain cut short, or rewritten from the tampered row to the end with freshly computed
hashes, is only detectable against a copy of an earlier head kept elsewhere (an anchor:
``offboard-bot audit head``). Verifying, anchors and the completeness check live in
``storage.audit_verify``.

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
from datetime import UTC, datetime
from json.encoder import encode_basestring
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


# One encoder for every event: json.dumps with these options builds a new one per call,
# which is a fifth of the cost of verifying a long chain.
_CANONICAL = json.JSONEncoder(
    sort_keys=True,
    separators=(",", ":"),
    ensure_ascii=False,
    allow_nan=False,
    default=_json_default,
)


def canonical_json(value: Any) -> str:
    """Sorted keys, compact separators, no NaN; the bytes are its UTF-8 encoding."""
    return _CANONICAL.encode(value)


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
    """``sha256(prev_hash + canonical_json(content))`` as hex: the definition."""
    return hashlib.sha256((prev_hash + canonical_json(content)).encode("utf-8")).hexdigest()


def event_hash(
    prev_hash: str,
    seq: int,
    at: datetime,
    kind: str,
    request_id: str | None,
    actor: str | None,
    data: Any,
) -> str:
    """``compute_hash(prev_hash, event_content(...))``, without building the content.

    The content's keys in sorted order are actor, at, data, kind, request_id, seq, so its
    canonical JSON is written directly; only ``data`` goes through the encoder. Verifying
    a long chain spends most of its time here (``bench/audit.py``).
    """
    text = (
        f'{prev_hash}{{"actor":{_json_text(actor)},"at":"{format_time(at)}",'
        f'"data":{canonical_json(data)},"kind":{_json_text(kind)},'
        f'"request_id":{_json_text(request_id)},"seq":{seq:d}}}'
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json_text(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


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
        digest = event_hash(prev_hash, seq, at, draft.kind, draft.request_id, draft.actor, data)
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


def export_jsonl(events: Iterable[AuditEventRecord], out: IO[str]) -> tuple[int, str]:
    """Write one JSON object per event and line; return how many, and the head written
    (``<seq>:<hash>`` of the last event: an anchor for ``offboard-bot audit verify``)."""
    count, head = 0, f"0:{GENESIS_HASH}"
    for event in events:
        line = dict(
            event_content(
                event.seq, event.at, event.kind, event.request_id, event.actor, event.data
            )
        )
        line.update(prev_hash=event.prev_hash, hash=event.hash)
        out.write(canonical_json(line) + "\n")
        count, head = count + 1, f"{event.seq}:{event.hash}"
    return count, head


def export(engine: Engine, stream: IO[str]) -> tuple[int, str]:
    """Write the whole stored chain as JSON lines (``offboard-bot audit export``);
    returns how many events and the head of what was written."""
    return export_jsonl(iter_events(engine), stream)
