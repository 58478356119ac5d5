"""The two-person rule, pure: a table of review scenarios plus properties over any sequence."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.approvals.reasons import reason_problem
from bot.approvals.rules import (
    Refusal,
    RefusalReason,
    Transition,
    apply_review,
    cancel,
    expire,
)
from bot.approvals.tally import Policy, Request, Review, Tally, resolve, tally
from bot.events import Approved, Cancelled, Decided, Expired, Rejected, drafts
from storage.states import Assurance, Status, Vote

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TTL = timedelta(days=1)
A, R = Vote.APPROVE, Vote.REJECT
POLICY = Policy(approvers=frozenset({"alice", "bob", "carol", "dave", "req"}))


def pending(required: int = 2, requester: str = "req") -> Request:
    return Request(
        id="r1",
        operation="DeleteAccount",
        requester=requester,
        status=Status.PENDING,
        expires_at=T0 + TTL,
        required_approvals=required,
    )


Step = tuple[str, Vote, Status | RefusalReason]

# Each scenario: required approvals, ordered (who, vote, expected state or refusal) steps.
SCENARIOS: dict[str, tuple[int, list[Step]]] = {
    "two distinct approvers approve": (
        2,
        [
            ("alice", A, Status.PENDING),  # one of two
            ("bob", A, Status.APPROVED),  # second distinct approver: done
        ],
    ),
    "the requester cannot approve their own request": (
        2,
        [
            ("req", A, RefusalReason.SELF_REVIEW),  # requester is an approver, still refused
            ("alice", A, Status.PENDING),  # the refused click did not count
            ("bob", A, Status.APPROVED),
        ],
    ),
    "the requester cannot reject their own request either": (
        2,
        [("req", R, RefusalReason.SELF_REVIEW)],  # cancel is the requester's way out
    ),
    "one person counts once": (
        2,
        [
            ("alice", A, Status.PENDING),
            ("alice", A, RefusalReason.REPEATED),  # double click: harmless no-op
            ("bob", A, Status.APPROVED),
        ],
    ),
    "a person cannot change their decision": (
        2,
        [
            ("alice", A, Status.PENDING),
            ("alice", R, RefusalReason.ALREADY_REVIEWED),  # no flip-flopping
        ],
    ),
    "one reject vetoes": (
        2,
        [
            ("alice", A, Status.PENDING),
            ("bob", R, Status.REJECTED),  # deny wins over the earlier approval
            ("carol", A, RefusalReason.NOT_PENDING),  # nothing after leaving PENDING
        ],
    ),
    "reject first ends it at once": (
        2,
        [
            ("alice", R, Status.REJECTED),
            ("bob", A, RefusalReason.NOT_PENDING),
            ("carol", A, RefusalReason.NOT_PENDING),
        ],
    ),
    "a non-approver is refused and changes nothing": (
        2,
        [
            ("mallory", A, RefusalReason.NOT_APPROVER),
            ("mallory", R, RefusalReason.NOT_APPROVER),  # cannot veto either
            ("alice", A, Status.PENDING),
            ("bob", A, Status.APPROVED),
        ],
    ),
    "after approval nothing else is decided": (
        2,
        [
            ("alice", A, Status.PENDING),
            ("bob", A, Status.APPROVED),
            ("carol", R, RefusalReason.NOT_PENDING),  # too late to veto
            ("bob", A, RefusalReason.REPEATED),  # Slack retry of the deciding click
        ],
    ),
    "three required": (
        3,
        [
            ("alice", A, Status.PENDING),
            ("bob", A, Status.PENDING),
            ("carol", A, Status.APPROVED),
        ],
    ),
    "one required": (
        1,
        [("alice", A, Status.APPROVED)],  # a per-operation override of one
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_review_scenarios(name: str) -> None:
    required, steps = SCENARIOS[name]
    request = pending(required)
    reviews: list[Review] = []
    for index, (user, vote, expected) in enumerate(steps):
        outcome = apply_review(request, reviews, Review(user, vote, T0), POLICY, T0)
        if isinstance(expected, Status):
            assert isinstance(outcome, Transition), f"step {index}: {outcome}"
            assert outcome.status is expected, f"step {index}"
            assert outcome.review is not None
            reviews.append(outcome.review)
            request = replace(request, status=outcome.status)
        else:
            assert isinstance(outcome, Refusal), f"step {index}: {outcome}"
            assert outcome.reason is expected, f"step {index}: {outcome.message}"
            assert outcome.status is request.status
            assert outcome.message


def test_refusals_say_why_in_words() -> None:
    rejected = replace(pending(), status=Status.REJECTED)
    outcome = apply_review(rejected, [], Review("alice", A, T0), POLICY, T0)
    assert isinstance(outcome, Refusal)
    assert "REJECTED" in outcome.message
    assert not outcome.is_noop


def test_a_review_at_the_deadline_is_too_late() -> None:
    request = pending()
    outcome = apply_review(request, [], Review("alice", A, T0), POLICY, request.expires_at)
    assert isinstance(outcome, Refusal) and outcome.reason is RefusalReason.EXPIRED
    assert "expired" in outcome.message
    just_before = request.expires_at - timedelta(seconds=1)
    assert isinstance(
        apply_review(request, [], Review("alice", A, T0), POLICY, just_before), Transition
    )


def test_approval_sets_the_execution_window_and_announces() -> None:
    request = pending()
    first = apply_review(request, [], Review("alice", A, T0), POLICY, T0)
    assert isinstance(first, Transition)
    assert [a.kind for a in drafts(first.news)] == ["card", "thread"]
    assert first.event == "decided" and first.execute_by is None
    second = apply_review(request, [Review("alice", A, T0)], Review("bob", A, T0), POLICY, T0)
    assert isinstance(second, Transition) and second.event == "approved"
    assert second.execute_by == T0 + POLICY.execution_window
    assert second.tally is not None and second.tally.approvals == ("alice", "bob")


def test_rejection_tells_the_requester() -> None:
    outcome = apply_review(pending(), [], Review("alice", R, T0), POLICY, T0)
    assert isinstance(outcome, Transition)
    assert [a.kind for a in drafts(outcome.news)] == ["card", "thread", "dm"]


def test_second_factor_can_be_required_without_changing_the_decision_path() -> None:
    strict = replace(POLICY, required_assurance=Assurance.SECOND_FACTOR)
    weak = apply_review(pending(), [], Review("alice", A, T0), strict, T0)
    assert isinstance(weak, Refusal) and weak.reason is RefusalReason.ASSURANCE
    strong = Review("alice", A, T0, Assurance.SECOND_FACTOR)
    assert isinstance(apply_review(pending(), [], strong, strict, T0), Transition)
    # A veto needs no second factor: stopping a deletion must stay easy.
    assert isinstance(apply_review(pending(), [], Review("bob", R, T0), strict, T0), Transition)


def test_a_removed_approver_no_longer_counts() -> None:
    reviews = [Review("alice", A, T0)]
    without_alice = replace(POLICY, approvers=POLICY.approvers - {"alice"})
    outcome = apply_review(pending(), reviews, Review("bob", A, T0), without_alice, T0)
    assert isinstance(outcome, Transition) and outcome.status is Status.PENDING


def test_cancel_only_by_the_requester_while_pending() -> None:
    request = pending()
    assert isinstance(cancel(request, "alice", T0), Refusal)
    done = cancel(request, "req", T0)
    assert isinstance(done, Transition) and done.status is Status.CANCELLED
    again = cancel(replace(request, status=Status.CANCELLED), "req", T0)
    assert isinstance(again, Refusal) and again.is_noop
    approved = cancel(replace(request, status=Status.APPROVED), "req", T0)
    assert isinstance(approved, Refusal) and approved.reason is RefusalReason.NOT_PENDING
    late = cancel(request, "req", request.expires_at)
    assert isinstance(late, Refusal) and late.reason is RefusalReason.EXPIRED


def test_expire_pending_after_ttl_and_approved_after_window() -> None:
    request = pending()
    assert expire(request, request.expires_at - timedelta(seconds=1)) is None
    gone = expire(request, request.expires_at)
    assert gone is not None and gone.status is Status.EXPIRED
    assert {a.kind for a in drafts(gone.news)} == {"card", "thread", "dm"}
    approved = replace(request, status=Status.APPROVED, execute_by=T0 + timedelta(minutes=15))
    assert expire(approved, T0 + timedelta(minutes=14)) is None
    stale = expire(approved, T0 + timedelta(minutes=15))
    assert (
        stale is not None and stale.status is Status.EXPIRED and stale.previous is Status.APPROVED
    )
    for status in (Status.EXECUTING, Status.SUCCEEDED, Status.REJECTED, Status.CANCELLED):
        assert expire(replace(request, status=status), T0 + 2 * TTL) is None


@pytest.mark.parametrize(
    "text", [".", "", "   ", "asdf", "offboard", "x y z", "aa aa aa", "123 456 789"]
)
def test_junk_reasons_are_refused(text: str) -> None:
    assert reason_problem(text) is not None


@pytest.mark.parametrize(
    "text", ["employee left the company", "contractor contract ended", "员工离职注销账号"]
)
def test_real_reasons_pass(text: str) -> None:
    assert reason_problem(text) is None


# --- properties over any sequence of clicks by any people ------------------------------

PEOPLE = ["req", "alice", "bob", "carol", "mallory", "trent"]
APPROVERS = frozenset({"req", "alice", "bob", "carol", "trent"})
clicks = st.lists(st.tuples(st.sampled_from(PEOPLE), st.sampled_from([A, R])), max_size=14)


def run(
    required: int, sequence: list[tuple[str, Vote]]
) -> tuple[Request, list[Review], list[Status]]:
    policy = Policy(approvers=APPROVERS)
    request = pending(required)
    reviews: list[Review] = []
    seen = [request.status]
    for user, vote in sequence:
        outcome = apply_review(request, reviews, Review(user, vote, T0), policy, T0)
        if isinstance(outcome, Transition):
            assert outcome.review is not None
            reviews.append(outcome.review)
            request = replace(request, status=outcome.status)
        seen.append(request.status)
    return request, reviews, seen


@settings(max_examples=400, deadline=None)
@given(required=st.integers(min_value=1, max_value=4), sequence=clicks)
def test_approved_only_with_enough_distinct_non_requester_approvers(
    required: int, sequence: list[tuple[str, Vote]]
) -> None:
    request, reviews, _ = run(required, sequence)
    approvers = {r.user for r in reviews if r.vote is A}
    assert "req" not in {r.user for r in reviews}  # the requester never counts
    assert "mallory" not in {r.user for r in reviews}  # nor does a non-approver
    if request.status is Status.APPROVED:
        assert len(approvers) >= required
        assert all(r.vote is A for r in reviews)
    # Enough distinct eligible yeses and no veto must approve: the rule is not too strict.
    eligible_yes = {u for u, v in sequence if v is A and u in APPROVERS - {"req"}}
    if request.status is Status.PENDING:
        assert len(eligible_yes) < required or any(v is R for _, v in sequence)


@settings(max_examples=400, deadline=None)
@given(required=st.integers(min_value=1, max_value=4), sequence=clicks)
def test_deny_is_final_and_nothing_changes_after_pending(
    required: int, sequence: list[tuple[str, Vote]]
) -> None:
    _, reviews, seen = run(required, sequence)
    left = next((i for i, s in enumerate(seen) if s is not Status.PENDING), None)
    if left is not None:
        assert all(s is seen[left] for s in seen[left:])  # stays where it went
    if any(r.vote is R for r in reviews):
        assert seen[-1] is Status.REJECTED
    assert len({r.user for r in reviews}) == len(reviews)  # one review per person


# --- the gaps a mutation run found (docs/mutation.md) ----------------------------------

STRICT = replace(POLICY, required_assurance=Assurance.SECOND_FACTOR)
STRONG = Assurance.SECOND_FACTOR


@pytest.fixture
def host_in_tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A host whose local time zone is not UTC (a POSIX TZ string: no zone database)."""
    monkeypatch.setenv("TZ", "JST-9")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_weak_approval_stored_before_a_second_factor_was_required_does_not_count() -> None:
    # Stored rows as a database could hold them: alice approved when Slack alone was
    # enough; bob's strong approval was stored twice (a replayed insert).
    stored = [
        Review("alice", A, T0),
        Review("bob", A, T0, STRONG),
        Review("bob", A, T0, STRONG),
    ]
    assert tally(pending(), stored, STRICT) == Tally(("bob",), (), 2)
    assert resolve(tally(pending(), stored, STRICT)) is Status.PENDING
    carol = apply_review(pending(), stored, Review("carol", A, T0, STRONG), STRICT, T0)
    assert isinstance(carol, Transition) and carol.status is Status.APPROVED
    assert carol.tally == Tally(("bob", "carol"), (), 2)


