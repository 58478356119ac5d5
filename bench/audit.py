"""Benchmark: how long `offboard-bot audit verify` takes over 100,000 events.

    .venv/bin/python bench/audit.py [--events N]

Fills a fresh database with a realistic log (per request: submitted, two approvals,
sending, result; N/5 requests), then times, in the same run:

- ``verify``: what ``offboard-bot audit verify`` does (one streaming query of plain rows,
  the chain, the completeness check). The goal is under 5 s for 100,000 events;
- the baseline: the chain alone as it was verified before (ORM records read in keyset
  batches, each hash from the content dict through ``json.dumps``), and reading the rows
  alone (the floor no verifier goes below).

SQLite, then PostgreSQL (``OFFBOARD_BENCH_POSTGRES``, default 127.0.0.1:5432/test; skipped
with a note when unreachable). Always exits 0.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from storage import audit, audit_verify
from storage.audit import append_events
from storage.db import make_engine
from storage.migrate import upgrade
from storage.records import AuditDraft

POSTGRES = os.environ.get(
    "OFFBOARD_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
GOAL_SECONDS = 5.0
_PER_TRANSACTION = 1000


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        yield url


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A migrated scratch database on the server, dropped afterwards; None when the
    server is unreachable. (Not tests.support.scratch: bench/ runs without tests/.)"""
    admin = make_engine(POSTGRES, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"offboard_bench_audit_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        admin.dispose()
        yield None
        return
    url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def request_events(n: int) -> list[AuditDraft]:
    """The events the bot writes for one executed DetachHostAccountsFromUser."""
    request_id = f"OB-B{n:07d}"
    params = {"InstanceId": "bastionhost-cn-st220aw0001", "RegionId": "cn-hangzhou"}
    submitted = {"operation": "DetachHostAccountsFromUser", "params": params}
    submitted |= {"reason": "benchmark", "destructive": True, "required": 2}
    tally = {"approvals": ["UA", "UB"], "rejections": [], "required": 2}
    result = {"status": "SUCCEEDED", "code": "OK", "cloud_request_id": f"RID-{n}"}
    return [
        AuditDraft("request.submitted", "UREQ", submitted, request_id),
        AuditDraft("decision.recorded", "UA", {"vote": "approve", **tally}, request_id),
        AuditDraft("decision.recorded", "UB", {"vote": "approve", **tally}, request_id),
        AuditDraft("execution.sending", "worker", submitted, request_id),
        AuditDraft("execution.result", "worker", result, request_id),
    ]


def fill(engine: Engine, events: int) -> None:
    drafts = [draft for n in range(events // 5) for draft in request_events(n)]
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    for first in range(0, len(drafts), _PER_TRANSACTION):
        with Session(engine) as session, session.begin():
            at = start + timedelta(seconds=first)
            append_events(session, drafts[first : first + _PER_TRANSACTION], at)


def timed(work: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    value = work()
    return time.perf_counter() - started, value


def cpu_timed(work: Callable[[], object]) -> tuple[float, object]:
    """This process's CPU time: steadier than the wall clock on a busy machine (the
    database server's own time is not in it)."""
    started = time.process_time()
    value = work()
    return time.process_time() - started, value


def chain_as_before(engine: Engine) -> int:
    """The chain checked the way ``audit verify`` did before this benchmark existed."""
    prev, checked = audit.GENESIS_HASH, 0
    for event in audit.iter_events(engine):
        content = audit.event_content(
            event.seq, event.at, event.kind, event.request_id, event.actor, event.data
        )
        text = prev + json.dumps(
            content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        if event.prev_hash != prev or hashlib.sha256(text.encode()).hexdigest() != event.hash:
            raise AssertionError(f"event {event.seq} does not verify")
        prev, checked = event.hash, checked + 1
    return checked


def read_rows(engine: Engine) -> int:
    with audit_verify.streamed_rows(engine) as rows:
        return sum(1 for _ in rows)


def measure(url: str, events: int) -> dict[str, float]:
    engine = make_engine(url)
    try:
        fill(engine, events)
        seconds, result = timed(lambda: audit_verify.verify(engine))
        assert isinstance(result, audit_verify.VerifyResult)
        assert result.ok and result.checked == events, str(result)
        cpu, _ = cpu_timed(lambda: audit_verify.verify(engine))
        old, _ = timed(lambda: chain_as_before(engine))
        floor, count = timed(lambda: read_rows(engine))
        assert count == events
    finally:
        engine.dispose()
    return {"verify": seconds, "cpu": cpu, "old": old, "read": floor}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    rows: list[tuple[str, dict[str, float] | None]] = []
    with sqlite_database() as url:
        rows.append(("SQLite", measure(url, args.events)))
    with postgres_database() as pg_url:
        if pg_url is None:
            print(f"note: PostgreSQL at {POSTGRES} is unreachable; skipped")
        rows.append(("PostgreSQL", measure(pg_url, args.events) if pg_url else None))
    print(f"audit bench: verifying {args.events} events (goal: under {GOAL_SECONDS:.0f} s)")
    print(
        f"{'engine':<12}{'verify s':>10}{'(CPU s)':>9}{'before s':>10}{'x faster':>10}"
        f"{'read rows s':>13}"
    )
    for engine, figures in rows:
        if figures is None:
            print(f"{engine:<12}{'skipped':>10}")
            continue
        print(
            f"{engine:<12}{figures['verify']:>10.2f}{figures['cpu']:>9.2f}"
            f"{figures['old']:>10.2f}{figures['old'] / figures['verify']:>10.2f}"
            f"{figures['read']:>13.2f}"
            + ("" if figures["verify"] < GOAL_SECONDS else "   over the goal")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
