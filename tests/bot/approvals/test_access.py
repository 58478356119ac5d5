"""Who may file and read requests: listed requesters, full members only, fail closed.

The account look-up here is Slack's ``users.info`` through the real WebClient against the
Slack stand-in, translated by :func:`bot.deps.account_resolver`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.approvals.access import Access, Denial
from bot.approvals.policy import ApproverDirectory, UserDirectory
from bot.deps import account_resolver
from bot.devstack.standin import STANDIN_BOT_USER_ID, SlackStandIn
from tests.support.clock import FakeClock

APPROVER, MEMBER, LISTED = "U0BOB", "U0MALLORY", "U0ALICE"


@pytest.fixture
def slack(slack_standin: SlackStandIn) -> Iterator[WebClient]:
    client = WebClient(token=slack_standin.token, base_url=slack_standin.api_url)
    yield client


def access(
    slack: WebClient, clock: FakeClock, requesters: set[str] | None = None, group: str = ""
) -> Access:
    def members(usergroup: str) -> list[str]:
        return list(slack.usergroups_users_list(usergroup=usergroup)["users"])

    listed = None
    if requesters is not None or group:
        listed = UserDirectory(
            requesters or set(), clock=clock, usergroup=group or None, resolver=members
        )
    return Access(
        approvers=ApproverDirectory({APPROVER}, clock=clock),
        requesters=listed,
        accounts=account_resolver(slack),
        clock=clock,
    )


def lookups(standin: SlackStandIn) -> int:
    return len(standin.calls("users.info"))


def test_unset_requesters_means_every_full_member(
    slack: WebClient, slack_standin: SlackStandIn, clock: FakeClock
) -> None:
    gate = access(slack, clock)
    assert gate.may_request(MEMBER) is None
    assert gate.may_read(MEMBER) is None


@pytest.mark.parametrize(
    ("kind", "denial"),
    [
        ("multi_channel_guest", Denial.GUEST),
        ("single_channel_guest", Denial.GUEST),
        ("bot", Denial.BOT),
        ("deactivated", Denial.DEACTIVATED),
        ("absent", Denial.UNCONFIRMED),
    ],
)
def test_guests_bots_and_deactivated_accounts_never_file_even_when_listed(
    slack: WebClient, slack_standin: SlackStandIn, clock: FakeClock, kind: str, denial: Denial
) -> None:
    slack_standin.set_user(LISTED, kind)
    for gate in (access(slack, clock), access(slack, clock, {LISTED})):
        assert gate.may_request(LISTED) is denial
        assert gate.may_read(LISTED) is denial


def test_the_bot_itself_is_a_bot(slack: WebClient, clock: FakeClock) -> None:
    assert access(slack, clock).may_request(STANDIN_BOT_USER_ID) is Denial.BOT


def test_listed_requesters_only_and_no_lookup_for_the_rest(
    slack: WebClient, slack_standin: SlackStandIn, clock: FakeClock
) -> None:
    gate = access(slack, clock, {LISTED})
    assert gate.may_request(MEMBER) is Denial.NOT_REQUESTER
    assert gate.may_read(MEMBER) is Denial.NOT_REQUESTER
    assert lookups(slack_standin) == 0  # refused before asking Slack about them
    assert gate.may_request(LISTED) is None
    assert gate.may_read(APPROVER) is None  # approvers read without being requesters
    assert gate.may_request(APPROVER) is Denial.NOT_REQUESTER


def test_requester_group_members_file_and_a_broken_group_fails_closed(
    slack: WebClient, slack_standin: SlackStandIn, clock: FakeClock
) -> None:
    slack_standin.set_usergroup("S0REQUESTERS", [MEMBER])
    gate = access(slack, clock, group="S0REQUESTERS")
    assert gate.may_request(MEMBER) is None
    slack_standin.set_usergroup("S0REQUESTERS", [])
    clock.advance(300)
    assert gate.may_request(MEMBER) is Denial.NOT_REQUESTER  # left the group
    slack_standin.set_usergroup("S0REQUESTERS", [MEMBER])
    slack_standin.fail("usergroups.users.list", status=200, error="fatal_error")
    clock.advance(300)
    assert gate.may_request(MEMBER) is Denial.NOT_REQUESTER  # Slack down: nobody gains


def test_accounts_are_cached_for_a_while_and_a_failure_is_never_cached(
    slack: WebClient, slack_standin: SlackStandIn, clock: FakeClock
) -> None:
    gate = access(slack, clock)
    slack_standin.fail("users.info", status=200, error="fatal_error")
    assert gate.may_request(MEMBER) is Denial.UNCONFIRMED
    assert gate.may_request(MEMBER) is None  # asked again, not a cached failure
    slack_standin.set_user(MEMBER, "multi_channel_guest")
    assert gate.may_request(MEMBER) is None  # still the cached answer
    calls = lookups(slack_standin)
    clock.advance(300)
    assert gate.may_request(MEMBER) is Denial.GUEST  # made a guest: seen after the TTL
    assert lookups(slack_standin) == calls + 1


def test_users_info_answers_slacks_documented_user_object(
    slack: WebClient, slack_standin: SlackStandIn
) -> None:
    slack_standin.set_user(MEMBER, "single_channel_guest")
    user = slack.users_info(user=MEMBER)["user"]
    assert user["id"] == MEMBER and user["team_id"] == slack_standin.team_id
    assert user["is_restricted"] is True and user["is_ultra_restricted"] is True
    assert user["is_bot"] is False and user["deleted"] is False
    assert isinstance(user["profile"], dict) and isinstance(user["name"], str)
    with pytest.raises(ValueError, match="unknown user kind"):
        slack_standin.set_user(MEMBER, "admin")


@pytest.mark.parametrize(
    "user",
    [
        {"id": MEMBER, "deleted": True},  # Slack leaves the flags out for deactivated users
        {"id": MEMBER, "deleted": False, "is_bot": False},  # is_restricted missing
        {"id": MEMBER},
    ],
)
def test_a_user_object_missing_its_flags_counts_against_the_person(user: dict[str, object]) -> None:
    resolver = account_resolver(FixedAnswer(user))  # type: ignore[arg-type]
    assert not resolver(MEMBER).full_member


class FixedAnswer:
    """Slack's users.info answering one fixed user object (shapes the stand-in never sends)."""

    def __init__(self, user: dict[str, object]) -> None:
        self.user = user

    def users_info(self, *, user: str) -> dict[str, object]:
        return {"ok": True, "user": self.user}
