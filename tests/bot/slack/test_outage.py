"""A Slack outage delays announcements; it never loses one and never runs a call twice."""

from __future__ import annotations

from bot.devstack.local_stack import APPROVAL_CHANNEL, APPROVERS, REQUESTER
from storage.records import AnnouncementRecord
from tests.bot.slack.test_flow import buttons
from tests.support.slack import Slack, wait_until

TEXT = "DeleteAccount AccountId=1512996702208737"


def test_rate_limit_is_waited_out_as_slack_asks(bot_server: Slack) -> None:
    slack = bot_server
    slack.standin.fail("chat.postMessage", status=429, retry_after=1, error="ratelimited")
    request = slack.request(REQUESTER, TEXT)
    posts = slack.standin.calls("chat.postMessage")
    assert len(posts) == 2  # the 429, then the retry after Retry-After
    assert posts[1].at - posts[0].at >= 1.0
    assert len(slack.standin.messages(APPROVAL_CHANNEL)) == 1
    assert slack.card(request).ts == slack.get(request.id).card_ts


def test_card_is_posted_once_slack_is_back(bot_server: Slack) -> None:
    slack = bot_server
    # Three 500s: the call and both of the client's retries fail.
    slack.standin.fail("chat.postMessage", status=500, times=3)
    view = slack.open_modal(REQUESTER, TEXT)
    slack.submit(REQUESTER, view, {"reason": "the employee left; HR closed the account"})
    slack.standin.wait_for_calls("chat.postMessage", 3)
    record = wait_until(
        lambda: [a for a in slack.repo.undelivered_announcements() if a.attempts == 1],
        what="the failed card to be scheduled for a retry",
    )
    assert "slack:" in (record[0].last_error or "")
    slack.clock.advance(5)  # past the backoff
    slack.settle()
    assert len(slack.standin.messages(APPROVAL_CHANNEL)) == 1


def test_outage_during_execution_loses_nothing_and_runs_once(bot_server: Slack) -> None:
    slack = bot_server
    request = slack.request(REQUESTER, TEXT)
    for method in ("chat.postMessage", "chat.update", "conversations.open"):
        slack.standin.fail(method, status=200, error="service_unavailable", times=1000)
    slack.click(APPROVERS[0], "approve", request)
    slack.click(APPROVERS[1], "approve", request)
    assert slack.wait_status(request, "SUCCEEDED") == "SUCCEEDED"

    def mine() -> list[AnnouncementRecord]:
        # The request's own announcements (Home tab refreshes wait apart, for the clock).
        return slack.repo.undelivered_announcements(request_id=request.id)

    wait_until(
        lambda: mine() and all(a.attempts >= 1 for a in mine()[:1]),
        what="announcements to fail",
    )
    assert slack.sandbox.count("DeleteAccount") == 1

    slack.standin.reset_failures()
    slack.clock.advance(400)  # past the longest backoff (300 s)
    slack.settle()
    assert slack.sandbox.count("DeleteAccount") == 1
    replies = "\n".join(m.text for m in slack.thread(request))
    assert "Approved by" in replies and "Succeeded" in replies and "*RequestId*" in replies
    assert buttons(slack.card(request)) == []
    dms = [c for c in slack.standin.messages() if c.channel == "D0ALICE"]
    assert len(dms) == 1