def test_a_review_by_someone_who_no_longer_counts_does_not_stop_the_count() -> None:
    # The first stored rows are by a removed approver and by the requester (a row written
    # by hand); the reviews after them still count.
    stored = [Review("alice", A, T0), Review("req", A, T0), Review("bob", A, T0)]
    without_alice = replace(POLICY, approvers=POLICY.approvers - {"alice"})
    assert tally(pending(), stored, without_alice) == Tally(("bob",), (), 2)
    outcome = apply_review(pending(), stored, Review("carol", A, T0), without_alice, T0)
    assert isinstance(outcome, Transition) and outcome.status is Status.APPROVED
    assert outcome.tally == Tally(("bob", "carol"), (), 2)
    vetoes = [Review("alice", R, T0), Review("bob", R, T0), Review("bob", R, T0)]
    assert tally(pending(), vetoes, without_alice) == Tally((), ("bob",), 2)


def test_each_decision_says_who_made_it_and_what_it_counted() -> None:
    first = apply_review(pending(), [], Review("alice", A, T0), POLICY, T0)
    counted = {"vote": A, "approvals": ("alice",), "rejections": (), "required": 2}
    assert first == Transition(
        previous=Status.PENDING,
        status=Status.PENDING,
        actor="alice",
        news=Decided(request_id="r1", actor="alice", **counted),
        review=Review("alice", A, T0),
        tally=Tally(("alice",), (), 2),
    )
    assert first.event == "decided"
    later = T0 + timedelta(hours=1)
    second = apply_review(
        pending(), [Review("alice", A, T0)], Review("bob", A, later), POLICY, later
    )
    execute_by = later + POLICY.execution_window
    approved = {"vote": A, "approvals": ("alice", "bob"), "rejections": (), "required": 2}
    assert second == Transition(
        previous=Status.PENDING,
        status=Status.APPROVED,
        actor="bob",
        news=Approved(request_id="r1", actor="bob", **approved, execute_by=execute_by),
        review=Review("bob", A, later),
        tally=Tally(("alice", "bob"), (), 2),
        execute_by=execute_by,
    )
    assert [a.kind for a in drafts(second.news)] == ["card", "thread"]


