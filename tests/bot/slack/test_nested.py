"""JSON nested past 32 levels is refused: a field error in the modal, 400 elsewhere.

The attack: Python's JSON decoder raises RecursionError (not ValueError) on deep enough
input, so a signed payload or a list typed as a deep JSON array reached the person as
"Something went wrong" and Slack as a 500. Each test sends it over HTTP to the real
endpoint and checks the answer, and that nothing was filed or posted.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from bot.devstack.local_stack import APPROVERS, REQUESTER
from bot.devstack.payloads import view_submission
from bot.slack import bounds
from storage.records import RequestRecord
from tests.bot.slack.test_replay import drain
from tests.bot.slack.test_security import snapshot
from tests.support.slack import Slack

REASON = "the employee left; HR closed the account"
MEMBER = "1512996702208737"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def crashed(slack: Slack) -> list[str]:
    """Texts of "Something went wrong" reports anyone was sent."""
    texts = [
        str(c.params.get("text")) for c in slack.standin.calls() if c.method.startswith("chat")
    ]
    return [text for text in texts if "went wrong" in text]


@pytest.mark.parametrize("depth", [33, 5000])
def test_a_list_typed_as_deep_json_is_a_field_error(bot_server: Slack, depth: int) -> None:
    slack = bot_server
    view = slack.open_modal(REQUESTER, f"DeleteAccount AccountId={MEMBER}")
    answer = slack.submit(
        REQUESTER, view, {"AbandonableCheckId": nested(depth), "reason": REASON}
    ).json()
    assert answer == {
        "response_action": "errors",
        "errors": {
            "AbandonableCheckId": "Nested deeper than 32 levels; "
            "Offboard reads JSON at most 32 deep."
        },
    }
    drain(slack)
    assert slack.repo.list_requests() == [] and crashed(slack) == []


def test_a_list_nested_exactly_32_deep_is_judged_by_the_catalog(bot_server: Slack) -> None:
    slack = bot_server
    view = slack.open_modal(REQUESTER, f"DeleteAccount AccountId={MEMBER}")
    answer = slack.submit(REQUESTER, view, {"AbandonableCheckId": nested(32), "reason": REASON})
    errors = answer.json()["errors"]
    assert list(errors) == ["AbandonableCheckId"] and "Nested" not in errors["AbandonableCheckId"]


def test_hosts_typed_as_deep_json_is_a_field_error(bot_server: Slack) -> None:
    slack = bot_server
    view = slack.open_modal(REQUESTER, "DetachHostAccountsFromUser")
    values = {
        "InstanceId": "bastionhost-cn-st220aw0001",
        "UserId": "1",
        "Hosts": '[{"HostId": ' + nested(3000) + "}]",
        "reason": REASON,
    }
    answer = slack.submit(REQUESTER, view, values).json()
    assert list(answer["errors"]) == ["Hosts"]
    drain(slack)
    assert slack.repo.list_requests() == [] and crashed(slack) == []


@pytest.mark.parametrize("depth", [40, 100_000])
def test_a_submission_nested_too_deep_is_a_field_error_on_the_form(
    bot_server: Slack, depth: int
) -> None:
    slack = bot_server
    before = snapshot(slack)
    view = slack.open_modal(REQUESTER, f"DeleteAccount AccountId={MEMBER}")
    payload = view_submission(REQUESTER, view, {"reason": REASON})
    payload["view"]["state"]["values"]["reason"]["reason"]["extra"] = "DEEP"
    text = json.dumps(payload).replace('"DEEP"', nested(depth))
    response = slack.signer.post(urlencode({"payload": text}))
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors" and list(answer["errors"]) == ["operation"]
    assert "nested deeper than 32 levels" in answer["errors"]["operation"]
    drain(slack)
    after = snapshot(slack)
    assert after[0] == before[0] and after[3] == before[3]
    assert [m for m, _ in after[2]] == [m for m, _ in before[2]] + ["views.open"]


@pytest.mark.parametrize("depth", [33, 100_000])
def test_a_click_nested_too_deep_is_400(
    bot_server: Slack, depth: int, pending: RequestRecord
) -> None:
    slack = bot_server
    before = snapshot(slack)
    card = slack.card(pending)
    click = {
        "type": "block_actions",
        "user": APPROVERS[0].as_user(),
        "team": {"id": APPROVERS[0].team_id},
        "container": {"type": "message", "message_ts": card.ts, "channel_id": card.channel},
        "actions": [{"action_id": "approve", "value": pending.id, "extra": "DEEP"}],
    }
    text = json.dumps(click).replace('"DEEP"', nested(depth))
    response = slack.signer.post(urlencode({"payload": text}))
    assert response.status_code == 400
    assert response.json() == {"error": "JSON nested deeper than 32 levels"}
    assert snapshot(slack) == before


def test_a_command_prefilled_with_deep_json_opens_the_form(bot_server: Slack) -> None:
    slack = bot_server
    deep = nested(1400)
    view = slack.open_modal(
        REQUESTER, f"DeleteAccount AccountId={MEMBER} AbandonableCheckId={deep}"
    )
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs["AbandonableCheckId"]["initial_value"] == deep
    drain(slack)
    assert crashed(slack) == [] and slack.repo.list_requests() == []


@pytest.fixture
def pending(bot_server: Slack) -> RequestRecord:
    return bot_server.request(REQUESTER, f"DeleteAccount AccountId={MEMBER}")


def test_depth_counts_containers_and_never_recurses() -> None:
    assert bounds.depth(1) == 0 and bounds.depth([]) == 1 and bounds.depth({"a": [{}]}) == 3
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    assert bounds.depth(deep) == 100_001
    assert bounds.loads(nested(32)) is not None
    with pytest.raises(bounds.TooDeep):
        bounds.loads(nested(33))
    with pytest.raises(bounds.TooDeep):
        bounds.loads(nested(1_000_000))
    with pytest.raises(ValueError):
        bounds.loads("{not json")


def test_prune_keeps_the_shallow_parts_readable() -> None:
    text = '{"type": "view_submission", "s": "[[\\"]]", "v": ' + nested(50_000) + "}"
    shallow = json.loads(bounds.prune(text, 3))
    # The object is level 1, so the list under "v" keeps two levels; strings stay whole.
    assert shallow == {"type": "view_submission", "s": '[["]]', "v": [[None]]}
    assert bounds.prune('{"a": [1, {"b": [2]}]}', 2) == '{"a": [1, null]}'
