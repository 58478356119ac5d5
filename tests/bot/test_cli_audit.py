"""`offboard-bot audit verify / head / export` against logs that were tampered with.

A real request is submitted, approved by two people and executed against the sandbox
cloud, so the log holds what the bot really writes. Then the log is attacked as someone
with database access would: its end cut off, or approval events deleted and the whole
chain re-hashed so that the chain alone verifies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, delete, insert

from bot.approvals.policy import ApprovalRules, ApproverDirectory
from bot.approvals.workflow import Submitted, Workflow
from bot.cli import main
from bot.execution.worker import Worker
from commands.catalog import get_spec, validate_params
from commands.client import CloudClient
from commands.sandbox import Sandbox
from storage import audit, audit_verify
from storage.audit import GENESIS_HASH, compute_hash, event_content
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import AuditEventRow
from storage.records import AuditEventRecord
from storage.repository import Repository
from storage.states import Status, Vote
from tests.support.clock import FakeClock

DETACH = {
    "InstanceId": "bastionhost-cn-st220aw0001",
    "RegionId": "cn-hangzhou",
    "UserId": "1",
    "Hosts": '[{"HostId":"1"}]',
}


def executed(repo: Repository, clock: FakeClock, client: CloudClient) -> str:
    """A request submitted by UREQ, approved by UA and UB, executed once."""
    rules = ApprovalRules(directory=ApproverDirectory({"UA", "UB", "UC"}, clock=clock))
    workflow = Workflow(repo, rules)
    spec = get_spec("DetachHostAccountsFromUser")
    outcome = workflow.submit(
        spec=spec,
        params=validate_params(spec, DETACH),
        requester="UREQ",
        reason="contractor left, access removed",
        now=clock(),
    )
    assert isinstance(outcome, Submitted)
    for user in ("UA", "UB"):
        workflow.decide(outcome.request.id, user, Vote.APPROVE, clock())
    Worker(repo, client, owner="w", clock=clock, rules=rules).run_once()
    record = repo.get_request(outcome.request.id)
    assert record is not None and record.status == Status.SUCCEEDED
    return outcome.request.id


def rehash_without(engine: Engine, doomed: Callable[[AuditEventRecord], bool]) -> None:
    """Delete events, renumber the rest and recompute every hash: the chain verifies."""
    events = [e for e in audit.iter_events(engine) if not doomed(e)]
    rows, prev = [], GENESIS_HASH
    for seq, e in enumerate(events, start=1):
        content = event_content(seq, e.at, e.kind, e.request_id, e.actor, e.data)
        digest = compute_hash(prev, content)
        rows.append({**content, "at": e.at, "prev_hash": prev, "hash": digest})
        prev = digest
    with engine.begin() as connection:
        connection.execute(delete(AuditEventRow))
        connection.execute(insert(AuditEventRow), rows)


# --- the library, on SQLite and PostgreSQL -------------------------------------------


def test_an_honest_executed_request_verifies(
    repo: Repository, db_engine: Engine, clock: FakeClock, cloud_client: CloudClient
) -> None:
    executed(repo, clock, cloud_client)
    result = audit_verify.verify(db_engine)
    assert result.ok, str(result)


def test_deleted_approval_events_fail_the_completeness_check_though_the_chain_verifies(
    repo: Repository, db_engine: Engine, clock: FakeClock, cloud_client: CloudClient
) -> None:
    request_id = executed(repo, clock, cloud_client)
    rehash_without(db_engine, lambda e: e.kind == "decision.recorded" and e.actor == "UB")
    result = audit_verify.verify(db_engine)
    assert result.chain_ok and not result.ok
    [gap] = result.gaps
    assert gap.request_id == request_id
    assert "1 recorded approval(s)" in gap.problem and "2 required" in gap.problem
    assert f"request {request_id} INCOMPLETE" in str(result)


def test_a_deleted_submission_fails_the_completeness_check(
    repo: Repository, db_engine: Engine, clock: FakeClock, cloud_client: CloudClient
) -> None:
    request_id = executed(repo, clock, cloud_client)
    rehash_without(db_engine, lambda e: e.kind == "request.submitted")
    [gap] = audit_verify.verify(db_engine).gaps
    assert (gap.request_id, gap.problem) == (
        request_id,
        "executed, but its request.submitted event is missing",
    )


def test_approvals_by_the_requester_do_not_make_a_trail_complete(
    repo: Repository, db_engine: Engine, clock: FakeClock, cloud_client: CloudClient
) -> None:
    request_id = executed(repo, clock, cloud_client)
    # Re-attribute one approval to the requester, as a forger covering a gap might.
    events = list(audit.iter_events(db_engine))
    [ua] = [e for e in events if e.kind == "decision.recorded" and e.actor == "UA"]
    with db_engine.begin() as connection:
        connection.execute(
            AuditEventRow.__table__.update().where(AuditEventRow.seq == ua.seq).values(actor="UREQ")
        )
    rehash_without(db_engine, lambda e: False)
    [gap] = audit_verify.verify(db_engine).gaps
    assert gap.request_id == request_id and "1 recorded approval(s)" in gap.problem


# --- the CLI -------------------------------------------------------------------------


@dataclass(frozen=True)
class CliDatabase:
    """The database `offboard-bot` is pointed at (``env``), and the bot's view of it."""

    env: dict[str, str]
    repo: Repository
    clock: FakeClock


