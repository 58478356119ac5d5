"""Nothing is marked sent unless it can be sent: the request is built and signed first.

A stored call that cannot be built (no endpoint: a Bastionhost call without RegionId and
no endpoint override; no credentials) ends FAILED with "Not sent: ...", never UNKNOWN
"The worker stopped after sending", and no byte leaves. Submission refuses such calls
at the field; these are stored ones (from before that rule, or written by hand).
"""

from __future__ import annotations

from datetime import timedelta

import httpx

from bot.approvals.policy import ApprovalRules, ApproverDirectory
from bot.approvals.workflow import Workflow
from bot.execution.worker import Worker
from commands.client import CloudClient
from commands.credentials import Credentials, StaticCredentialsProvider
from commands.errors import CredentialsError
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET
from storage.records import AuditDraft, NewRequest
from storage.repository import Repository
from storage.states import Status, Vote
from tests.support.clock import FakeClock


class NoCredentials:
    """A credentials source with nothing in it (an empty environment, no profile)."""

    def get(self) -> Credentials:
        raise CredentialsError("no credentials: ALIBABA_CLOUD_ACCESS_KEY_ID is not set")


NO_REGION = {
    "InstanceId": "bastionhost-cn-st220aw0001",
    "UserId": "1",
    "Hosts": '[{"HostId":"1"}]',
}


class NoNetwork(httpx.BaseTransport):
    """Counts what would have left the machine; answers nothing."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        raise httpx.ConnectError("no network in this test", request=request)


def stored_and_approved(repo: Repository, clock: FakeClock, params: dict[str, str]) -> str:
    """A DetachHostAccountsFromUser stored as given, then approved by two people."""
    rules = ApprovalRules(directory=ApproverDirectory({"UA", "UB", "UC"}, clock=clock))
    new = NewRequest(
        operation="DetachHostAccountsFromUser",
        params=params,
        requester="UREQ",
        reason="contractor left, access removed",
        destructive=True,
        required_approvals=2,
        expires_at=clock() + timedelta(days=1),
    )
    facts = {"operation": new.operation, "params": params, "required": 2, "destructive": True}
    repo.create_request(
        new, audit=(AuditDraft("request.submitted", "UREQ", facts, new.id),), now=clock()
    )
    workflow = Workflow(repo, rules)
    for user in ("UA", "UB"):
        workflow.decide(new.id, user, Vote.APPROVE, clock())
    return new.id


def run(repo: Repository, clock: FakeClock, client: CloudClient) -> None:
    rules = ApprovalRules(directory=ApproverDirectory({"UA", "UB", "UC"}, clock=clock))
    Worker(repo, client, owner="w", clock=clock, rules=rules).run_once()


def assert_not_sent(repo: Repository, request_id: str, network: NoNetwork, why: str) -> None:
    record = repo.get_request(request_id)
    execution = repo.get_execution(request_id)
    assert record is not None and record.status == Status.FAILED
    assert execution is not None and execution.sent_at is None  # never marked sent
    assert execution.result.message is not None and execution.result.message.startswith(
        "Not sent: "
    )
    assert why in execution.result.message and "after sending" not in execution.result.message
    assert "execution.sending" not in [e.kind for e in repo.audit_trail(request_id)]
    assert network.requests == []


def test_a_stored_detach_without_region_ends_failed_not_sent_and_says_why(
    repo: Repository, clock: FakeClock
) -> None:
    request_id = stored_and_approved(repo, clock, NO_REGION)
    network = NoNetwork()
    credentials = StaticCredentialsProvider.of(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET)
    with CloudClient(credentials, transport=network) as client:  # real endpoints, no override
        run(repo, clock, client)
    assert_not_sent(repo, request_id, network, "RegionId")


def test_a_call_without_credentials_ends_failed_not_sent(
    repo: Repository, clock: FakeClock
) -> None:
    request_id = stored_and_approved(repo, clock, {**NO_REGION, "RegionId": "cn-hangzhou"})
    network = NoNetwork()
    with CloudClient(NoCredentials(), transport=network) as client:
        run(repo, clock, client)
    assert_not_sent(repo, request_id, network, "ALIBABA_CLOUD_ACCESS_KEY_ID")
