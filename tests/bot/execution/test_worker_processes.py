"""Worker processes racing, and one killed mid-call (``python -m bot.execution.process``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from bot.approvals.policy import ApprovalRules, ApproverDirectory
from bot.approvals.workflow import Submitted, Workflow
from bot.execution.worker import FollowPolicy, Worker
from commands.catalog import get_spec, validate_params
from commands.client import CloudClient
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Sandbox
from storage.repository import Repository
from storage.states import Vote

pytestmark = pytest.mark.slow

CLEAN_MEMBER = "1512996702208737"
DETACH = {
    "InstanceId": "bastionhost-cn-st220aw0001",
    "RegionId": "cn-hangzhou",
    "UserId": "1",
    "Hosts": '[{"HostId":"1"}]',
}
FINAL = {"SUCCEEDED", "FAILED", "UNKNOWN"}
APPROVERS = ("UA", "UB", "UC")


def utcnow() -> datetime:
    return datetime.now(UTC)


def approval_rules() -> ApprovalRules:
    return ApprovalRules(directory=ApproverDirectory(set(APPROVERS), clock=utcnow))


@pytest.fixture
def repo(db_engine: Engine) -> Repository:
    """Real time, as the worker processes keep it: leases by the database's clock (this
    module's ``repo`` replaces the one with the test's fake clock)."""
    return Repository(db_engine)


def approve_many(repo: Repository, operation: str, params: dict[str, str], count: int) -> list[str]:
    workflow = Workflow(repo, approval_rules())
    spec = get_spec(operation)
    model = validate_params(spec, params)
    ids = []
    for _ in range(count):
        outcome = workflow.submit(
            spec=spec,
            params=model,
            requester="UREQ",
            reason="employee left the company",
            now=utcnow(),
        )
        assert isinstance(outcome, Submitted)
        for user in ("UA", "UB"):
            workflow.decide(outcome.request.id, user, Vote.APPROVE, utcnow())
        ids.append(outcome.request.id)
    return ids


def spawn(db_url: str, sandbox: Sandbox, *extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEMO_ACCESS_KEY_SECRET,
        "OFFBOARD_APPROVERS": ",".join(APPROVERS),  # the policy the door counts against
        # The approvals above are Slack-account clicks: the door counts them only with
        # step-up off (with it on, it would rightly refuse them as TAMPERED).
        "OFFBOARD_STEP_UP": "off",
    }
    command = [
        sys.executable,
        "-m",
        "bot.execution.process",
        "--database-url",
        db_url,
        "--endpoint",
        sandbox.base_url,
        *extra,
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.timeout(240)
def test_four_worker_processes_execute_200_requests_exactly_once(
    db_url: str, repo: Repository, sandbox: Sandbox
) -> None:
    ids = approve_many(repo, "DetachHostAccountsFromUser", DETACH, 200)
    workers = [spawn(db_url, sandbox, "--until-idle", "--owner", f"p{n}") for n in range(4)]
    try:
        for process in workers:
            _, stderr = process.communicate(timeout=180)
            assert process.returncode == 0, stderr.decode()
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert sandbox.count("DetachHostAccountsFromUser") == 200
    records = [repo.get_request(request_id) for request_id in ids]
    assert all(r is not None and r.status == "SUCCEEDED" for r in records)
    owners = set()
    for request_id in ids:
        execution = repo.get_execution(request_id)
        assert execution is not None and repo.get_execution(request_id, attempt=2) is None
        owners.add(execution.lease_owner)
    assert len(owners) > 1  # they really raced: more than one process did work


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("operation", "params"),
    [("DeleteAccount", {"AccountId": CLEAN_MEMBER}), ("DetachHostAccountsFromUser", DETACH)],
)
def test_a_worker_killed_mid_call_is_reconciled_without_a_second_call(
    db_url: str,
    repo: Repository,
    sandbox: Sandbox,
    cloud_client: CloudClient,
    operation: str,
    params: dict[str, str],
) -> None:
    [request_id] = approve_many(repo, operation, params, 1)
    sandbox.delay(operation, 5.0)  # the call takes effect; its answer is late
    process = spawn(db_url, sandbox, "--lease-seconds", "2", "--poll-seconds", "0.1")
    try:
        wait_for(lambda: sandbox.count(operation) == 1, 30, f"{operation} to reach the sandbox")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()
    execution = repo.get_execution(request_id)
    assert execution is not None and execution.sent_at is not None and execution.outcome is None

    # The restart: a new worker finds the expired lease and reconciles.
    restarted = Worker(
        repo,
        cloud_client,
        owner="restarted",
        clock=utcnow,
        rules=approval_rules(),
        lease_seconds=2,
        follow=FollowPolicy(first_delay=0.05, max_delay=0.2, max_polls=100),
    )

    def finished() -> bool:
        restarted.run_once()
        record = repo.get_request(request_id)
        return record is not None and record.status in FINAL

    wait_for(finished, 30, "the request to be reconciled")
    assert sandbox.count(operation) == 1  # never sent twice
    record = repo.get_request(request_id)
    execution = repo.get_execution(request_id)
    assert record is not None and execution is not None and execution.result.message
    kinds = [e.kind for e in repo.audit_trail(request_id)]
    assert "execution.taken_over" in kinds and "execution.reconciled" in kinds
    if operation == "DeleteAccount":
        # The deletion did happen (the sandbox applied it before answering late).
        assert record.status == "SUCCEEDED", execution.result.message
    else:
        assert record.status == "UNKNOWN"
        assert "ListHostAccountsForUser" in execution.result.message
