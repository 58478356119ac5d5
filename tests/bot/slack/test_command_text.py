"""bot.slack.command_text: the text after /offboard."""

from __future__ import annotations

import pytest

from bot.slack.command_text import Cancel, Help, List, Open, Status, Usage, parse_command

OPS = {
    "DeleteAccount": ["AccountId", "AbandonableCheckId"],
    "DetachHostAccountsFromUser": ["Hosts"],
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", Open()),
        ("   ", Open()),
        ("help", Help()),
        ("HELP", Help()),
        ("list", List()),
        ("status 7f3c-01", Status("7F3C-01")),
        ("cancel abc_123", Cancel("ABC_123")),
        ("status ob-7k3q2x9m", Status("OB-7K3Q2X9M")),
        ("DeleteAccount", Open("DeleteAccount", {})),
        (
            "deleteaccount AccountId=1699461245510000",
            Open("DeleteAccount", {"AccountId": "1699461245510000"}),
        ),
        (
            'DeleteAccount AccountId=1 reason="leaver, ticket 42"',
            Open("DeleteAccount", {"AccountId": "1", "reason": "leaver, ticket 42"}),
        ),
        (
            """DetachHostAccountsFromUser Hosts='[{"HostId":"1"}]'""",
            Open("DetachHostAccountsFromUser", {"Hosts": '[{"HostId":"1"}]'}),
        ),
        ("DeleteAccount AccountId=", Open("DeleteAccount", {"AccountId": ""})),
        ("DeleteAccount AccountId=a=b", Open("DeleteAccount", {"AccountId": "a=b"})),
    ],
)
def test_parses(raw: str, expected: object) -> None:
    assert parse_command(raw, OPS) == expected


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("Frobnicate", "Unknown operation"),
        ("DeleteAccount Foo=1", "has no parameter `Foo`"),
        ("DeleteAccount accountid=1", "has no parameter `accountid`"),
        ("DeleteAccount AccountId", "Expected `Name=Value`"),
        ("DeleteAccount =1", "Expected `Name=Value`"),
        ("DeleteAccount AccountId=1 AccountId=2", "given twice"),
        ('DeleteAccount reason="unbalanced', "Could not read"),
        ("status", "needs one request id"),
        ("status a b", "needs one request id"),
        ("cancel <!channel>", "needs one request id"),
        ("help me", "takes no arguments"),
        ("list all", "takes no arguments"),
    ],
)
def test_refuses_with_a_usage_message(raw: str, words: str) -> None:
    result = parse_command(raw, OPS)
    assert isinstance(result, Usage)
    assert words in result.message


def test_unknown_operation_lists_the_known_ones() -> None:
    result = parse_command("Nope", OPS)
    assert isinstance(result, Usage)
    assert "DeleteAccount, DetachHostAccountsFromUser" in result.message


def test_defaults_to_the_catalogs_destructive_operations_and_fields() -> None:
    assert parse_command(
        "DeregisterDelegatedAdministrator ServicePrincipal=cloudfw.aliyuncs.com"
    ) == (Open("DeregisterDelegatedAdministrator", {"ServicePrincipal": "cloudfw.aliyuncs.com"}))
    # Read-only operations are not requested through the modal.
    assert isinstance(parse_command("GetAccount AccountId=1"), Usage)
