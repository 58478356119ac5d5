"""Who may approve (static list + cached user group), how many, and the startup check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from bot.approvals.policy import ApprovalRules, ApproverDirectory, PolicyError, UserDirectory
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


def test_one_directory_class_serves_requesters_and_names_their_group(clock: FakeClock) -> None:
    group = Group({"U3"})
    with pytest.raises(PolicyError, match="OFFBOARD_REQUESTER_USERGROUP"):
        UserDirectory({"U1"}, clock=clock, usergroup="S0R", setting="OFFBOARD_REQUESTER_USERGROUP")
    requesters = UserDirectory(
        {"U1"}, clock=clock, usergroup="S0APPROVERS", resolver=group, setting="X"
    )
    assert requesters.members() == {"U1", "U3"} and requesters.configured
    assert not UserDirectory((), clock=clock).configured


def rules(
    clock: FakeClock, approvers: set[str], required: int, write: int = 1, **kw: int
) -> ApprovalRules:
    settings = Settings(
        OFFBOARD_APPROVERS=",".join(approvers),
        OFFBOARD_REQUIRED_APPROVALS=required,
        OFFBOARD_REQUIRED_WRITE_APPROVALS=write,
        # Slack-only approvals: these tests count approvers (step-up: test_step_up_policy.py).
        OFFBOARD_STEP_UP="off",
    )
    return ApprovalRules.from_settings(settings, clock=clock, per_operation=kw)


def test_required_approvals_per_operation(clock: FakeClock) -> None:
    policy = rules(clock, {"U1", "U2", "U3", "U4"}, 2, DeleteAccount=3)
    assert policy.required_approvals("DeleteAccount", destructive=True) == 3
    assert policy.required_approvals("RelieveAccountRelation", destructive=True) == 2
    policy.check_satisfiable()


def test_a_write_is_never_free(clock: FakeClock) -> None:
    """Not destructive is not read: a write needs OFFBOARD_REQUIRED_WRITE_APPROVALS."""
    assert (
        rules(clock, {"U1", "U2", "U3"}, 2).required_approvals(
            "ModifyAccountRelation", destructive=False
        )
        == 1
    )
    assert (
        rules(clock, {"U1", "U2", "U3", "U4"}, 2, write=3).required_approvals(
            "ModifyAccountRelation", destructive=False
        )
        == 3
    )


@pytest.mark.parametrize("value", ["0", "-1"])
def test_write_approvals_of_zero_are_refused_by_settings(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(OFFBOARD_REQUIRED_WRITE_APPROVALS=value)
    error = caught.value.errors()[0]
    assert error["loc"] == ("OFFBOARD_REQUIRED_WRITE_APPROVALS",)
    assert "at least 1" in error["msg"] and "approved by someone other" in error["msg"]
    assert Settings().required_write_approvals == 1


def test_write_approvals_of_zero_built_by_hand_refuse_to_start(clock: FakeClock) -> None:
    directory = ApproverDirectory({"U1", "U2", "U3"}, clock=clock)
    policy = ApprovalRules(directory=directory, write_required=0)
    with pytest.raises(PolicyError, match=r"OFFBOARD_REQUIRED_WRITE_APPROVALS.*at least 1"):
        policy.check_satisfiable()
    assert policy.required_approvals("ModifyAccountRelation", destructive=False) == 1


def test_an_unsatisfiable_write_policy_is_refused_naming_its_variable(clock: FakeClock) -> None:
    with pytest.raises(PolicyError) as caught:
        rules(clock, {"U1", "U2", "U3"}, 2, write=3).check_satisfiable()
    message = str(caught.value)
    assert "needs 3 distinct approvals" in message
    assert "lower OFFBOARD_REQUIRED_WRITE_APPROVALS." in message


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
