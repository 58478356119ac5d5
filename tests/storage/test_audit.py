"""The hash chain: honest chains verify, every kind of tampering is named, no secrets."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, insert, update

from storage import audit, audit_verify
from storage.audit import (
    GENESIS_HASH,
    REDACTED,
    canonical_json,
    compute_hash,
    event_content,
    event_hash,
    scrub,
)
from storage.audit_verify import verify_chain
from storage.models import AuditEventRow
from storage.records import AuditDraft, AuditEventRecord
from storage.repository import Repository
from tests.support.clock import FakeClock


def write_chain(repo: Repository, clock: FakeClock, n: int = 6) -> None:
    for i in range(1, n + 1):
        clock.advance(1)
        repo.append_audit(AuditDraft("test.event", f"U{i}", {"n": i, "note": "ünïcode ✓"}), clock())


def tamper(engine: Engine, *statements: object) -> None:
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(statement)  # type: ignore[call-overload]


def move(seq: int, to: int) -> object:
    return update(AuditEventRow).where(AuditEventRow.seq == seq).values(seq=to)


def test_an_honest_chain_verifies(repo: Repository, db_engine: Engine, clock: FakeClock) -> None:
    assert audit_verify.verify(db_engine).ok  # the empty chain
    write_chain(repo, clock)
    result = audit_verify.verify(db_engine)
    assert result.ok, str(result)
    assert result.checked == 6
    assert result.head_hash == list(audit.iter_events(db_engine))[-1].hash
    assert "OK" in str(result)


def test_an_edited_row_is_named(repo: Repository, db_engine: Engine, clock: FakeClock) -> None:
    write_chain(repo, clock)
    tamper(db_engine, update(AuditEventRow).where(AuditEventRow.seq == 3).values(data={"n": 33}))
    result = audit_verify.verify(db_engine)
    assert (result.ok, result.bad_seq) == (False, 3)
    assert "edited" in str(result) and "event 3" in str(result)


def test_a_deleted_row_is_named(repo: Repository, db_engine: Engine, clock: FakeClock) -> None:
    write_chain(repo, clock)
    tamper(db_engine, delete(AuditEventRow).where(AuditEventRow.seq == 3))
    result = audit_verify.verify(db_engine)
    assert (result.ok, result.bad_seq) == (False, 4)
    assert "expected seq 3" in str(result)


def test_a_deleted_tail_is_caught_by_a_recorded_anchor(
    repo: Repository, db_engine: Engine, clock: FakeClock
) -> None:
    write_chain(repo, clock)
    anchor = audit_verify.verify(db_engine).head
    assert anchor.startswith("6:")
    tamper(db_engine, delete(AuditEventRow).where(AuditEventRow.seq >= 5))
    assert audit_verify.verify(db_engine).ok  # an honest-looking shorter chain...
    result = audit_verify.verify(db_engine, anchor=anchor)  # ...that the anchor exposes
    assert (result.ok, result.bad_seq) == (False, 6)
    assert "removed" in str(result)


def test_a_rewritten_chain_is_caught_by_a_recorded_anchor(
    repo: Repository, db_engine: Engine, clock: FakeClock
) -> None:
    write_chain(repo, clock)
    anchor = audit_verify.verify(db_engine).head
    events = list(audit.iter_events(db_engine))
    # Rewrite event 3 and re-hash everything after it, as a careful forger would.
    prev = events[1].hash
    statements = []
    for event in events[2:]:
        data = {"n": 0} if event.seq == 3 else event.data
        content = event_content(event.seq, event.at, event.kind, None, event.actor, data)
        digest = compute_hash(prev, content)
        statements.append(
            update(AuditEventRow)
            .where(AuditEventRow.seq == event.seq)
            .values(data=data, prev_hash=prev, hash=digest)
        )
        prev = digest
    tamper(db_engine, *statements)
    assert audit_verify.verify(db_engine).ok
    result = audit_verify.verify(db_engine, anchor=anchor)
    assert (result.ok, result.bad_seq) == (False, 6)
    assert "anchor" in str(result)
    assert audit_verify.verify(db_engine, anchor=audit_verify.verify(db_engine).head).ok
    with pytest.raises(ValueError, match="anchor"):
        audit_verify.verify(db_engine, anchor="six:beef")


def test_a_forged_row_inserted_in_the_middle_is_named(
    repo: Repository, db_engine: Engine, clock: FakeClock
) -> None:
    write_chain(repo, clock)
    [second] = [e for e in audit.iter_events(db_engine) if e.seq == 2]
    at = second.at + timedelta(milliseconds=1)
    data = {"n": 99}
    forged_hash = compute_hash(second.hash, event_content(3, at, "test.event", None, "UEVE", data))
    # Make room at seq 3 (two steps: a PRIMARY KEY may not collide mid-statement).
    tamper(
        db_engine,
        update(AuditEventRow).where(AuditEventRow.seq >= 3).values(seq=AuditEventRow.seq + 1000),
        update(AuditEventRow).where(AuditEventRow.seq >= 1000).values(seq=AuditEventRow.seq - 999),
        insert(AuditEventRow).values(
            seq=3,
            at=at,
            kind="test.event",
            request_id=None,
            actor="UEVE",
            data=data,
            prev_hash=second.hash,
            hash=forged_hash,
        ),
    )
    result = audit_verify.verify(db_engine)
    # The forgery links to its predecessor, so the break shows at the event after it.
    assert (result.ok, result.bad_seq) == (False, 4)
    assert "prev_hash" in str(result)


def test_a_forged_row_with_a_made_up_hash_is_named(
    repo: Repository, db_engine: Engine, clock: FakeClock
) -> None:
    write_chain(repo, clock)
    [last] = [e for e in audit.iter_events(db_engine) if e.seq == 6]
    tamper(
        db_engine,
        insert(AuditEventRow).values(
            seq=7,
            at=clock(),
            kind="request.approved",
            actor="UEVE",
            data={},
            prev_hash=last.hash,
            hash="f" * 64,
        ),
    )
    result = audit_verify.verify(db_engine)
    assert (result.ok, result.bad_seq) == (False, 7)


def test_swapped_rows_are_named(repo: Repository, db_engine: Engine, clock: FakeClock) -> None:
    write_chain(repo, clock)
    tamper(db_engine, move(3, 1000), move(4, 3), move(1000, 4))
    result = audit_verify.verify(db_engine)
    assert (result.ok, result.bad_seq) == (False, 3)


def test_export_writes_json_lines_that_verify_again(
    repo: Repository, db_engine: Engine, clock: FakeClock
) -> None:
    write_chain(repo, clock)
    out = io.StringIO()
    assert audit.export(db_engine, out) == (6, audit_verify.head(db_engine))
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3, 4, 5, 6]
    assert lines[0]["prev_hash"] == GENESIS_HASH
    assert lines[0]["data"] == {"n": 1, "note": "ünïcode ✓"}
    reread = [
        AuditEventRecord(
            seq=line["seq"],
            at=datetime.fromisoformat(line["at"]),
            kind=line["kind"],
            request_id=line["request_id"],
            actor=line["actor"],
            data=line["data"],
            prev_hash=line["prev_hash"],
            hash=line["hash"],
        )
        for line in lines
    ]
    assert verify_chain(reread).ok


def test_secrets_never_enter_the_log(repo: Repository, clock: FakeClock) -> None:
    event = repo.append_audit(
        AuditDraft(
            "test.event",
            "U1",
            {
                "AccessKeySecret": "abc",
                "headers": {"Authorization": "ACS3-HMAC-SHA256 Credential=LTAI,Signature=f00"},
                "calls": [{"x-acs-security-token": "t", "Action": "DeleteAccount"}],
                "echo": "xoxb-1234-secret",
                "slack_signing_secret": "s",
                "password": "p",
                "AccountId": "1699461245510000",
            },
        ),
        clock(),
    )
    assert event.data == {
        "AccessKeySecret": REDACTED,
        "headers": {"Authorization": REDACTED},
        "calls": [{"x-acs-security-token": REDACTED, "Action": "DeleteAccount"}],
        "echo": REDACTED,
        "slack_signing_secret": REDACTED,
        "password": REDACTED,
        "AccountId": "1699461245510000",
    }
    assert "abc" not in canonical_json(event.data)


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"]}) == '{"a":[1,"é"],"b":1}'
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})
    assert scrub({"token_count": 3}) == {"token_count": REDACTED}  # erring on the safe side


# --- properties of the pure verifier ---------------------------------------------------

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def honest_chain(datas: list[dict[str, int]]) -> list[AuditEventRecord]:
    events, prev = [], GENESIS_HASH
    for seq, data in enumerate(datas, start=1):
        at = START + timedelta(seconds=seq)
        digest = compute_hash(prev, event_content(seq, at, "k", "OB-1", "U", data))
        events.append(AuditEventRecord(seq, at, "k", "OB-1", "U", data, prev, digest))
        prev = digest
    return events


chains = st.lists(
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3), min_size=1, max_size=12
)


@given(chains)
def test_honest_chains_always_verify(datas: list[dict[str, int]]) -> None:
    result = verify_chain(honest_chain(datas))
    assert result.ok and result.checked == len(datas)


@given(chains, st.data())
def test_any_single_edit_is_named_at_the_edited_event(
    datas: list[dict[str, int]], data: st.DataObject
) -> None:
    events = honest_chain(datas)
    i = data.draw(st.integers(0, len(events) - 1))
    field = data.draw(st.sampled_from(["at", "kind", "request_id", "actor", "data", "seq"]))
    edits = {
        "at": events[i].at + timedelta(microseconds=1),
        "kind": events[i].kind + "!",
        "request_id": None,
        "actor": "UEVE",
        "data": {**events[i].data, "forged": 1},
        "seq": events[i].seq + 100,
    }
    events[i] = replace(events[i], **{field: edits[field]})
    result = verify_chain(events)
    assert (result.ok, result.bad_seq) == (False, events[i].seq)


@given(
    st.integers(1, 2**62),
    st.datetimes(timezones=st.just(UTC)),
    st.text(),
    st.none() | st.text(),
    st.none() | st.text(),
    st.dictionaries(st.text(), st.none() | st.booleans() | st.integers() | st.text()),
)
def test_the_fast_event_hash_is_the_defined_hash(
    seq: int,
    at: datetime,
    kind: str,
    request_id: str | None,
    actor: str | None,
    data: dict[str, object],
) -> None:
    # event_hash writes the canonical JSON by hand; it must be byte for byte the definition.
    expected = compute_hash("ab" * 32, event_content(seq, at, kind, request_id, actor, data))
    assert event_hash("ab" * 32, seq, at, kind, request_id, actor, data) == expected
