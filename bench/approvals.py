"""Benchmark: decisions per second and approved->executed latency, SQLite and PostgreSQL.

    .venv/bin/python bench/approvals.py [--requests N] [--latency-samples M]

Both engines are measured in the same run against an in-process sandbox cloud over HTTP.
Decisions: one thread, each ``Workflow.decide`` a full transaction (row lock, decision,
conditional status update, audit chain append, outbox drafts). Latency: a worker thread
woken by the workflow; from the approval's commit (``approved_at``) to the stored result
(``finished_at``) of a DetachHostAccountsFromUser call, one request at a time. PostgreSQL
(``OFFBOARD_BENCH_POSTGRES``, default 127.0.0.1:5432/test) is skipped with a note when
unreachable. Always exits 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from bot import logs
from bot.approvals.policy import ApprovalRules, ApproverDirectory
from bot.approvals.workflow import Submitted, Workflow
from bot.execution.worker import Worker
from commands.catalog import get_spec, validate_params
from commands.client import CloudClient
from commands.credentials import StaticCredentialsProvider
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Sandbox
from storage.db import make_engine
from storage.migrate import upgrade
from storage.repository import Repository
from storage.states import Vote
from tests.support.scratch import scratch_postgres, unreachable

POSTGRES = os.environ.get(
    "OFFBOARD_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DETACH = {
    "InstanceId": "bastionhost-cn-st220aw0001",
    "RegionId": "cn-hangzhou",
    "UserId": "1",
    "Hosts": '[{"HostId":"1"}]',
}


def utcnow() -> datetime:
    return datetime.now(UTC)


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        yield url


@contextmanager
def postgres_database() -> Iterator[str | None]:
    if unreachable(POSTGRES) is not None:
        yield None
        return
    with scratch_postgres(POSTGRES, prefix="offboard_bench") as url:
        yield url


def submit(workflow: Workflow) -> str:
    spec = get_spec("DetachHostAccountsFromUser")
    outcome = workflow.submit(
        spec=spec,
        params=validate_params(spec, DETACH),
        requester="UREQ",
        reason="benchmark of the approval path",
        now=utcnow(),
    )
    assert isinstance(outcome, Submitted)
    return outcome.request.id


def measure(url: str, sandbox: Sandbox, requests: int, samples: int) -> dict[str, float]:
    engine = make_engine(url)
    repo = Repository(engine)
    client = CloudClient(
        StaticCredentialsProvider.of(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET),
        endpoint_override=sandbox.base_url,
    )
    rules = ApprovalRules(directory=ApproverDirectory({"UA", "UB", "UC"}, clock=utcnow))
    worker = Worker(repo, client, owner="bench", clock=utcnow, rules=rules, poll_seconds=5)
    try:
        # Decisions: the first approval of each request, then a rejection (both recorded).
        deciding = Workflow(repo, rules)
        ids = [submit(deciding) for _ in range(requests)]
        started = time.perf_counter()
        for request_id in ids:
            deciding.decide(request_id, "UA", Vote.APPROVE, utcnow())
            deciding.decide(request_id, "UB", Vote.REJECT, utcnow())
        decisions_per_second = 2 * requests / (time.perf_counter() - started)

        # Latency: approve one request, wait for its stored result, repeat.
        stop = threading.Event()
        thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
        thread.start()
        workflow = Workflow(repo, rules, on_approved=worker.wake)
        latencies: list[float] = []
        for _ in range(samples):
            request_id = submit(workflow)
            workflow.decide(request_id, "UA", Vote.APPROVE, utcnow())
            workflow.decide(request_id, "UB", Vote.APPROVE, utcnow())
            deadline = time.monotonic() + 30
            while (
                record := repo.get_request(request_id)
            ) is not None and record.finished_at is None:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{request_id} did not finish within 30 s")
                time.sleep(0.001)
            assert record is not None and record.approved_at is not None
            assert record.finished_at is not None
            latencies.append((record.finished_at - record.approved_at).total_seconds() * 1000)
        stop.set()
        worker.wake()
        thread.join(timeout=10)
    finally:
        client.close()
        engine.dispose()
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"decisions_per_second": decisions_per_second, "p50_ms": cuts[49], "p99_ms": cuts[98]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--latency-samples", type=int, default=100)
    args = parser.parse_args()
    logs.configure("WARNING", json=False)  # the figures, not a log line per execution
    sandbox = Sandbox()
    sandbox.start()
    rows: list[tuple[str, dict[str, float] | None]] = []
    try:
        with sqlite_database() as url:
            rows.append(("SQLite", measure(url, sandbox, args.requests, args.latency_samples)))
        with postgres_database() as pg_url:
            if pg_url is None:
                print(f"note: PostgreSQL at {POSTGRES} is unreachable; skipped")
                rows.append(("PostgreSQL", None))
            else:
                rows.append(
                    ("PostgreSQL", measure(pg_url, sandbox, args.requests, args.latency_samples))
                )
    finally:
        sandbox.stop()
    print(
        f"approvals bench: {args.requests} requests x 2 decisions; "
        f"{args.latency_samples} approved->executed samples (DetachHostAccountsFromUser)"
    )
    print(f"{'engine':<12}{'decisions/s':>14}{'p50 ms':>10}{'p99 ms':>10}")
    for engine, figures in rows:
        if figures is None:
            print(f"{engine:<12}{'skipped':>14}")
            continue
        print(
            f"{engine:<12}{figures['decisions_per_second']:>14.1f}"
            f"{figures['p50_ms']:>10.1f}{figures['p99_ms']:>10.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
