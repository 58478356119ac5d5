"""The execution lifecycle: claim, mark sent, progress, finish, leases, take-over."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.records import AnnouncementDraft, AuditDraft, ExecutionResult
from storage.repository import Repository
from storage.states import Phase
from tests.storage.builders import WINDOW, approved, submit
from tests.support.clock import FakeClock

RESULT = ExecutionResult(
    http_status=200,
    code="OK",
    message="success",
    request_id="9C9D2A5E-0000-4F1B-9E2B-DEMO",
    body={"RequestId": "9C9D2A5E-0000-4F1B-9E2B-DEMO", "Type": "DELETE"},
)


def test_only_approved_requests_in_their_window_can_be_claimed(
    repo: Repository, clock: FakeClock
) -> None:
    pending = submit(repo, clock())
    assert repo.claim_for_execution(pending.id, owner="w", lease_seconds=60, now=clock()) is None
    late = approved(repo, clock())
    clock.advance(WINDOW.total_seconds())
    assert repo.claim_for_execution(late.id, owner="w", lease_seconds=60, now=clock()) is None
    assert repo.claim_next_approved(owner="w", lease_seconds=60, now=clock()) is None
    stored = repo.get_request(late.id)
    assert stored is not None and stored.status == "APPROVED"


def test_claim_writes_execution_audit_and_announcement(repo: Repository, clock: FakeClock) -> None:
    request = approved(repo, clock())
    execution = repo.claim_for_execution(
        request.id,
        owner="w1",
        lease_seconds=60,
        now=clock(),
        audit=[AuditDraft("execution.started", "w1", {"attempt": 1})],
        announcements=[AnnouncementDraft("thread", {"event": "executing"})],
    )
    assert execution is not None
    assert (execution.attempt, execution.lease_owner) == (1, "w1")
    assert execution.lease_expires_at == clock() + timedelta(seconds=60)
    assert execution.sent_at is None and execution.finished_at is None
    assert repo.audit_trail(request.id)[-1].kind == "execution.started"
    assert repo.audit_trail(request.id)[-1].request_id == request.id
    assert repo.undelivered_announcements(request_id=request.id)[-1].payload == {
        "event": "executing"
    }
    stored = repo.get_request(request.id)
    assert stored is not None and stored.status == "EXECUTING"


def test_claim_next_takes_the_oldest_approval_first(repo: Repository, clock: FakeClock) -> None:
    first = approved(repo, clock())
    clock.advance(1)
    approved(repo, clock())
    claim = repo.claim_next_approved(owner="w", lease_seconds=60, now=clock())
    assert claim is not None and claim.request_id == first.id


def test_the_call_is_marked_sent_once_and_only_by_the_lease_holder(
    repo: Repository, clock: FakeClock
) -> None:
    request = approved(repo, clock())
    repo.claim_for_execution(request.id, owner="w1", lease_seconds=60, now=clock())

    def mark_sent(owner: str) -> bool:
        return repo.record_sent(
            request.id,
            1,
            owner=owner,
            now=clock(),
            phase=Phase.SENDING,
            audit=[AuditDraft("execution.sending", owner)],
            announcements=[AnnouncementDraft("thread", {"event": "executing"})],
        )

    assert not mark_sent("w2")
    assert mark_sent("w1")
    assert not mark_sent("w1")  # never twice
    execution = repo.get_execution(request.id)
    assert execution is not None and execution.sent_at == clock()
    assert execution.phase is Phase.SENDING
    # The mark's effects are written once, with the mark, never by a call that lost.
    kinds = [e.kind for e in repo.audit_trail(request.id)]
    assert kinds.count("execution.sending") == 1
    executing = [
        a
        for a in repo.undelivered_announcements(request_id=request.id)
        if a.payload == {"event": "executing"}
    ]
    assert len(executing) == 1


def test_an_expired_lease_may_not_send(repo: Repository, clock: FakeClock) -> None:
    request = approved(repo, clock())
    repo.claim_for_execution(request.id, owner="w1", lease_seconds=60, now=clock())
    clock.advance(60)
    assert not repo.record_sent(request.id, 1, owner="w1", now=clock())
    assert not repo.renew_lease(request.id, 1, owner="w1", lease_seconds=60)


def test_renewing_keeps_the_lease_alive(repo: Repository, clock: FakeClock) -> None:
    request = approved(repo, clock())
    repo.claim_for_execution(request.id, owner="w1", lease_seconds=60, now=clock())
    for _ in range(3):
        clock.advance(50)
        assert repo.renew_lease(request.id, 1, owner="w1", lease_seconds=60)
        assert repo.expired_leases() == []
    assert not repo.renew_lease(request.id, 1, owner="w2", lease_seconds=60)


def test_finish_moves_the_request_to_its_outcome(repo: Repository, clock: FakeClock) -> None:
    request = approved(repo, clock())
    repo.claim_for_execution(request.id, owner="w1", lease_seconds=60, now=clock())
    repo.record_sent(request.id, 1, owner="w1", now=clock())
    clock.advance(2)
    assert (
        repo.finish_execution(
            request.id, 1, owner="w2", status="SUCCEEDED", result=RESULT, now=clock()
        )
        is None
    )
    final = repo.finish_execution(
        request.id,
        1,
        owner="w1",
        status="SUCCEEDED",
        result=RESULT,
        now=clock(),
        audit=[AuditDraft("execution.succeeded", "w1", {"code": "OK"})],
        announcements=[AnnouncementDraft("thread", {"event": "result"})],
    )
    assert final is not None
    assert (final.status, final.finished_at) == ("SUCCEEDED", clock())
    execution = repo.get_execution(request.id)
    assert execution is not None
    assert (execution.outcome, execution.result.http_status, execution.result.code) == (
        "SUCCEEDED",
        200,
        "OK",
    )
    assert execution.result.request_id == RESULT.request_id
    assert execution.result.body == RESULT.body
    assert execution.finished_at == clock()
    # A finished execution takes nothing more.
    assert (
        repo.finish_execution(
            request.id, 1, owner="w1", status="FAILED", result=RESULT, now=clock()
        )
        is None
    )
    assert not repo.renew_lease(request.id, 1, owner="w1", lease_seconds=60)
    assert repo.audit_trail(request.id)[-1].kind == "execution.succeeded"


def test_finish_refuses_a_status_that_is_not_an_outcome(repo: Repository, clock: FakeClock) -> None:
    request = approved(repo, clock())
    repo.claim_for_execution(request.id, owner="w1", lease_seconds=60, now=clock())
    with pytest.raises(ValueError, match="SUCCEEDED"):
        repo.finish_execution(
            request.id, 1, owner="w1", status="APPROVED", result=RESULT, now=clock()
        )


def test_progress_is_recorded_for_the_owner_only(repo: Repository, clock: FakeClock) -> None:
    request = approved(repo, clock())
    repo.claim_for_execution(request.id, owner="w1", lease_seconds=60, now=clock())
    assert repo.update_progress(
        request.id,
        1,
        owner="w1",
        phase=Phase.FOLLOWING,
        progress={"Status": "Deleting", "percent": 40},
        now=clock(),
        announcements=[AnnouncementDraft("thread", {"event": "progress"})],
    )
    assert not repo.update_progress(
        request.id, 1, owner="w2", phase=Phase.SENDING, progress=None, now=clock()
    )
    execution = repo.get_execution(request.id)
    assert execution is not None
    assert (execution.phase, execution.progress) == (
        Phase.FOLLOWING,
        {"Status": "Deleting", "percent": 40},
    )


def test_a_dead_workers_execution_is_taken_over_not_restarted(
    repo: Repository, clock: FakeClock
) -> None:
    request = approved(repo, clock())
    repo.claim_for_execution(request.id, owner="dead", lease_seconds=30, now=clock())
    repo.record_sent(request.id, 1, owner="dead", now=clock())
    assert not repo.take_over(request.id, 1, new_owner="r", lease_seconds=60, now=clock())
    clock.advance(30)
    [expired] = repo.expired_leases()
    assert (expired.request_id, expired.lease_owner, expired.sent_at) == (
        request.id,
        "dead",
        request.approved_at,
    )
    assert repo.take_over(
        request.id,
        1,
        new_owner="r",
        lease_seconds=60,
        now=clock(),
        audit=[AuditDraft("execution.reconciling", "r")],
    )
    assert repo.expired_leases() == []
    # The dead worker, should it wake up, can no longer touch it.
    assert (
        repo.finish_execution(
            request.id, 1, owner="dead", status="SUCCEEDED", result=RESULT, now=clock()
        )
        is None
    )
    final = repo.finish_execution(
        request.id,
        1,
        owner="r",
        status="UNKNOWN",
        result=ExecutionResult(message="no answer; check the account in the console"),
        now=clock(),
    )
    assert final is not None and final.status == "UNKNOWN"
    execution = repo.get_execution(request.id)
    assert execution is not None and execution.attempt == 1 and execution.outcome == "UNKNOWN"