def test_a_rejection_says_who_rejected_and_tells_the_requester() -> None:
    outcome = apply_review(pending(), [Review("alice", A, T0)], Review("bob", R, T0), POLICY, T0)
    data = {"vote": R, "approvals": ("alice",), "rejections": ("bob",), "required": 2}
    assert outcome == Transition(
        previous=Status.PENDING,
        status=Status.REJECTED,
        actor="bob",
        news=Rejected(request_id="r1", actor="bob", **data),
        review=Review("bob", R, T0),
        tally=Tally(("alice",), ("bob",), 2),
    )
    assert [a.kind for a in drafts(outcome.news)] == ["card", "thread", "dm"]


def refused(outcome: Transition | Refusal) -> tuple[RefusalReason, str]:
    assert isinstance(outcome, Refusal), outcome
    return outcome.reason, outcome.message


def test_every_refusal_says_why_in_its_own_words() -> None:
    request, alice = pending(), [Review("alice", A, T0)]
    rejected = [Review("alice", R, T0)]
    cases = [
        (
            apply_review(request, alice, Review("alice", A, T0), POLICY, T0),
            RefusalReason.REPEATED,
            "You already approved this request; nothing more to do.",
        ),
        (
            apply_review(request, rejected, Review("alice", R, T0), POLICY, T0),
            RefusalReason.REPEATED,
            "You already rejected this request; nothing more to do.",
        ),
        (
            apply_review(
                replace(request, status=Status.REJECTED), [], Review("bob", A, T0), POLICY, T0
            ),
            RefusalReason.NOT_PENDING,
            "This request is already REJECTED; decisions are only taken while it is PENDING.",
        ),
        (
            apply_review(request, [], Review("bob", A, T0), POLICY, request.expires_at),
            RefusalReason.EXPIRED,
            "This request expired at 2026-11-24 09:00 UTC; ask for a new one.",
        ),
        (
            apply_review(request, [], Review("req", A, T0), POLICY, T0),
            RefusalReason.SELF_REVIEW,
            "You asked for this; someone else has to decide on it.",
        ),
        (
            apply_review(request, [], Review("mallory", A, T0), POLICY, T0),
            RefusalReason.NOT_APPROVER,
            "You are not an approver for Offboard requests, so your click was not counted.",
        ),
        (
            apply_review(request, [], Review("bob", A, T0), STRICT, T0),
            RefusalReason.ASSURANCE,
            "Approving needs a stronger identification than this click; "
            "verify yourself and approve again.",
        ),
        (
            apply_review(request, alice, Review("alice", R, T0), POLICY, T0),
            RefusalReason.ALREADY_REVIEWED,
            "You already chose approve on this request; a decision cannot be changed. "
            "Ask for a new request if it was a mistake.",
        ),
        (
            cancel(request, "alice", T0),
            RefusalReason.NOT_REQUESTER,
            "Only the person who asked can cancel it.",
        ),
        (
            cancel(replace(request, status=Status.CANCELLED), "req", T0),
            RefusalReason.REPEATED,
            "This request is already cancelled.",
        ),
        (
            cancel(replace(request, status=Status.APPROVED), "req", T0),
            RefusalReason.NOT_PENDING,
            "This request is already APPROVED; only a PENDING request can be cancelled.",
        ),
        (
            cancel(request, "req", request.expires_at),
            RefusalReason.EXPIRED,
            "This request expired at 2026-11-24 09:00 UTC; there is nothing to cancel.",
        ),
    ]
    for outcome, reason, message in cases:
        assert refused(outcome) == (reason, message)


