"""Leases: confirmed before each attempt, judged by the database's clock, late answers kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from storage.db import make_engine
from storage.records import AnnouncementDraft, AuditDraft, ExecutionResult
from storage.repository import Repository
from tests.storage.builders import approved
from tests.support.clock import FakeClock

ANSWER = ExecutionResult(
    http_status=200, code="OK", message="done", request_id="RID-LATE", body={"a": 1}
)


def test_a_lease_is_confirmed_with_what_it_has_left(repo: Repository, clock: FakeClock) -> None:
    request = approved(repo, clock())
    repo.claim_for_execution(request.id, owner="w1", lease_seconds=60, now=clock())
    clock.advance(15)
    assert repo.confirm_lease(request.id, 1, owner="w1") == 45.0
    execution = repo.get_execution(request.id)
    assert execution is not None and execution.lease_confirmed_at == clock()
    assert repo.confirm_lease(request.id, 1, owner="w2") is None  # not w2's


def test_a_lease_that_ran_out_or_was_taken_over_is_not_confirmed(
    repo: Repository, clock: FakeClock
) -> None:
    request = approved(repo, clock())
    repo.claim_for_execution(request.id, owner="w1", lease_seconds=30, now=clock())
    clock.advance(30)
    assert repo.confirm_lease(request.id, 1, owner="w1") is None  # expired
    assert repo.take_over(request.id, 1, new_owner="w2", lease_seconds=30, now=clock())
    assert repo.confirm_lease(request.id, 1, owner="w1") is None  # and now someone else's
    assert repo.confirm_lease(request.id, 1, owner="w2") == 30.0


def test_a_host_clock_an_hour_fast_cannot_take_over_a_live_lease(db_engine: Engine) -> None:
    repo = Repository(db_engine)  # no injected clock: the database's own
    now = datetime.now(UTC)
    request = approved(repo, now)
    assert repo.claim_for_execution(request.id, owner="w1", lease_seconds=60, now=now)
    fast = now + timedelta(hours=1)  # what a replica with a wrong clock would pass
    assert repo.expired_leases() == []
    assert not repo.take_over(request.id, 1, new_owner="w2", lease_seconds=60, now=fast)
    # And a host an hour fast still holds the lease it has.
    assert repo.record_sent(request.id, 1, owner="w1", now=fast)
    left = repo.confirm_lease(request.id, 1, owner="w1")
    assert left is not None and 50 < left <= 60


@pytest.mark.postgres
def test_on_postgresql_lease_expiry_is_the_server_clock_plus_the_lease(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        repo = Repository(engine)
        skewed = datetime.now(UTC) - timedelta(days=2)  # a host clock two days slow
        request = approved(repo, skewed)
        claimed = repo.claim_for_execution(request.id, owner="w1", lease_seconds=60, now=skewed)
        assert claimed is not None
        with engine.connect() as connection:
            server_now = connection.scalar(select(func.clock_timestamp()))
        assert server_now is not None
        assert abs((claimed.lease_expires_at - server_now).total_seconds() - 60) < 5
    finally:
        engine.dispose()


def test_a_late_answer_is_kept_only_from_the_worker_that_lost_the_execution(
    repo: Repository, clock: FakeClock
) -> None:
    request = approved(repo, clock())
    repo.claim_for_execution(request.id, owner="w1", lease_seconds=30, now=clock())
    assert repo.record_sent(request.id, 1, owner="w1", now=clock())

    def late(owner: str) -> bool:
        return repo.record_late_answer(
            request.id,
            1,
            owner=owner,
            outcome="SUCCEEDED",
            result=ANSWER,
            now=clock(),
            audit=[AuditDraft("execution.late_answer", owner)],
            announcements=[AnnouncementDraft("thread", {"event": "correction"})],
        )

    assert not late("w1")  # still the owner: that is a plain result
    clock.advance(30)
    assert repo.take_over(request.id, 1, new_owner="w2", lease_seconds=30, now=clock())
    repo.finish_execution(
        request.id, 1, owner="w2", status="UNKNOWN", result=ExecutionResult(), now=clock()
    )
    assert late("w1")
    assert not late("w1")  # one late answer, never overwritten
    execution = repo.get_execution(request.id)
    assert execution is not None and execution.outcome == "UNKNOWN"
    assert execution.late is not None
    assert (execution.late.owner, execution.late.outcome) == ("w1", "SUCCEEDED")
    assert execution.late.result.request_id == "RID-LATE"
    assert execution.late.result.body == {"a": 1}
    assert [e.kind for e in repo.audit_trail(request.id)].count("execution.late_answer") == 1
    with pytest.raises(ValueError, match="SUCCEEDED"):
        repo.record_late_answer(
            request.id, 1, owner="w9", outcome="TAMPERED", result=ANSWER, now=clock()
        )
