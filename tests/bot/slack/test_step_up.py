"""Approval step-up through the real HTTP endpoint: a hijacked Slack session cannot approve.

Every test plays people with Slack-signed requests against the running bot (the Slack
stand-in records what the bot sent, the sandbox what reached the cloud); the approvers'
codes come from the devstack's demo authenticator, with the injected clock. The attacks:
no code, a wrong code, a code replayed on the same or another request, a code too old, a
guessing spree, an approver who never enrolled, the request changed under the modal.
Two replicas racing on one code are in test_step_up_replicas.py.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from bot.approvals import totp
from bot.approvals.digest import shown
from bot.devstack.authenticator import demo_totp_secret
from bot.devstack.local_stack import APPROVERS, REQUESTER, local_stack
from bot.devstack.payloads import Person
from storage.models import RequestRow
from storage.records import RequestRecord
from storage.states import Assurance
from tests.bot.slack.test_flow import buttons, card_text
from tests.support.clock import FakeClock
from tests.support.slack import Slack

BOB, CAROL = APPROVERS
DAVE = Person("U0DAVE", "dave")
TEXT = "DeleteAccount AccountId=1512996702208737"
OTHER = "DeleteAccount AccountId=1276001234567890"
CODE_VIEW = "approve_step_up"


def refusal(response: httpx.Response) -> str:
    """The field error the bot answered (``response_action: errors`` on totp_code)."""
    assert response.text, "the modal was closed: the approval was recorded"
    body = response.json()
    assert body["response_action"] == "errors" and list(body["errors"]) == ["totp_code"]
    return str(body["errors"]["totp_code"])


def code(slack: Slack, person: Person, seconds_ago: float = 0) -> str:
    """The code ``person``'s phone shows now, or showed ``seconds_ago``."""
    when = slack.clock() - timedelta(seconds=seconds_ago)
    return slack.stack.authenticator.code_at(person.user_id, when)


def wrong(slack: Slack, person: Person) -> str:
    near = {code(slack, person, s) for s in (-30, 0, 30)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)


def state(slack: Slack, request: RequestRecord) -> tuple[object, ...]:
    """What a refused attempt must leave alone: decisions, status, what everyone sees."""
    slack.settle()
    seen = [
        (c.method, c.params.get("ts"), c.params.get("text"))
        for c in slack.standin.calls()
        if c.method in {"chat.postMessage", "chat.update"}
    ]
    record = slack.get(request.id)
    return slack.repo.decisions_for(request.id), record.status, record.version, seen


def step_up_modals(slack: Slack) -> list[object]:
    return [
        c for c in slack.standin.calls("views.open") if c.params["view"]["callback_id"] == CODE_VIEW
    ]


def failures(slack: Slack, request: RequestRecord) -> list[str]:
    trail = slack.repo.audit_trail(request.id)
    return [str(e.data.get("reason")) for e in trail if e.kind == "step_up.failed"]


@pytest.fixture
def pending(bot_server: Slack) -> RequestRecord:
    return bot_server.request(REQUESTER, TEXT)


def modal(slack: Slack, person: Person, request: RequestRecord) -> dict[str, Any]:
    view = slack.open_step_up(person, request)
    assert view is not None, slack.ephemerals(person)
    return view


def test_approve_opens_the_modal_with_the_call_as_signed_and_its_digest(
    bot_server: Slack, pending: RequestRecord
) -> None:
    slack = bot_server
    view = modal(slack, BOB, pending)
    assert view["callback_id"] == CODE_VIEW
    metadata = json.loads(view["private_metadata"])
    assert metadata["request_id"] == pending.id
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [(b["block_id"], b["element"]["action_id"]) for b in inputs] == [
        ("totp_code", "totp_code")
    ]
    text = json.dumps(view)
    assert "DeleteAccount" in text and "AccountId=1512996702208737" in text
    assert "2020-03-31" in text and slack.stack.sandbox.base_url in text
    digest = shown(metadata["digest"])
    assert digest in text and digest in card_text(slack.card(pending))
    assert slack.repo.decisions_for(pending.id) == []  # a click alone records nothing


