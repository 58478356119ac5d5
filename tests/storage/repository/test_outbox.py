"""The outbox: leases, retries, and per-request order."""

from __future__ import annotations

from datetime import timedelta

from storage.records import AnnouncementDraft, AnnouncementRecord, Change
from storage.repository import Repository
from tests.storage.builders import submit
from tests.support.clock import FakeClock


def announce(repo: Repository, request_id: str, clock: FakeClock, *events: str) -> None:
    drafts = tuple(AnnouncementDraft("thread", {"event": e}) for e in events)
    repo.apply(request_id, lambda r, d: Change(announcements=drafts), now=clock())


def events(records: list[AnnouncementRecord]) -> list[str]:
    return [r.payload.get("event") for r in records]


def test_claimed_in_order_and_leased(repo: Repository, clock: FakeClock) -> None:
    first = submit(repo, clock())
    second = submit(repo, clock())
    announce(repo, first.id, clock, "decided")
    batch = repo.claim_announcements(owner="a1", limit=10, lease_seconds=30, now=clock())
    assert [(r.request_id, r.payload.get("event")) for r in batch] == [
        (first.id, "submitted"),
        (second.id, "submitted"),
        (first.id, "decided"),
    ]
    # Leased: another announcer gets nothing until the lease runs out.
    assert repo.claim_announcements(owner="a2", limit=10, lease_seconds=30, now=clock()) == []
    clock.advance(30)
    again = repo.claim_announcements(owner="a2", limit=10, lease_seconds=30, now=clock())
    assert [r.id for r in again] == [r.id for r in batch]


def test_delivered_announcements_are_not_claimed_again(repo: Repository, clock: FakeClock) -> None:
    request = submit(repo, clock())
    [card] = repo.claim_announcements(owner="a", limit=10, lease_seconds=30, now=clock())
    repo.mark_announced(card.id, clock())
    clock.advance(60)
    assert repo.claim_announcements(owner="a", limit=10, lease_seconds=30, now=clock()) == []
    assert repo.undelivered_announcements(request_id=request.id) == []


def test_a_failed_announcement_is_retried_later_and_holds_back_its_successors(
    repo: Repository, clock: FakeClock
) -> None:
    request = submit(repo, clock())
    other = submit(repo, clock())
    [card, other_card] = repo.claim_announcements(
        owner="a", limit=10, lease_seconds=30, now=clock()
    )
    repo.mark_announcement_failed(card.id, "ratelimited", clock() + timedelta(seconds=10))
    repo.mark_announced(other_card.id, clock())
    announce(repo, request.id, clock, "decided")
    announce(repo, other.id, clock, "decided")

    # The request's "decided" waits behind its failed card; the other request flows.
    batch = repo.claim_announcements(owner="a", limit=10, lease_seconds=30, now=clock())
    assert [(r.request_id, r.payload.get("event")) for r in batch] == [(other.id, "decided")]

    clock.advance(10)
    batch = repo.claim_announcements(owner="a", limit=10, lease_seconds=30, now=clock())
    assert events(batch) == ["submitted", "decided"]
    assert (batch[0].attempts, batch[0].last_error) == (1, "ratelimited")


def test_a_request_is_not_split_between_announcers(repo: Repository, clock: FakeClock) -> None:
    request = submit(repo, clock())
    announce(repo, request.id, clock, "decided", "approved")
    first = repo.claim_announcements(owner="a1", limit=1, lease_seconds=30, now=clock())
    assert events(first) == ["submitted"]
    # a1 still holds "submitted": a2 must not deliver "decided" before it.
    assert repo.claim_announcements(owner="a2", limit=10, lease_seconds=30, now=clock()) == []
    repo.mark_announced(first[0].id, clock())
    rest = repo.claim_announcements(owner="a2", limit=10, lease_seconds=30, now=clock())
    assert events(rest) == ["decided", "approved"]


def test_limit_is_respected(repo: Repository, clock: FakeClock) -> None:
    for _ in range(5):
        submit(repo, clock())
    assert len(repo.claim_announcements(owner="a", limit=3, lease_seconds=30, now=clock())) == 3
    assert len(repo.claim_announcements(owner="b", limit=3, lease_seconds=30, now=clock())) == 2


def test_one_waiting_per_user_and_only_once_due(repo: Repository, clock: FakeClock) -> None:
    later = clock() + timedelta(seconds=2)
    assert repo.queue_per_user("home", ["U1", "U2"], now=clock(), available_at=later) == 2
    # Already waiting (not claimed yet): it will be rendered with this change too.
    assert repo.queue_per_user("home", ["U1", "U2", "U3"], now=clock(), available_at=later) == 1
    assert repo.claim_announcements(owner="a1", limit=10, lease_seconds=30, now=clock()) == []
    clock.advance(2)
    claimed = repo.claim_announcements(owner="a1", limit=10, lease_seconds=30, now=clock())
    assert sorted(r.payload["user"] for r in claimed) == ["U1", "U2", "U3"]
    assert {r.request_id for r in claimed} == {None}
    # Claimed ones may have been rendered before the next change: that change queues anew.
    assert repo.queue_per_user("home", ["U1"], now=clock(), available_at=clock()) == 1
    repo.mark_announcement_failed(claimed[1].id, "slack: ratelimited", clock())
    assert (
        repo.queue_per_user("home", [claimed[1].payload["user"]], now=clock(), available_at=clock())
        == 0
    )
