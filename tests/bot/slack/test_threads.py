"""Events are told in the thread they name, so one thread can carry several requests.

A second request whose events name the first request's card (as a plan's second gate
will) gets its card posted inside that thread and its replies there, after the first
request's own; the first request's thread is not disturbed. Through the real announcer
into the Slack stand-in.
"""

from __future__ import annotations

from datetime import timedelta

from bot.devstack.local_stack import APPROVAL_CHANNEL, REQUESTER
from bot.events import Cancelled, Submitted, Thread, drafts
from storage.records import Change, NewRequest
from tests.support.slack import Slack

MEMBER = "1512996702208737"


def test_a_request_told_in_another_request_s_thread(bot_server: Slack) -> None:
    slack = bot_server
    first = slack.request(REQUESTER, f"DeleteAccount AccountId={MEMBER}")
    there = Thread(card_of=first.id)
    new = NewRequest(
        operation="DeleteAccount",
        params={"AccountId": MEMBER},
        requester=REQUESTER.user_id,
        reason="the second gate of a plan",
        destructive=True,
        required_approvals=2,
        expires_at=slack.clock() + timedelta(hours=1),
    )
    submitted = Submitted(request_id=new.id, actor=REQUESTER.user_id, thread=there)
    slack.repo.create_request(new, announcements=drafts(submitted), now=slack.clock())
    cancelled = Cancelled(request_id=new.id, actor=REQUESTER.user_id, thread=there)
    slack.repo.apply(
        new.id, lambda r, d: Change(announcements=drafts(cancelled)), now=slack.clock()
    )
    slack.settle()

    parent = slack.card(first).ts
    stored = slack.get(new.id)
    assert stored.card_ts is not None and stored.card_ts != parent
    in_thread = slack.standin.thread(APPROVAL_CHANNEL, parent)
    # The second request's card, then its reply, both under the first card.
    assert [m.ts for m in in_thread][-2] == stored.card_ts
    assert new.id in str(in_thread[-2].blocks)
    assert "Cancelled by" in in_thread[-1].text
    # Nothing went to a thread of its own.
    assert slack.standin.thread(APPROVAL_CHANNEL, stored.card_ts) == []