def test_no_code_or_a_wrong_code_is_refused_at_the_field_and_changes_nothing(
    bot_server: Slack, pending: RequestRecord
) -> None:
    slack = bot_server
    view = modal(slack, BOB, pending)
    before = state(slack, pending)
    for typed in (None, "", "not a code", wrong(slack, BOB)):  # four: five would lock out
        words = refusal(slack.submit_code(BOB, view, typed))
        assert "code" in words
        assert state(slack, pending) == before
    assert failures(slack, pending) == ["missing_code", "missing_code", "wrong_code", "wrong_code"]
    assert slack.sandbox.count("DeleteAccount") == 0


def test_a_code_is_spent_once_on_the_same_or_another_request(
    bot_server: Slack, pending: RequestRecord
) -> None:
    slack = bot_server
    other = slack.request(REQUESTER, OTHER)
    now = code(slack, BOB)
    first = modal(slack, BOB, pending)
    assert slack.submit_code(BOB, first, now).text == ""  # accepted: the modal closes
    # The same modal submitted again (a double click): one approval, a harmless no.
    assert "already approved" in refusal(slack.submit_code(BOB, first, now))
    # The same code on another request: refused, nothing recorded there.
    second = modal(slack, BOB, other)
    before = state(slack, other)
    assert "already used" in refusal(slack.submit_code(BOB, second, now))
    assert state(slack, other) == before
    assert failures(slack, other) == ["reused_code"]
    # The next code is fine.
    slack.clock.advance(30)
    assert slack.submit_code(BOB, second, code(slack, BOB)).text == ""
    [decision] = slack.repo.decisions_for(pending.id)
    assert decision.assurance is Assurance.SECOND_FACTOR
    audit = [e for e in slack.repo.audit_trail(pending.id) if e.kind == "decision.recorded"]
    assert audit[0].data["assurance"] == "second_factor" and audit[0].data["method"] == "totp"


def test_a_double_click_on_submit_records_one_approval(
    bot_server: Slack, pending: RequestRecord
) -> None:
    slack = bot_server
    view, now = modal(slack, BOB, pending), code(slack, BOB)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: slack.submit_code(BOB, view, now), range(4)))
    assert [a.text for a in answers].count("") == 1
    assert [d.user_id for d in slack.repo.decisions_for(pending.id)] == [BOB.user_id]
    assert failures(slack, pending) == []  # a repeat is no guess: nobody is locked out


def test_a_code_one_step_old_is_accepted_once_and_two_steps_old_never(
    bot_server: Slack, pending: RequestRecord
) -> None:
    slack = bot_server
    other = slack.request(REQUESTER, OTHER)
    late = code(slack, BOB, seconds_ago=30)  # typed just as the phone moved on
    assert slack.submit_code(BOB, modal(slack, BOB, pending), late).text == ""
    assert "already used" in refusal(slack.submit_code(BOB, modal(slack, BOB, other), late))
    stale = code(slack, CAROL, seconds_ago=60)
    assert "not right" in refusal(slack.submit_code(CAROL, modal(slack, CAROL, pending), stale))
    assert [d.user_id for d in slack.repo.decisions_for(pending.id)] == [BOB.user_id]
    assert slack.repo.decisions_for(other.id) == []


def test_the_sixth_attempt_is_refused_even_with_the_right_code(
    bot_server: Slack, pending: RequestRecord
) -> None:
    slack = bot_server
    view, guess = modal(slack, BOB, pending), wrong(slack, BOB)
    answers = [refusal(slack.submit_code(BOB, view, guess)) for _ in range(5)]
    assert all("not right" in a for a in answers[:4])
    assert "cannot approve until" in answers[4]
    before = state(slack, pending)
    assert "cannot approve until" in refusal(slack.submit_code(BOB, view, code(slack, BOB)))
    assert state(slack, pending) == before
    # Said in the approval channel (not only to bob) and audited.
    notices = [m.text for m in slack.standin.messages("C0APPROVALS") if ":lock:" in m.text]
    assert len(notices) == 1 and "<@U0BOB>" in notices[0]
    kinds = [e.kind for e in slack.repo.audit_trail(pending.id) if e.kind.startswith("step_up")]
    assert kinds == [*["step_up.failed"] * 5, "step_up.locked_out", "step_up.refused"]
    # A click while locked out is told at once, without a modal.
    assert slack.open_step_up(BOB, pending) is None
    assert "cannot approve until" in slack.ephemerals(BOB)[-1]
    # Fifteen minutes later the right code works again.
    slack.clock.advance(15 * 60)
    assert slack.submit_code(BOB, view, code(slack, BOB)).text == ""
    assert [d.user_id for d in slack.repo.decisions_for(pending.id)] == [BOB.user_id]


