"""What cannot be built, shown or requested is refused at submission, at its field.

The attack (issue 8.6): DetachHostAccountsFromUser without ``RegionId`` passed the modal,
was approved, was marked sent and only then failed to build (Bastionhost endpoints are
regional), so it ended UNKNOWN with "the worker stopped after sending", which was false.
Now the submission asks the cloud client for the endpoint, as the worker will.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.deps import build_deps
from bot.devstack.local_stack import REQUESTER, local_stack
from bot.devstack.payloads import SlackSigner, view_submission
from bot.slack.listeners.submission_guards import build_problems
from bot.slack.listeners.views import check
from bot.slack.runtime import Runtime
from bot.slack.views.modal import Submission
from commands.catalog import get_spec
from commands.client import CloudClient
from commands.credentials import StaticCredentialsProvider
from commands.errors import ParameterError
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET
from tests.bot.slack.test_replay import drain
from tests.support.clock import FakeClock
from tests.support.slack import Slack

DETACH = {
    "InstanceId": "bastionhost-cn-st220aw0001",
    "UserId": "1",
    "Hosts": '[{"HostId":"1"}]',
    "reason": "the employee left; HR closed the account",
}


def no_network(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("tests never reach a real Alibaba Cloud endpoint", request=request)


def cloud_without_override() -> CloudClient:
    credentials = StaticCredentialsProvider.of(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET)
    return CloudClient(credentials, transport=httpx.MockTransport(no_network))


@pytest.fixture
def replica_without_override(tmp_path: Path, clock: FakeClock) -> Iterator[tuple[Slack, Slack]]:
    """The local stack, and a second app on its database and Slack with no endpoint override."""
    with local_stack(tmp_path, clock=clock, worker_poll=0.2) as stack:
        deps = build_deps(
            stack.settings, clock=clock, cloud=cloud_without_override(), repo=stack.deps.repo
        )
        runtime = Runtime(deps)
        url = runtime.start_http()
        secret = stack.settings.slack_signing_secret
        assert secret is not None
        signer = SlackSigner(
            secret.get_secret_value(),
            f"{url}/slack/events",
            response_url=stack.standin.response_url,
        )
        other = Slack(stack, clock)
        other.signer = signer
        try:
            yield Slack(stack, clock), other
        finally:
            signer.close()
            runtime.stop()


def test_detach_without_a_region_is_refused_at_its_field_without_an_override(
    replica_without_override: tuple[Slack, Slack],
) -> None:
    with_override, without = replica_without_override
    view = without.open_modal(REQUESTER, "DetachHostAccountsFromUser")
    answer = without.submit(REQUESTER, view, DETACH).json()
    assert answer == {
        "response_action": "errors",
        "errors": {"RegionId": "Required: Bastionhost endpoints are regional."},
    }
    assert without.repo.list_requests() == []

    # With a region it can be built, so it passes; with an override, no region is needed.
    view = without.open_modal(REQUESTER, "DetachHostAccountsFromUser")
    assert without.submit(REQUESTER, view, {**DETACH, "RegionId": "cn-hangzhou"}).text == ""
    view = with_override.open_modal(REQUESTER, "DetachHostAccountsFromUser")
    assert with_override.submit(REQUESTER, view, DETACH).text == ""


def test_the_submission_check_asks_the_client_for_the_endpoint() -> None:
    spec = get_spec("DetachHostAccountsFromUser")
    raw = {name: value for name, value in DETACH.items() if name != "reason"}
    submission = Submission(spec.action, raw, DETACH["reason"])
    with pytest.raises(ParameterError) as refused:
        check(spec, submission, refusal=None, cloud=cloud_without_override())
    assert refused.value.field_errors == {
        "RegionId": "Required: Bastionhost endpoints are regional."
    }
    regional = Submission(spec.action, {**raw, "RegionId": "cn-hangzhou"}, DETACH["reason"])
    assert check(spec, regional, refusal=None, cloud=cloud_without_override())


def test_a_list_too_long_to_show_approvers_is_refused_at_its_field(bot_server: Slack) -> None:
    slack = bot_server
    checks = json.dumps([f"NON_SP_{i:05}_" + "x" * 100 for i in range(2500)])
    view = slack.open_modal(REQUESTER, "DeleteAccount AccountId=1512996702208737")
    values = {"AbandonableCheckId": checks, "reason": DETACH["reason"]}
    answer = slack.submit(REQUESTER, view, values).json()
    # The catalog may bound the list first; either way it is refused at its field.
    assert answer["response_action"] == "errors" and list(answer["errors"]) == [
        "AbandonableCheckId"
    ]
    drain(slack)
    assert slack.repo.list_requests() == []


def test_what_the_card_cannot_show_in_full_is_a_field_error_saying_the_limit() -> None:
    spec = get_spec("DeleteAccount")
    # Built past the catalog's own rules: whatever they allow, the card is the last word.
    params = spec.params_model.model_construct(
        AccountId="1512996702208737",
        AbandonableCheckId=[f"NON_SP_{i:05}_" + "x" * 100 for i in range(2500)],
    )
    problems = build_problems(spec, params, cloud_without_override())
    assert list(problems) == ["AbandonableCheckId"]
    assert "Too long to show in full to approvers" in problems["AbandonableCheckId"]
    assert "50 blocks of at most 3000 characters" in problems["AbandonableCheckId"]


def test_a_submission_naming_an_operation_the_form_does_not_offer_files_nothing(
    bot_server: Slack,
) -> None:
    # The picker offers only operations that change the cloud; a read named in a signed
    # submission would otherwise be filed, approved on the spot and run.
    slack = bot_server
    view = slack.open_modal(REQUESTER, "DeleteAccount AccountId=1512996702208737")
    payload = view_submission(REQUESTER, view, {"reason": DETACH["reason"]})
    state = payload["view"]["state"]["values"]
    state["operation"]["operation"]["selected_option"] = {"value": "GetAccount"}
    answer = slack.signer.post_payload(payload).json()
    assert answer["response_action"] == "errors" and list(answer["errors"]) == ["operation"]
    assert "GetAccount only reads" in answer["errors"]["operation"]
    drain(slack)
    assert slack.repo.list_requests() == [] and slack.sandbox.calls == []
