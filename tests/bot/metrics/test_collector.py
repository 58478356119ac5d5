"""The metrics that reflect the database, on SQLite and PostgreSQL: what a real worker
did against the sandbox, read back at scrape time."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import generate_latest
from sqlalchemy import Engine

from bot.approvals.policy import ApprovalRules, ApproverDirectory
from bot.approvals.workflow import Submitted, Workflow
from bot.execution.worker import FollowPolicy, Worker
from bot.metrics import Metrics
from commands.catalog import get_spec, validate_params
from commands.client import CloudClient
from storage.db import make_engine
from storage.repository import Repository
from storage.states import Vote
from tests.bot.metrics.scrape import parse, value
from tests.support.clock import FakeClock

DETACH = {
    "InstanceId": "bastionhost-cn-st220aw0001",
    "RegionId": "cn-hangzhou",
    "UserId": "1",
    "Hosts": '[{"HostId":"1"}]',
}


def submitted(workflow: Workflow, clock: FakeClock) -> str:
    spec = get_spec("DetachHostAccountsFromUser")
    outcome = workflow.submit(
        spec=spec,
        params=validate_params(spec, DETACH),
        requester="UREQ",
        reason="employee left the company",
        now=clock(),
    )
    assert isinstance(outcome, Submitted)
    return outcome.request.id


def test_the_database_series_follow_requests_decisions_executions_and_takeovers(
    repo: Repository, clock: FakeClock, cloud_client: CloudClient
) -> None:
    rules = ApprovalRules(directory=ApproverDirectory({"UA", "UB", "UC"}, clock=clock))
    workflow = Workflow(repo, rules)
    metrics = Metrics(repo.stats, clock)

    def samples() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return parse(generate_latest(metrics.registry).decode())

    empty = samples()
    assert value(empty, "offboard_database_up") == 1
    assert value(empty, "offboard_oldest_pending_request_age_seconds") == 0
    assert value(empty, "offboard_lease_takeovers_total") == 0

    first, second = submitted(workflow, clock), submitted(workflow, clock)
    clock.advance(90)
    waiting = samples()
    op = "DetachHostAccountsFromUser"
    assert value(waiting, "offboard_requests", operation=op, state="PENDING") == 2
    assert value(waiting, "offboard_oldest_pending_request_age_seconds") == 90
    assert value(waiting, "offboard_outbox_backlog", kind="card") == 2

    workflow.decide(first, "UA", Vote.APPROVE, clock())
    workflow.decide(first, "UB", Vote.APPROVE, clock())
    workflow.decide(second, "UC", Vote.REJECT, clock())
    # A worker claims the approved one, marks it sent and dies; another takes it over
    # and reconciles it (the sandbox never saw the call: it ends UNKNOWN, not re-sent).
    claimed = repo.claim_for_execution(first, owner="dead", lease_seconds=30, now=clock())
    assert claimed is not None and repo.record_sent(first, 1, owner="dead", now=clock())
    clock.advance(31)
    Worker(
        repo,
        cloud_client,
        owner="w2",
        clock=clock,
        rules=rules,
        lease_seconds=30,
        follow=FollowPolicy(first_delay=0.05, max_delay=0.2, max_polls=10),
    ).run_once()

    after = samples()
    assert value(after, "offboard_decisions_total", vote="approve") == 2
    assert value(after, "offboard_decisions_total", vote="reject") == 1
    assert value(after, "offboard_lease_takeovers_total") == 1
    assert value(after, "offboard_executions_total", operation=op, outcome="UNKNOWN") == 1
    assert value(after, "offboard_requests", operation=op, state="UNKNOWN") == 1
    assert value(after, "offboard_requests", operation=op, state="REJECTED") == 1
    assert value(after, "offboard_requests", operation=op, state="PENDING") == 0
    assert value(after, "offboard_oldest_pending_request_age_seconds") == 0


def test_a_scrape_with_the_database_down_says_so_and_still_answers(clock: FakeClock) -> None:
    engine: Engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1")
    try:
        metrics = Metrics(Repository(engine).stats, clock)
        metrics.cloud_call("GetAccount", "OK", 0.2)
        samples = parse(generate_latest(metrics.registry).decode())
    finally:
        engine.dispose()
    assert value(samples, "offboard_database_up") == 0
    assert (
        value(samples, "offboard_cloud_call_duration_seconds_count", action="GetAccount", code="OK")
        == 1
    )
    assert not any(name == "offboard_requests" for name, _ in samples)


def test_the_oldest_pending_age_is_measured_by_the_injected_clock(
    repo: Repository, clock: FakeClock
) -> None:
    workflow = Workflow(repo, ApprovalRules(directory=ApproverDirectory({"UA", "UB"}, clock=clock)))
    submitted(workflow, clock)
    clock.advance(timedelta(hours=2).total_seconds())
    submitted(workflow, clock)  # a newer one does not make the oldest younger
    samples = parse(generate_latest(Metrics(repo.stats, clock).registry).decode())
    assert value(samples, "offboard_oldest_pending_request_age_seconds") == 7200