def test_an_unenrolled_approver_cannot_approve(tmp_path: Path, clock: FakeClock) -> None:
    enrolled = [REQUESTER.user_id, BOB.user_id, CAROL.user_id]
    with local_stack(
        tmp_path,
        clock=clock,
        approvers=frozenset([*enrolled, DAVE.user_id]),
        enrolled=enrolled,
    ) as stack:
        slack = Slack(stack, clock)
        request = slack.request(REQUESTER, TEXT)
        assert slack.open_step_up(DAVE, request) is None  # told why, no modal
        assert "not enrolled" in slack.ephemerals(DAVE)[-1]
        assert step_up_modals(slack) == []
        # Forging the submission of a modal opened for someone else changes nothing.
        view = modal(slack, BOB, request)
        before = state(slack, request)
        any_code = totp.code_at(demo_totp_secret(DAVE.user_id), totp.time_step(clock()))
        assert "not enrolled" in refusal(slack.submit_code(DAVE, view, any_code))
        assert state(slack, request) == before
        reasons = [e.data["reason"] for e in slack.repo.audit_trail(request.id)]
        assert reasons.count("not_enrolled") == 2


def test_a_request_changed_under_the_modal_is_not_approved(
    bot_server: Slack, pending: RequestRecord
) -> None:
    slack = bot_server
    view, now = modal(slack, BOB, pending), code(slack, BOB)
    # Someone with database access swaps the account while bob reads the modal.
    with slack.repo.engine.begin() as connection:
        connection.execute(
            update(RequestRow)
            .where(RequestRow.id == pending.id)
            .values(params={"AccountId": "1699461245510000"})
        )
    before = state(slack, pending)
    assert "digest changed" in refusal(slack.submit_code(BOB, view, now))
    assert state(slack, pending) == before
    # A forged digest in private_metadata is refused the same way.
    metadata = json.loads(view["private_metadata"]) | {"digest": "0" * 16}
    forged = {**view, "private_metadata": json.dumps(metadata)}
    assert "digest changed" in refusal(slack.submit_code(BOB, forged, now))
    # Nothing was spent: a fresh modal shows the new account, and the same code works.
    fresh = modal(slack, BOB, pending)
    assert "1699461245510000" in json.dumps(fresh) and fresh != view
    assert slack.submit_code(BOB, fresh, now).text == ""


def test_a_recovery_code_works_once_and_its_use_is_announced(
    bot_server: Slack, pending: RequestRecord
) -> None:
    slack = bot_server
    other = slack.request(REQUESTER, OTHER)
    spare = slack.stack.authenticator.recovery_codes[BOB.user_id][2]
    typed = spare.lower().replace("-", " ")  # as someone types it off paper
    assert slack.submit_code(BOB, modal(slack, BOB, pending), typed).text == ""
    slack.settle()
    notices = [m.text for m in slack.standin.messages("C0APPROVALS") if "recovery code" in m.text]
    assert len(notices) == 1 and "<@U0BOB>" in notices[0] and "7 left" in notices[0]
    kinds = [e.kind for e in slack.repo.audit_trail(pending.id)]
    assert "step_up.recovery_used" in kinds
    view = modal(slack, BOB, other)
    assert "already used" in refusal(slack.submit_code(BOB, view, spare))
    assert slack.repo.decisions_for(other.id) == []


def test_reject_needs_no_code(bot_server: Slack, pending: RequestRecord) -> None:
    slack = bot_server
    slack.click(BOB, "reject", pending)
    slack.wait_status(pending, "REJECTED")
    slack.settle()
    assert step_up_modals(slack) == []
    assert buttons(slack.card(pending)) == []
