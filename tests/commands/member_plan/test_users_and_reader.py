"""The plan modal's BastionhostUsers lines, and the Reader that can only read: written as
the input a hostile or careless requester would give."""

from __future__ import annotations

import pytest

from commands.client import CloudClient
from commands.errors import ParameterError
from commands.member_plan import BastionUser, CloudReader, parse_bastion_users
from commands.sandbox import Sandbox
from commands.sandbox.seed_plan import LEAVER_MEMBER, LEAVER_SERVICES

INSTANCE = "bastionhost-cn-st220aw0001"


def refusal(text: str) -> str:
    with pytest.raises(ParameterError) as refused:
        parse_bastion_users(text)
    assert set(refused.value.field_errors) == {"BastionhostUsers"}
    return refused.value.field_errors["BastionhostUsers"]


def test_one_user_a_line_blank_lines_ignored() -> None:
    text = f"\n  cn-hangzhou {INSTANCE} 3  \n\ncn-shanghai bastionhost-cn-sh9000aw0002 2\n"
    assert parse_bastion_users(text) == (
        BastionUser("cn-hangzhou", INSTANCE, "3"),
        BastionUser("cn-shanghai", "bastionhost-cn-sh9000aw0002", "2"),
    )
    assert parse_bastion_users("") == parse_bastion_users(None) == ()
    assert str(BastionUser("cn-hangzhou", INSTANCE, "3")) == f"cn-hangzhou {INSTANCE} 3"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (f"cn-hangzhou {INSTANCE}", "Line 1: give RegionId InstanceId UserId"),
        (f"cn-hangzhou {INSTANCE} 3 4", "Line 1: give RegionId InstanceId UserId"),
        (f"cn-hangzhou {INSTANCE} 3\nHangzhou {INSTANCE} 3", "Line 2: RegionId"),
        ("cn-hangzhou i-bp1abc 3", "Line 1: InstanceId"),
        (f"cn-hangzhou {INSTANCE} alice", "Line 1: UserId"),
        (f"cn-hangzhou {INSTANCE} 3;rm", "Line 1: UserId"),
        (f"cn-hangzhou {INSTANCE} 3\ncn-hangzhou {INSTANCE} 3", "Line 2: this user is already"),
        (f"cn-hangzhou {INSTANCE} ３", "Line 1: UserId"),  # a full-width digit
    ],
)
def test_a_bad_line_is_refused_by_number_without_echoing_it(text: str, words: str) -> None:
    message = refusal(text)
    assert message.startswith(words)
    assert "rm" not in message and "alice" not in message and "i-bp1abc" not in message


def test_more_users_than_a_card_can_show_are_refused() -> None:
    text = "\n".join(f"cn-hangzhou {INSTANCE} {n}" for n in range(1, 22))
    assert refusal(text) == "At most 20 users."


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("DeleteAccount", {"AccountId": LEAVER_MEMBER}),
        (
            "DeregisterDelegatedAdministrator",
            {"AccountId": LEAVER_MEMBER, "ServicePrincipal": LEAVER_SERVICES[0]},
        ),
        (
            "RegisterDelegatedAdministrator",
            {"AccountId": LEAVER_MEMBER, "ServicePrincipal": "cloudfw.aliyuncs.com"},
        ),
        (
            "AttachHostAccountsToUser",
            {"InstanceId": INSTANCE, "UserId": "3", "Hosts": '[{"HostId":"1"}]'},
        ),
    ],
)
def test_a_reader_asked_to_write_sends_nothing(
    cloud_client: CloudClient, sandbox: Sandbox, action: str, params: dict[str, str]
) -> None:
    with pytest.raises(ParameterError) as refused:
        CloudReader(cloud_client).read(action, params)
    assert "only reads" in refused.value.field_errors["operation"]
    assert sandbox.calls == []


def test_a_reader_validates_before_it_sends(cloud_client: CloudClient, sandbox: Sandbox) -> None:
    with pytest.raises(ParameterError) as refused:
        CloudReader(cloud_client).read("GetPayerForAccount", {"AccountId": "1699461245510000 OR 1"})
    assert set(refused.value.field_errors) == {"AccountId"}
    assert sandbox.calls == []