def test_times_in_refusals_are_utc_whatever_the_hosts_zone(host_in_tokyo: None) -> None:
    tokyo = timezone(timedelta(hours=9))
    request = replace(pending(), expires_at=datetime(2026, 11, 24, 18, 30, tzinfo=tokyo))
    late = apply_review(request, [], Review("bob", A, T0), POLICY, request.expires_at)
    assert refused(late)[1] == "This request expired at 2026-11-24 09:30 UTC; ask for a new one."


def test_cancel_is_the_requesters_and_announced_on_the_card_and_thread() -> None:
    done = cancel(pending(), "req", T0)
    assert done == Transition(
        previous=Status.PENDING,
        status=Status.CANCELLED,
        actor="req",
        news=Cancelled(request_id="r1", actor="req"),
    )
    assert [a.kind for a in drafts(done.news)] == ["card", "thread"]


def test_expire_says_why_and_tells_everyone() -> None:
    request = pending()
    waited = Expired(
        request_id="r1", why="no decision before 2026-11-24 09:00 UTC", was=Status.PENDING
    )
    gone = expire(request, request.expires_at)
    assert gone == Transition(
        previous=Status.PENDING, status=Status.EXPIRED, actor=None, news=waited
    )
    assert [a.kind for a in drafts(waited)] == ["card", "thread", "dm"]
    approved = replace(request, status=Status.APPROVED, execute_by=T0 + timedelta(minutes=15))
    stale = Expired(
        request_id="r1",
        why="approved, but not started before 2026-11-23 09:15 UTC",
        was=Status.APPROVED,
    )
    assert expire(approved, T0 + timedelta(minutes=15)) == Transition(
        previous=Status.APPROVED, status=Status.EXPIRED, actor=None, news=stale
    )


@pytest.mark.parametrize(
    ("text", "passes"),
    [
        ("员工离职", True),  # four CJK characters: enough
        ("员工离", False),  # three: not yet
        ("退職済み", True),  # Japanese, kanji and kana
        ("퇴사함", False),  # three Hangul syllables
        ("퇴사했음", True),
        ("left 员工离", False),  # one word and three characters: neither rule is met
    ],
)
def test_the_cjk_boundary_of_the_reason_rule(text: str, passes: bool) -> None:
    assert (reason_problem(text) is None) is passes


def test_a_refused_reason_says_what_is_wanted() -> None:
    assert reason_problem("asdf") == (
        'Say why in a few words (for example: "employee left, account closed in HR"); '
        "approvers and the audit log rely on it."
    )
