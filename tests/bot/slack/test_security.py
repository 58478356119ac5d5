"""Bad input gets a clear refusal and changes nothing.

Forged and stale signatures, malformed payloads and hostile text, each sent over HTTP to
the real endpoint; after each, the stand-in (Slack) and the sandbox (the cloud) must have
received nothing new, and no request or decision may exist that was not there before.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import quote, urlencode

import httpx
import pytest
from sqlalchemy import text

from bot.devstack.local_stack import APPROVERS, REQUESTER
from bot.slack.http import HttpServer, make_wsgi_app
from commands.catalog import CATALOG, get_spec
from storage.db import make_engine
from storage.records import RequestRecord
from storage.repository import Repository
from tests.bot.slack.test_flow import card_text
from tests.support.slack import Slack

READ_ONLY_ACTIONS = {action for action in CATALOG if not get_spec(action).op_class.changes_cloud}
HOSTILE = "<!channel> <@U0BOB> <!subteam^S0ADMINS> & <https://evil.example|click me>"


def snapshot(slack: Slack) -> tuple[object, ...]:
    slack.settle()
    requests = [(r.id, r.status) for r in slack.repo.list_requests(limit=1000)]
    decisions = [slack.repo.decisions_for(r_id) for r_id, _ in requests]
    # Look-ups (who the bot is, whether a user is a guest) change nothing anywhere.
    looks = {"auth.test", "users.info"}
    slack_calls = [(c.method, c.params) for c in slack.standin.calls() if c.method not in looks]
    return requests, decisions, slack_calls, len(slack.sandbox.calls)


@pytest.fixture
def pending(bot_server: Slack) -> RequestRecord:
    return bot_server.request(REQUESTER, "DeleteAccount AccountId=1512996702208737")


def test_forged_signature_is_refused(bot_server: Slack, pending: RequestRecord) -> None:
    slack = bot_server
    before = snapshot(slack)
    card = slack.card(pending)
    forged = "not-the-signing-secret"
    for response in (
        slack.signer.slash_command(REQUESTER, "DeleteAccount AccountId=1", secret=forged),
        slack.signer.click(
            APPROVERS[0],
            "approve",
            pending.id,
            channel=card.channel,
            message_ts=card.ts,
            secret=forged,
        ),
    ):
        assert response.status_code == 401
    # No signature at all.
    bare = httpx.post(slack.stack.events_url, content=b"command=%2Foffboard&text=help")
    assert bare.status_code == 401
    assert snapshot(slack) == before


# Beyond five minutes by a margin: int() truncates up to a second, and a loaded machine
# takes time between signing and checking.
@pytest.mark.parametrize("skew", [-330, 330, -3600])
def test_stale_or_future_timestamp_is_refused(
    bot_server: Slack, pending: RequestRecord, skew: int
) -> None:
    slack = bot_server
    before = snapshot(slack)
    card = slack.card(pending)
    response = slack.signer.click(
        APPROVERS[0],
        "approve",
        pending.id,
        channel=card.channel,
        message_ts=card.ts,
        timestamp=int(time.time()) + skew,
    )
    assert response.status_code == 401
    assert snapshot(slack) == before


@pytest.mark.parametrize(
    "body",
    [
        "payload=" + quote("{not json"),
        "payload=" + quote("[1, 2]"),
        "payload=" + quote(json.dumps({"type": "view_submission", "view": {}})),
        "payload=" + quote(json.dumps({"type": "block_actions", "actions": "approve"})),
        "payload="
        + quote(
            json.dumps(
                {
                    "type": "block_actions",
                    "user": {"id": "U0BOB"},
                    "actions": [{"action_id": "approve"}],
                }
            )
        ),
        urlencode({"command": "/offboard", "text": "help"}),  # no user, no team
        "",
    ],
)
def test_malformed_payload_changes_nothing(
    bot_server: Slack, pending: RequestRecord, body: str
) -> None:
    slack = bot_server
    before = snapshot(slack)
    response = slack.signer.post(body)
    assert response.status_code in {200, 400, 404}
    assert snapshot(slack)[:2] == before[:2]
    assert snapshot(slack)[3] == before[3]
    # Slack saw at most an explanation, never a post or an edit in a channel.
    new = snapshot(slack)[2][len(before[2]) :]  # type: ignore[index]
    assert all(
        method in {"chat.postEphemeral", "conversations.open"}
        or (method == "chat.postMessage" and params["channel"].startswith("D"))
        for method, params in new
    ), new


def test_hostile_text_in_a_reason_is_escaped_everywhere(bot_server: Slack) -> None:
    slack = bot_server
    view = slack.open_modal(REQUESTER, "DeleteAccount AccountId=1512996702208737")
    slack.submit(REQUESTER, view, {"reason": f"offboarding the account {HOSTILE}"})
    slack.standin.wait_for_calls("chat.postMessage")
    slack.settle()
    posted = [c.params for c in slack.standin.calls() if c.method.startswith("chat.")]
    assert posted
    everything = json.dumps(posted)
    for control in ("<!channel>", "<@U0BOB>", "<!subteam", "<https://evil"):
        assert control not in everything
    card = card_text(slack.standin.messages()[0])
    assert "&lt;!channel&gt;" in card and "&amp;" in card
    assert all(c.params.get("link_names") in (None, False) for c in slack.standin.calls())


@pytest.mark.parametrize(
    "values",
    [
        {"AccountId": "<!channel>"},
        {"AccountId": "1512996702208737 & <@U0BOB>"},
        {"AbandonableCheckId": '["<!everyone>"]'},
    ],
)
def test_hostile_parameters_are_refused_as_field_errors(
    bot_server: Slack, values: dict[str, str]
) -> None:
    slack = bot_server
    before = snapshot(slack)
    view = slack.open_modal(REQUESTER, "DeleteAccount")
    response = slack.submit(
        REQUESTER,
        view,
        {"AccountId": "1512996702208737", "reason": "the employee left us", **values},
    )
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) <= {"AccountId", "AbandonableCheckId"}
    after = snapshot(slack)
    assert after[0] == before[0] and after[3] == before[3]
    assert [m for m, _ in after[2]] == [m for m, _ in before[2]] + ["views.open"]


def test_hostile_command_text_is_escaped_in_the_usage_answer(bot_server: Slack) -> None:
    slack = bot_server
    before = snapshot(slack)
    response = slack.signer.slash_command(REQUESTER, HOSTILE)
    assert response.status_code == 200
    shown = response.text
    for control in ("<!channel>", "<@U0BOB>", "<!subteam", "<https://evil"):
        assert control not in shown
    assert "&lt;!channel&gt;" in shown
    assert snapshot(slack) == before


def test_healthz_answers_200_with_the_database_and_503_without(bot_server: Slack) -> None:
    response = httpx.get(f"{bot_server.stack.url}/healthz")
    assert response.status_code == 200 and response.json()["database"] is True

    # The same app with a database nobody listens on (port 1): not ready.
    down = Repository(
        make_engine(
            "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
        )
    )
    secret = "unused-for-healthz"
    server = HttpServer(make_wsgi_app(bot_server.stack.runtime.app, down.ping, secret))
    url = server.start()
    try:
        response = httpx.get(f"{url}/healthz")
        assert response.status_code == 503 and response.json()["database"] is False
    finally:
        server.stop()
        down.engine.dispose()


def test_an_unexpected_error_gets_a_reference_not_a_stack_trace(bot_server: Slack) -> None:
    slack = bot_server
    view = slack.open_modal(REQUESTER, "DeleteAccount AccountId=1512996702208737")
    # Something no listener expects: the audit table gone from under the running bot.
    with slack.repo.engine.begin() as connection:
        connection.execute(text("DROP TABLE audit_events"))
    response = slack.submit(REQUESTER, view, {"reason": "the employee left; HR closed it"})
    assert (response.status_code, response.text) == (200, "")
    # A modal submission has no channel to answer in: the report is a DM.
    dm = slack.standin.wait_for_calls("chat.postMessage")[0].params
    assert dm["channel"] == "D0ALICE"
    assert re.search(r"Something went wrong on our side \(reference `[0-9a-f]{8}`\)", dm["text"])
    assert "Traceback" not in dm["text"] and "OperationalError" not in dm["text"]
    assert "audit_events" not in dm["text"]
    assert slack.repo.list_requests() == []
    assert {call.action for call in slack.sandbox.calls} <= READ_ONLY_ACTIONS
