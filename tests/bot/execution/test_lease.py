"""A call stays inside its lease: two workers, a stalled network, an injected clock.

Worker A claims a call and its network stalls; the fake clock moves past A's lease;
worker B takes the execution over and concludes it ("it was not sent again"). Then A's
network comes back. Whatever A does next must not reach the cloud, and a real answer A
receives late must be kept and announced, not dropped. Each test runs on SQLite and on
PostgreSQL (``repo`` is parametrized), with the transport and the clock injected.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from bot.approvals.policy import ApprovalRules, ApproverDirectory
from bot.approvals.workflow import Submitted, Workflow
from bot.events import RequestEvent, parse
from bot.execution.worker import FollowPolicy, Worker
from bot.slack.thread_replies import Stored, thread_message
from commands.catalog import get_spec, validate_params
from commands.client import CloudClient
from commands.sandbox import Sandbox
from storage.repository import Repository
from storage.states import Status, Vote
from tests.support.clock import FakeClock
from tests.support.cloud import demo_client

DETACH = {
    "InstanceId": "bastionhost-cn-st220aw0001",
    "RegionId": "cn-hangzhou",
    "UserId": "1",
    "Hosts": '[{"HostId":"1"}]',
}
ACTION = "DetachHostAccountsFromUser"
LEASE = 30.0


class StallingTransport(httpx.BaseTransport):
    """The network of worker A: forwards to the sandbox, and stalls once on request.

    ``stall="connect"``: the first request hangs in its connect until released, then
    fails to connect (what a stalled connect ends in). ``stall="answer"``: the first
    request reaches the sandbox, and its answer is held back until released. Every
    attempt's timeouts are recorded; ``forwarded`` counts what reached the sandbox.
    """

    def __init__(self, stall: str | None = None) -> None:
        self.inner = httpx.HTTPTransport()
        self.stall = stall
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.timeouts: list[dict[str, Any]] = []
        self.forwarded = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.timeouts.append(dict(request.extensions.get("timeout", {})))
        first = len(self.timeouts) == 1
        if first and self.stall == "connect":
            self._hold()
            raise httpx.ConnectTimeout("connect stalled", request=request)
        self.forwarded += 1
        response = self.inner.handle_request(request)
        response.read()
        if first and self.stall == "answer":
            self._hold()
        return response

    def _hold(self) -> None:
        self.stalled.set()
        assert self.release.wait(30), "the test never released the stall"

    def close(self) -> None:
        self.release.set()
        self.inner.close()


def rules(clock: Callable[[], datetime]) -> ApprovalRules:
    return ApprovalRules(directory=ApproverDirectory({"UA", "UB", "UC"}, clock=clock))


def approved(
    repo: Repository, clock: FakeClock, action: str = ACTION, params: dict[str, str] = DETACH
) -> str:
    workflow = Workflow(repo, rules(clock))
    spec = get_spec(action)
    outcome = workflow.submit(
        spec=spec,
        params=validate_params(spec, params),
        requester="UREQ",
        reason="contractor left, access removed",
        now=clock(),
    )
    assert isinstance(outcome, Submitted)
    for user in ("UA", "UB"):
        workflow.decide(outcome.request.id, user, Vote.APPROVE, clock())
    return outcome.request.id


def worker(
    repo: Repository, client: CloudClient, clock: FakeClock, owner: str, lease: float = LEASE
) -> Worker:
    return Worker(
        repo,
        client,
        owner=owner,
        clock=clock,
        rules=rules(clock),
        lease_seconds=lease,
        follow=FollowPolicy(first_delay=0.05, max_delay=0.2),
    )


def kinds(repo: Repository, request_id: str) -> list[str]:
    return [event.kind for event in repo.audit_trail(request_id)]


@pytest.fixture
def network_a(request: pytest.FixtureRequest) -> Iterator[StallingTransport]:
    transport = StallingTransport(getattr(request, "param", None))
    yield transport
    transport.close()


def stall_then_take_over(
    repo: Repository,
    clock: FakeClock,
    network_a: StallingTransport,
    sandbox: Sandbox,
    cloud_client: CloudClient,
) -> str:
    """A claims and stalls; the lease runs out; B takes over and concludes; A resumes."""
    request_id = approved(repo, clock)
    with demo_client(sandbox.base_url, transport=network_a) as client_a:
        a = worker(repo, client_a, clock, "worker-A")
        thread = threading.Thread(target=a.run_once, daemon=True)
        thread.start()
        assert network_a.stalled.wait(20), "worker A never reached the network"
        clock.advance(LEASE + 1)  # A's lease runs out while it is stalled
        assert worker(repo, cloud_client, clock, "worker-B").run_once() == 1
        record = repo.get_request(request_id)
        assert record is not None and record.status == Status.UNKNOWN  # "not sent again"
        network_a.release.set()
        thread.join(20)
        assert not thread.is_alive()
    return request_id


@pytest.mark.parametrize("network_a", ["connect"], indirect=True)
def test_a_stalled_worker_never_sends_after_another_took_over(
    repo: Repository,
    clock: FakeClock,
    network_a: StallingTransport,
    sandbox: Sandbox,
    cloud_client: CloudClient,
) -> None:
    request_id = stall_then_take_over(repo, clock, network_a, sandbox, cloud_client)
    # A's connect failed, so its client would retry at once; the lease check stopped it.
    assert len(network_a.timeouts) == 1  # no second attempt was even signed
    assert network_a.forwarded == 0
    assert sandbox.count(ACTION) == 0  # B's "it was not sent again" stays true
    trail = kinds(repo, request_id)
    assert trail.index("execution.taken_over") < trail.index("execution.lease_lost")
    execution = repo.get_execution(request_id)
    assert execution is not None and execution.lease_owner == "worker-B"
    assert execution.outcome == Status.UNKNOWN and execution.late is None


@pytest.mark.parametrize("network_a", ["answer"], indirect=True)
def test_a_late_answer_after_a_takeover_is_kept_and_announced_as_a_correction(
    repo: Repository,
    clock: FakeClock,
    network_a: StallingTransport,
    sandbox: Sandbox,
    cloud_client: CloudClient,
) -> None:
    request_id = stall_then_take_over(repo, clock, network_a, sandbox, cloud_client)
    assert sandbox.count(ACTION) == 1  # A's one call went out before the stall; no other
    execution = repo.get_execution(request_id)
    assert execution is not None and execution.outcome == Status.UNKNOWN
    late = execution.late
    assert late is not None and (late.owner, late.outcome) == ("worker-A", Status.SUCCEEDED)
    assert late.result.http_status == 200 and late.result.request_id
    [audited] = [e for e in repo.audit_trail(request_id) if e.kind == "execution.late_answer"]
    assert audited.data["cloud_request_id"] == late.result.request_id
    corrections = [
        a
        for a in repo.undelivered_announcements(request_id=request_id)
        if a.payload["event"] == "correction"
    ]
    assert sorted(a.kind for a in corrections) == ["card", "thread"]
    record = repo.get_request(request_id)
    assert record is not None and record.status == Status.UNKNOWN  # a final status stays
    [thread] = [a for a in corrections if a.kind == "thread"]
    news = parse(thread.payload, request_id)
    assert isinstance(news, RequestEvent)
    text = thread_message(news, Stored(record, execution))["text"]
    assert "earlier UNKNOWN was wrong: the call did succeed" in text
    assert late.result.request_id in text and "Code" in text and "Message" in text


def test_every_attempt_is_cut_to_what_is_left_of_the_lease(
    repo: Repository, clock: FakeClock, sandbox: Sandbox
) -> None:
    request_id = approved(repo, clock)
    network = StallingTransport()
    with demo_client(sandbox.base_url, transport=network, timeout=10.0) as client:
        worker(repo, client, clock, "w", lease=4.0).run_once()
    record = repo.get_request(request_id)
    assert record is not None and record.status == Status.SUCCEEDED
    [timeout] = network.timeouts
    # A 4 s lease leaves the call 3 s; its phases share them: connect gets at most a
    # quarter (not the client's 5 s), reading half (not 10 s), and all of them <= 3 s.
    assert 0 < timeout["connect"] <= 0.75 and 0 < timeout["read"] <= 1.5
    assert sum(timeout.values()) <= 3.0


def test_a_retry_after_the_lease_ran_out_during_the_wait_is_not_sent(
    repo: Repository, clock: FakeClock, sandbox: Sandbox
) -> None:
    request_id = approved(repo, clock)
    network = StallingTransport("connect")
    network.release.set()  # the first connect fails at once
    # The backoff before the retry outlasts the lease (the fake clock jumps over it).
    with demo_client(
        sandbox.base_url, transport=network, sleep=lambda _s: clock.advance(LEASE)
    ) as client:
        worker(repo, client, clock, "w").run_once()
    assert network.forwarded == 0 and len(network.timeouts) == 1
    assert "execution.lease_lost" in kinds(repo, request_id)
    execution = repo.get_execution(request_id)
    assert execution is not None and execution.sent_at is not None and execution.outcome is None
    assert sandbox.count(ACTION) == 0


def test_a_retry_with_too_little_lease_left_is_not_sent(
    repo: Repository, clock: FakeClock, sandbox: Sandbox
) -> None:
    request_id = approved(repo, clock)
    network = StallingTransport("connect")
    network.release.set()
    # The wait leaves a fifth of the lease: less than the quarter kept for the answer.
    with demo_client(
        sandbox.base_url, transport=network, sleep=lambda _s: clock.advance(LEASE * 0.8)
    ) as client:
        worker(repo, client, clock, "w").run_once()
    assert network.forwarded == 0 and len(network.timeouts) == 1
    record = repo.get_request(request_id)
    execution = repo.get_execution(request_id)
    assert record is not None and record.status == Status.FAILED
    assert execution is not None and execution.result.message is not None
    assert (
        execution.result.message.startswith("Not sent:")
        and "no time left" in execution.result.message
    )
    assert sandbox.count(ACTION) == 0


@pytest.mark.parametrize("network_a", ["answer"], indirect=True)
def test_a_deletion_accepted_after_a_takeover_is_kept_as_a_late_answer(
    repo: Repository,
    clock: FakeClock,
    network_a: StallingTransport,
    sandbox: Sandbox,
    cloud_client: CloudClient,
) -> None:
    request_id = approved(repo, clock, "DeleteAccount", {"AccountId": "1512996702208737"})
    with demo_client(sandbox.base_url, transport=network_a) as client_a:
        a = worker(repo, client_a, clock, "worker-A")
        thread = threading.Thread(target=a.run_once, daemon=True)
        thread.start()
        assert network_a.stalled.wait(20), "worker A never reached the network"
        clock.advance(LEASE + 1)
        b = worker(repo, cloud_client, clock, "worker-B")
        assert b.run_once() == 1  # asks the cloud what became of the deletion
        assert b.wait_for_followers(20)
        network_a.release.set()  # A hears "accepted" only now
        thread.join(20)
        assert a.wait_for_followers(20)
    assert sandbox.count("DeleteAccount") == 1
    execution = repo.get_execution(request_id)
    assert execution is not None and execution.outcome == Status.SUCCEEDED  # B's finding
    assert execution.late is not None and execution.late.owner == "worker-A"
    assert execution.late.outcome == Status.SUCCEEDED and execution.late.result.request_id
    [thread_reply] = [
        a
        for a in repo.undelivered_announcements(request_id=request_id)
        if a.payload["event"] == "correction" and a.kind == "thread"
    ]
    record = repo.get_request(request_id)
    assert record is not None
    news = parse(thread_reply.payload, request_id)
    assert isinstance(news, RequestEvent)
    text = thread_message(news, Stored(record, execution))["text"]
    assert "A late answer confirms the earlier SUCCEEDED" in text
