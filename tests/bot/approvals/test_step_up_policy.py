"""With step-up on, the start-up check counts only enrolled approvers, and needs the key."""

from __future__ import annotations

import base64
import os

import pytest

from bot.approvals.enrolment import Enrolments, enrolled_approvers
from bot.approvals.policy import ApprovalRules, PolicyError
from bot.approvals.sealing import SecretBox
from bot.settings import Settings
from storage.repository import Repository
from storage.states import Assurance
from tests.support.clock import FakeClock

KEY = base64.b64encode(os.urandom(32)).decode()


def rules(repo: Repository, clock: FakeClock, key: str | None = KEY, **env: str) -> ApprovalRules:
    settings = Settings(OFFBOARD_APPROVERS="U0ALICE,U0BOB,U0CAROL", **env)  # type: ignore[arg-type]
    return ApprovalRules.from_settings(
        settings, clock=clock, enrolled=enrolled_approvers(repo, key)
    )


def enrol(repo: Repository, clock: FakeClock, *users: str, key: str = KEY) -> None:
    enrolments = Enrolments(repo, SecretBox.from_base64(key), clock)
    for user in users:
        enrolments.enrol(user, by="ops@host")


def test_step_up_is_the_default_and_requires_a_second_factor(
    repo: Repository, clock: FakeClock
) -> None:
    assert rules(repo, clock).required_assurance is Assurance.SECOND_FACTOR
    off = rules(repo, clock, OFFBOARD_STEP_UP="off")
    assert off.required_assurance is Assurance.SLACK_ACCOUNT
    off.check_satisfiable()  # Slack-only: three approvers are enough for two approvals


def test_too_few_enrolled_approvers_can_never_approve(repo: Repository, clock: FakeClock) -> None:
    with pytest.raises(PolicyError) as refused:
        rules(repo, clock).check_satisfiable()
    assert "only 0 approvers are enrolled (nobody)" in str(refused.value)
    assert "offboard-bot totp enrol" in str(refused.value)
    enrol(repo, clock, "U0BOB", "U0CAROL", "U0MALLORY")  # mallory is no approver
    with pytest.raises(PolicyError, match=r"only 2 approvers are enrolled \(U0BOB, U0CAROL\)"):
        rules(repo, clock).check_satisfiable()  # the requester may be one of the two
    enrol(repo, clock, "U0ALICE")
    rules(repo, clock).check_satisfiable()


def test_secrets_sealed_with_another_key_do_not_count(repo: Repository, clock: FakeClock) -> None:
    other = base64.b64encode(os.urandom(32)).decode()
    enrol(repo, clock, "U0ALICE", "U0BOB", "U0CAROL", key=other)
    with pytest.raises(PolicyError, match="only 0 approvers are enrolled"):
        rules(repo, clock).check_satisfiable()


@pytest.mark.parametrize("key", [None, "not-a-key"])
def test_a_missing_or_bad_key_stops_the_start(
    repo: Repository, clock: FakeClock, key: str | None
) -> None:
    with pytest.raises(PolicyError, match="OFFBOARD_SECRET_KEY"):
        rules(repo, clock, key=key).check_satisfiable()
