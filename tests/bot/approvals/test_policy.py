"""Who may approve (static list + cached user group) and the startup check."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.approvals.policy import ApprovalRules, ApproverDirectory, PolicyError
from bot.settings import Settings
from tests.support.clock import FakeClock


class Group:
    """A user-group look-up that counts its calls and can be made to fail."""

    def __init__(self, members: set[str]) -> None:
        self.members = members
        self.calls = 0
        self.broken = False

    def __call__(self, usergroup: str) -> list[str]:
        self.calls += 1
        assert usergroup == "S0APPROVERS"
        if self.broken:
            raise RuntimeError("slack is down")
        return sorted(self.members)


def test_static_and_group_members_are_approvers_and_the_group_is_cached(clock: FakeClock) -> None:
    group = Group({"U3", "U4"})
    directory = ApproverDirectory(
        {"U1", "U2"}, clock=clock, usergroup="S0APPROVERS", resolver=group, ttl=timedelta(minutes=5)
    )
    assert directory.approvers() == {"U1", "U2", "U3", "U4"}
    group.members = {"U3"}
    assert directory.approvers() == {"U1", "U2", "U3", "U4"}  # still cached
    assert group.calls == 1
    clock.advance(300)
    assert directory.approvers() == {"U1", "U2", "U3"}  # someone left the group
    assert group.calls == 2


def test_a_failed_group_lookup_fails_closed_to_the_static_list(clock: FakeClock) -> None:
    group = Group({"U3"})
    group.broken = True
    directory = ApproverDirectory({"U1"}, clock=clock, usergroup="S0APPROVERS", resolver=group)
    assert directory.approvers() == {"U1"}


def test_a_group_without_a_resolver_is_refused(clock: FakeClock) -> None:
    with pytest.raises(PolicyError, match="OFFBOARD_APPROVER_USERGROUP"):
        ApproverDirectory({"U1"}, clock=clock, usergroup="S0APPROVERS")


def rules(clock: FakeClock, approvers: set[str], required: int, **kw: int) -> ApprovalRules:
    # Slack-only approvals: these tests count approvers (step-up: test_step_up_policy.py).
    settings = Settings(
        OFFBOARD_APPROVERS=",".join(approvers),
        OFFBOARD_REQUIRED_APPROVALS=required,
        OFFBOARD_STEP_UP="off",
    )
    return ApprovalRules.from_settings(settings, clock=clock, per_operation=kw)


def test_required_approvals_per_operation(clock: FakeClock) -> None:
    policy = rules(clock, {"U1", "U2", "U3", "U4"}, 2, DeleteAccount=3)
    assert policy.required_approvals("DeleteAccount", destructive=True) == 3
    assert policy.required_approvals("RelieveAccountRelation", destructive=True) == 2
    assert policy.required_approvals("GetAccount", destructive=False) == 0
    policy.check_satisfiable()


def test_a_policy_that_can_never_be_met_is_refused_with_a_clear_message(clock: FakeClock) -> None:
    with pytest.raises(PolicyError) as caught:
        rules(clock, {"U1", "U2"}, 2).check_satisfiable()
    message = str(caught.value)
    assert "needs 2 distinct approvals" in message and "OFFBOARD_APPROVERS" in message
    rules(clock, {"U1", "U2", "U3"}, 2).check_satisfiable()  # requester excluded, 2 remain
    with pytest.raises(PolicyError, match="needs 4"):
        rules(clock, {"U1", "U2", "U3"}, 2, DeleteAccount=4).check_satisfiable()
    with pytest.raises(PolicyError, match="at least 1"):
        rules(clock, {"U1", "U2", "U3"}, 2, DeleteAccount=0).check_satisfiable()
    with pytest.raises(PolicyError, match="nobody"):
        rules(clock, set(), 1).check_satisfiable()


def test_snapshot_carries_the_windows(clock: FakeClock) -> None:
    settings = Settings(OFFBOARD_APPROVERS="U1,U2,U3", OFFBOARD_EXECUTION_WINDOW_SECONDS=60)
    policy = ApprovalRules.from_settings(settings, clock=clock)
    assert policy.snapshot().execution_window == timedelta(seconds=60)
    assert policy.snapshot().approvers == {"U1", "U2", "U3"}
    assert policy.request_ttl == timedelta(days=1)
