"""The Home tab through the real HTTP endpoint and the Slack stand-in.

Signed ``app_home_opened`` events publish the viewer's tab; the tab's Approve / Reject
are the card's buttons (same ids and values), so a click there decides through the same
listeners; every change re-publishes the tabs it concerns, from the outbox, coalesced.
"""

from __future__ import annotations

import json
from typing import Any

from bot.devstack.home_payloads import home_click, home_opened, send_event
from bot.devstack.local_stack import APPROVERS, FOREIGNER, OUTSIDER, REQUESTER
from bot.devstack.payloads import Person
from bot.slack.home import COALESCE
from bot.slack.views.step_up import CALLBACK_ID
from storage.records import RequestRecord
from tests.support.slack import Slack, wait_until

BOB, CAROL = APPROVERS
DELETE = "DeleteAccount AccountId=1512996702208737"


def publishes(slack: Slack, person: Person) -> list[dict[str, Any]]:
    return [
        c.params["view"] if isinstance(c.params["view"], dict) else json.loads(c.params["view"])
        for c in slack.standin.calls("views.publish")
        if c.params.get("user_id") == person.user_id
    ]


def open_home(slack: Slack, person: Person, tab: str = "home") -> dict[str, Any] | None:
    """``person`` opens the app's ``tab``; the Home view the bot published, if any."""
    before = len(publishes(slack, person))
    response = send_event(slack.signer, home_opened(person, tab=tab))
    assert response.status_code == 200, response.text
    if tab != "home":
        return None
    wait_until(lambda: len(publishes(slack, person)) > before, what="views.publish")
    return publishes(slack, person)[-1]


def text_of(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"])


def buttons(view: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (e["action_id"], e["value"])
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def test_an_approver_sees_what_waits_for_them_with_the_cards_buttons(
    slack_only_server: Slack,
) -> None:
    slack = slack_only_server
    request = slack.request(REQUESTER, DELETE)
    view = open_home(slack, BOB)
    assert view is not None and view["type"] == "home"
    assert buttons(view) == [("approve", request.id), ("reject", request.id)]
    assert "DeleteAccount" in text_of(view) and "AccountId = 1512996702208737" in text_of(view)
    # The requester is an approver too, but never of their own request: no buttons there.
    mine = open_home(slack, REQUESTER)
    assert mine is not None and buttons(mine) == []
    assert "Your requests" in text_of(mine) and request.id in text_of(mine)


def test_a_click_on_the_tab_decides_and_every_concerned_tab_is_published_once(
    slack_only_server: Slack,
) -> None:
    slack = slack_only_server
    request = slack.request(REQUESTER, DELETE)
    slack.settle()
    slack.clock.advance(COALESCE.total_seconds() + 1)
    slack.settle()  # the tabs the filing queued
    standin = slack.standin
    updates = len(standin.calls("chat.update"))
    for person in (BOB, CAROL):
        view = open_home(slack, person)
        assert view is not None
        response = slack.signer.post_payload(home_click(person, view, "approve", request.id))
        assert response.status_code == 200
        wait_until(lambda p=person: p.user_id in approvers_of(slack, request), what="decision")
    slack.wait_status(request, "SUCCEEDED", timeout=30)
    slack.settle()
    # The card was updated from the outbox (no message was clicked): buttons gone.
    assert len(standin.calls("chat.update")) > updates
    assert not any(b["type"] == "actions" for b in slack.card(request).blocks)
    # Tabs are refreshed only once the changes have had COALESCE to gather.
    opened = {p.user_id: len(publishes(slack, p)) for p in (REQUESTER, BOB, CAROL)}
    slack.clock.advance(COALESCE.total_seconds() + 1)
    slack.settle()
    for person in (REQUESTER, BOB, CAROL):
        assert len(publishes(slack, person)) == opened[person.user_id] + 1, person.name
        latest = publishes(slack, person)[-1]
        assert buttons(latest) == [] and "Done: the call succeeded" in text_of(latest)
    assert not slack.repo.undelivered_announcements()


def approvers_of(slack: Slack, request: RequestRecord) -> set[str]:
    return {d.user_id for d in slack.repo.decisions_for(request.id) if d.vote == "approve"}


def test_with_step_up_approve_on_the_tab_opens_the_code_modal(bot_server: Slack) -> None:
    slack = bot_server
    request = slack.request(REQUESTER, DELETE)
    view = open_home(slack, BOB)
    assert view is not None and "authenticator" in text_of(view)
    before = len(slack.standin.calls("views.open"))  # the request's own modal
    response = slack.signer.post_payload(
        home_click(BOB, view, "approve", request.id, trigger_id="T-home-1")
    )
    assert response.status_code == 200
    opened = slack.standin.wait_for_calls("views.open", before + 1)
    assert opened[-1].params["trigger_id"] == "T-home-1"
    assert opened[-1].params["view"]["callback_id"] == CALLBACK_ID
    assert approvers_of(slack, request) == set()  # nothing counted before the code


def test_user_text_is_escaped_on_the_tab(slack_only_server: Slack) -> None:
    slack = slack_only_server
    view = slack.open_modal(REQUESTER, DELETE)
    reason = "leaver <!channel> <@U0BOB> & <https://evil.example|click>"
    assert slack.submit(REQUESTER, view, {"reason": reason}).text == ""
    wait_until(lambda: slack.repo.list_requests(), what="the request")
    shown = text_of(open_home(slack, BOB) or {})
    assert "&lt;!channel&gt; &lt;@U0BOB&gt; &amp; &lt;https://evil.example|click&gt;" in shown
    assert "<!channel>" not in shown and "<https://evil" not in shown


def test_the_tab_shows_nothing_to_someone_who_may_not_read_requests(
    slack_only_server: Slack,
) -> None:
    slack = slack_only_server
    slack.request(REQUESTER, DELETE)
    slack.standin.set_user(OUTSIDER.user_id, "multi_channel_guest")
    view = open_home(slack, OUTSIDER)
    assert view is not None and buttons(view) == []
    assert "DeleteAccount" not in text_of(view) and "Your requests" not in text_of(view)


def test_the_messages_tab_and_other_teams_get_no_tab(slack_only_server: Slack) -> None:
    slack = slack_only_server
    open_home(slack, BOB, tab="messages")
    response = send_event(slack.signer, home_opened(FOREIGNER))
    assert response.status_code == 200
    open_home(slack, CAROL)  # a tab published after both: they were handled
    assert publishes(slack, BOB) == []
    assert [c.params["user_id"] for c in slack.standin.calls("views.publish")] == ["U0CAROL"]
