"""Races on one database file or server: many threads, each with real commits.

Every race starts its threads at a barrier so they really overlap; the assertions are
the invariants (one status change, one winner, each request claimed once), which a
lost update or a missing lock would break.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import TypeVar

from sqlalchemy import Engine

from storage import audit_verify
from storage.db import make_engine
from storage.records import AuditDraft
from storage.repository import Repository
from tests.storage.builders import approved, submit, vote
from tests.support.clock import FakeClock

T = TypeVar("T")


def race(n: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(i)`` for i in range(n) on n threads released together."""
    barrier = Barrier(n)

    def run(i: int) -> T:
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_fifty_threads_deciding_at_once(repo: Repository, clock: FakeClock) -> None:
    """25 approvers double-click at once; 25 approvals are needed."""
    users = [f"U{i:03d}" for i in range(25)]
    request = submit(repo, clock(), required=len(users))

    results = race(50, lambda i: repo.apply(request.id, vote(users[i % 25], clock()), now=clock()))

    final = repo.get_request(request.id)
    assert final is not None and final.status == "APPROVED"
    decisions = repo.decisions_for(request.id)
    assert sorted(d.user_id for d in decisions) == users  # each person exactly once
    outcomes = Counter(change.outcome for _, change in results)
    assert outcomes == {None: 24, "approved": 1, "refused": 25}
    kinds = Counter(e.kind for e in repo.audit_trail(request.id))
    assert kinds["request.approved"] == 1
    assert kinds["decision.approved"] == 25
    assert final.version == 1 + 25  # every write saw the one before it
    assert audit_verify.verify(repo.engine).ok


def test_one_winner_when_many_claim_the_same_request(db_url: str, clock: FakeClock) -> None:
    """Twelve workers, each with its own engine (like separate processes)."""
    engines = [make_engine(db_url) for _ in range(12)]
    try:
        repos = [Repository(engine) for engine in engines]
        request = approved(repos[0], clock())

        claims = race(
            12,
            lambda i: repos[i].claim_for_execution(
                request.id, owner=f"worker-{i}", lease_seconds=60, now=clock()
            ),
        )

        winners = [c for c in claims if c is not None]
        assert len(winners) == 1
        assert winners[0].attempt == 1
        assert repos[0].get_execution(request.id, 2) is None
        final = repos[0].get_request(request.id)
        assert final is not None and final.status == "EXECUTING"
    finally:
        for engine in engines:
            engine.dispose()


def test_workers_draining_approved_requests_claim_each_once(db_url: str, clock: FakeClock) -> None:
    setup = Repository(make_engine(db_url))
    ids = {approved(setup, clock()).id for _ in range(40)}
    setup.engine.dispose()
    engines = [make_engine(db_url) for _ in range(4)]

    def drain(i: int) -> list[str]:
        worker = Repository(engines[i])
        claimed = []
        while (
            claim := worker.claim_next_approved(owner=f"worker-{i}", lease_seconds=60, now=clock())
        ) is not None:
            claimed.append(claim.request_id)
        return claimed

    try:
        per_worker = race(4, drain)
    finally:
        for engine in engines:
            engine.dispose()

    everything = [request_id for claimed in per_worker for request_id in claimed]
    assert sorted(everything) == sorted(ids)  # all claimed, none twice


def test_one_reconciler_takes_over_an_expired_lease(repo: Repository, clock: FakeClock) -> None:
    request = approved(repo, clock())
    repo.claim_for_execution(request.id, owner="dead", lease_seconds=30, now=clock())
    clock.advance(31)

    wins = race(
        10,
        lambda i: repo.take_over(
            request.id, 1, new_owner=f"reconciler-{i}", lease_seconds=60, now=clock()
        ),
    )

    assert wins.count(True) == 1
    owner = f"reconciler-{wins.index(True)}"
    execution = repo.get_execution(request.id)
    assert execution is not None and execution.lease_owner == owner


def test_concurrent_appends_never_fork_the_chain(db_engine: Engine, clock: FakeClock) -> None:
    engines = [
        make_engine(str(db_engine.url.render_as_string(hide_password=False))) for _ in range(8)
    ]
    try:
        race(
            8,
            lambda i: [
                Repository(engines[i]).append_audit(
                    AuditDraft("test.event", f"U{i}", {"n": n}), clock()
                )
                for n in range(10)
            ],
        )
    finally:
        for engine in engines:
            engine.dispose()
    result = audit_verify.verify(db_engine)
    assert result.ok, str(result)
    assert result.checked == 80