@pytest.fixture
def cli_db(tmp_path: Path, clock: FakeClock) -> Iterator[CliDatabase]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield CliDatabase({"OFFBOARD_DATABASE_URL": url}, Repository(engine, clock=clock), clock)
    engine.dispose()


def offboard(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_a_truncated_chain_fails_audit_verify_with_its_anchor(
    cli_db: CliDatabase, cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    env, repo = cli_db.env, cli_db.repo
    executed(repo, cli_db.clock, cloud_client)
    code, anchor, _ = offboard(env, "audit", "head")
    anchor = anchor.strip()
    assert code == 0 and anchor.count(":") == 1
    assert offboard(env, "audit", "verify", "--anchor", anchor)[0] == 0
    # Cut the end of the chain: the result and its announcements' events are gone.
    with repo.engine.begin() as connection:
        last = int(anchor.split(":")[0])
        connection.execute(delete(AuditEventRow).where(AuditEventRow.seq > last - 2))
    code, out, _ = offboard(env, "audit", "verify")
    assert code == 0, out  # an honest-looking shorter chain...
    for kept in (anchor, anchor.split(":")[1]):  # ...that the anchor, either form, exposes
        code, out, _ = offboard(env, "audit", "verify", "--anchor", kept)
        assert code == 1 and "BROKEN" in out, out
    assert sandbox.count("DetachHostAccountsFromUser") == 1


def test_audit_verify_names_an_executed_request_without_its_approvals(
    cli_db: CliDatabase, cloud_client: CloudClient
) -> None:
    env, repo = cli_db.env, cli_db.repo
    request_id = executed(repo, cli_db.clock, cloud_client)
    rehash_without(repo.engine, lambda e: e.kind == "decision.recorded")
    code, out, _ = offboard(env, "audit", "verify")
    assert code == 1
    assert "audit chain OK" in out and f"request {request_id} INCOMPLETE" in out


def test_audit_export_ends_with_the_head_on_stderr_and_bad_anchors_are_refused(
    cli_db: CliDatabase, cloud_client: CloudClient
) -> None:
    env = cli_db.env
    executed(cli_db.repo, cli_db.clock, cloud_client)
    head = offboard(env, "audit", "head")[1].strip()
    code, out, err = offboard(env, "audit", "export")
    assert code == 0 and out.count("\n") == int(head.split(":")[0])
    assert head in err and "anchor" in err
    code, _, err = offboard(env, "audit", "verify", "--anchor", "12:not-a-digest")
    assert code == 2 and "--anchor" in err
