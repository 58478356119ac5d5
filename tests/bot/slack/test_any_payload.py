"""No signed payload of any shape gets a 500, files anything, or posts anywhere.

The attack: a validly signed request (replayed or reshaped by whoever holds the secret,
or a Slack change nobody foresaw) whose shape our code does not expect. A hypothesis
property sends, through the real HTTP endpoint: Slack's own payload skeletons (modal
submissions, clicks, picks, slash commands) with random values where people type and
random JSON anywhere else; random JSON documents as payloads and as JSON bodies; random
form bodies. Every answer must be below 500. Afterwards nothing may be stored, nothing
called in the cloud, nothing posted in a channel, and nobody told "Something went wrong"
(a crash behind the ack) - the only Slack calls allowed answer the person who acted.

None of the generated submissions can be a valid request: reasons are never a few real
words, and an operation's required ids are never all valid at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_plus, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from structlog.testing import capture_logs

from bot.devstack.local_stack import APPROVAL_CHANNEL, APPROVERS, OUTSIDER, REQUESTER
from bot.devstack.standin import STANDIN_TEAM_ID
from storage.models import AuditEventRow, OutboxRow, RequestRow
from tests.bot.slack.test_replay import drain
from tests.support.slack import Slack

# Stands for the Slack stand-in's own response URL (known once it runs): an answer posted
# to a URL nobody listens on is Slack being unreachable, not a payload's shape.
RESPONSE_URL = "http://response.url.invalid/"
USERS = [p.user_id for p in (REQUESTER, OUTSIDER, *APPROVERS)]
OPERATIONS = [
    "DeleteAccount",
    "DetachHostAccountsFromUser",
    "RelieveAccountRelation",
    "DeregisterDelegatedAdministrator",
    "GetAccount",
    "ListHostAccountsForUser",
]
FIELDS = ["operation", "reason", "AccountId", "RegionId", "InstanceId", "Hosts", "UserId"]
TYPED = st.sampled_from(
    [
        "",
        " ",
        "1512996702208737",
        "bastionhost-cn-st220aw0001",
        "cn-hangzhou",
        '[{"HostId":"1"}]',
        "[" * 40 + "]" * 40,
        "[" * 5000,
        '{"a": ' * 50,
        "<!channel> & `x`",
        "\u202e\n\u2028",
        "x" * 4000,
        "too short",  # never a valid reason
    ]
)


def _dict_or_none(value: Any) -> bool:
    return value is None or isinstance(value, dict)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
anything = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
text = TYPED | st.text(max_size=16)
person = st.fixed_dictionaries(
    {"id": st.sampled_from(USERS) | st.text(max_size=10)},
    optional={"team_id": st.just(STANDIN_TEAM_ID) | st.text(max_size=10)},
)
team = st.fixed_dictionaries({"id": st.just(STANDIN_TEAM_ID) | st.text(max_size=10)})
element = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["plain_text_input", "static_select"]),
        "value": text | st.none() | anything,
        "selected_option": st.none()
        | st.fixed_dictionaries({"value": st.sampled_from(OPERATIONS) | text})
        | anything,
    },
)
state = st.dictionaries(
    st.sampled_from(FIELDS) | st.text(max_size=8),
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), element | anything, max_size=2)
    | anything,
    max_size=5,
)
input_block = st.fixed_dictionaries(
    {"type": st.just("input"), "block_id": st.sampled_from(FIELDS) | st.text(max_size=8)}
)
view = st.fixed_dictionaries(
    {
        "type": st.just("modal"),
        "id": st.text(min_size=1, max_size=10),
        "callback_id": st.just("offboard_request"),
        "state": st.fixed_dictionaries({"values": state}) | anything.filter(_dict_or_none),
    },
    optional={
        "blocks": st.lists(input_block | anything, max_size=4) | anything,
        "private_metadata": st.just('{"channel": "C0GENERAL"}') | st.text(max_size=20),
        "hash": st.text(max_size=8),
    },
)
submission = st.fixed_dictionaries(
    {"type": st.just("view_submission"), "view": view, "user": person, "team": team},
    optional={"trigger_id": st.text(max_size=10)},
)
action = st.fixed_dictionaries(
    {"action_id": st.sampled_from(["approve", "reject", "operation"]) | st.text(max_size=8)},
    optional={
        "value": st.sampled_from(["OB-00000000", ""]) | st.text(max_size=12),
        "selected_option": st.fixed_dictionaries({"value": st.sampled_from(OPERATIONS) | text})
        | anything,
        "block_id": st.text(max_size=12),
        "type": st.sampled_from(["button", "static_select"]),
    },
)
click = st.fixed_dictionaries(
    {
        "type": st.just("block_actions"),
        "actions": st.lists(action, max_size=2),
        "user": person,
        "team": team,
    },
    optional={
        "view": view,
        "container": st.fixed_dictionaries(
            {"type": st.sampled_from(["message", "view"]), "channel_id": st.just(APPROVAL_CHANNEL)}
        )
        | anything.filter(_dict_or_none),
        "channel": st.fixed_dictionaries({"id": st.just(APPROVAL_CHANNEL) | st.text(max_size=8)}),
        "message": st.fixed_dictionaries({"ts": st.text(max_size=10)}),
        "trigger_id": st.text(max_size=10),
        "response_url": st.just(RESPONSE_URL) | st.text(max_size=10),
    },
)
command = st.fixed_dictionaries(
    {
        "command": st.just("/offboard") | st.text(max_size=10),
        "user_id": st.sampled_from(USERS) | st.text(max_size=10),
        "team_id": st.just(STANDIN_TEAM_ID) | st.text(max_size=10),
        "channel_id": st.just("C0GENERAL") | st.text(max_size=300),
        "trigger_id": st.text(min_size=1, max_size=10),
        "response_url": st.just(RESPONSE_URL) | st.text(max_size=10),
    },
    optional={
        "text": st.sampled_from(["", "help", "list", "status OB-1", "cancel OB-1"])
        | st.tuples(st.sampled_from(OPERATIONS), st.sampled_from(FIELDS), text).map(
            lambda t: f"{t[0]} {t[1]}={t[2]}"
        )
        | st.text(max_size=30),
    },
)


def _form(payload: Any) -> tuple[str, str]:
    return "form", urlencode({"payload": json.dumps(payload)})


bodies = st.one_of(
    submission.map(_form),
    click.map(_form),
    st.fixed_dictionaries({"type": st.text(max_size=12)}, optional={"view": view}).map(_form),
    command.map(lambda form: ("form", urlencode(form))),
    anything.map(_form),
    anything.map(lambda document: ("json", json.dumps(document))),
    st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=4).map(
        lambda form: ("form", urlencode(form))
    ),
    st.text(max_size=60).map(lambda raw: ("form", raw)),
)

# The Slack calls that answer the person who acted: a refusal only they see (ephemeral, or
# to the command's response_url, which the stand-in records as "response_url"), their form;
# and the look-ups of who they are (users.info, the requester group), which change nothing.
ANSWERS = {
    "auth.test",
    "users.info",
    "usergroups.users.list",
    "chat.postEphemeral",
    "conversations.open",
    "response_url",
    "views.open",
    "views.update",
}


def count(slack: Slack, model: type) -> int:
    with slack.repo.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.fixture
def logged() -> Iterator[list[dict[str, Any]]]:
    """Every structured log event while the property runs (crashes are logged with a
    reference by the one error handler)."""
    with capture_logs() as events:
        yield events


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies)
def answers_below_500(slack: Slack, body: tuple[str, str]) -> None:
    """The property itself: one random signed body, answered below 500, never a crash."""
    kind, raw = body
    raw = raw.replace(quote_plus(RESPONSE_URL), quote_plus(slack.standin.response_url("fuzz")))
    content_type = "application/json" if kind == "json" else "application/x-www-form-urlencoded"
    response = slack.signer.post(raw, content_type=content_type)
    assert response.status_code < 500, (response.status_code, response.text)
    assert "went wrong" not in response.text, response.text


def test_no_signed_payload_of_any_shape_gets_a_500_or_changes_anything(
    bot_server: Slack, logged: list[dict[str, Any]]
) -> None:
    slack = bot_server
    models = (RequestRow, AuditEventRow, OutboxRow)
    before = [count(slack, model) for model in models]  # the stack's set-up (enrolments)
    answers_below_500(slack)
    # What the examples left behind, once the work after every ack has finished.
    drain(slack)
    slack.settle()
    assert [count(slack, model) for model in models] == before
    crashes = [e for e in logged if e.get("event") == "listener_failed" and e.get("reference")]
    assert crashes == [], [(e["error_type"], str(e.get("payload_type"))[:40]) for e in crashes]
    assert slack.sandbox.calls == []
    for call in slack.standin.calls():
        to_a_person = call.method == "chat.postMessage" and str(call.params["channel"])[:1] == "D"
        assert call.method in ANSWERS or to_a_person, (call.method, call.params)
        assert "went wrong" not in str(call.params.get("text")), call.params
