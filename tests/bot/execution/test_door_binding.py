"""An approval counts only for the call it was given for, and only if Offboard sealed it.

Attacks by someone who can write the database but holds no approver's session and not
``OFFBOARD_SECRET_KEY``: edit the parameters of an approved request; insert approvals
with the right binding (it is a plain hash anyone can compute); copy a real sealed
approval onto another request. The real worker runs against the sandbox each time:
nothing reaches the cloud, the request ends TAMPERED with the reason, on SQLite and
PostgreSQL. A control shows sealed approvals through the workflow do pass the door.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, insert, select, update

from bot.approvals.enrolment import rotate_key
from bot.approvals.policy import ApprovalRules, ApproverDirectory
from bot.approvals.seal import DecisionSeal, binding
from bot.approvals.sealing import SecretBox
from bot.approvals.workflow import Workflow
from commands.client import CloudClient
from commands.sandbox import Sandbox
from storage.models import DecisionRow, RequestRow
from storage.repository import Repository
from storage.states import Status, Vote
from tests.bot.execution.test_door import (
    assert_tampered,
    by_hand,
    mark_approved,
    submitted,
)
from tests.bot.execution.test_door import run_worker as door_worker
from tests.support.clock import FakeClock

MEMBER = "1512996702208737"
OTHER_MEMBER = "1699461245510000"
DETACH = "DetachHostAccountsFromUser"
KEY = base64.b64encode(b"a test key, 32 bytes, not secret").decode()


def sealed_rules(clock: Callable[[], datetime], key: str | None = KEY) -> ApprovalRules:
    directory = ApproverDirectory({"UA", "UB", "UC"}, clock=clock)
    return ApprovalRules(directory=directory, seal=DecisionSeal.from_key_text(key))


def filed(repo: Repository, clock: FakeClock, rules: ApprovalRules, *approvals: str) -> str:
    """A DeleteAccount request by UREQ, decided through the workflow by ``approvals``."""
    return submitted(repo, clock, *approvals, policy=rules)


def forged(request_id: str, user: str, clock: FakeClock, seal: str | None) -> object:
    """An approval written by hand, with the binding anyone can compute."""
    return insert(DecisionRow).values(
        request_id=request_id,
        user_id=user,
        vote="approve",
        created_at=clock(),
        binding=binding(request_id, "DeleteAccount", {"AccountId": MEMBER}),
        seal=seal,
    )


def run_worker(
    repo: Repository, client: CloudClient, clock: FakeClock, rules: ApprovalRules
) -> None:
    door_worker(repo, client, clock, policy=rules)


def not_counted(found: dict[str, object]) -> dict[str, str]:
    rows = found["not_counted"]
    assert isinstance(rows, list)
    return {row["user"]: row["why"] for row in rows}


def test_parameters_edited_after_the_approvals_are_not_covered_by_them(
    repo: Repository,
    db_engine: Engine,
    clock: FakeClock,
    sandbox: Sandbox,
    cloud_client: CloudClient,
) -> None:
    rules = sealed_rules(clock, key=None)  # binding alone, as with step-up off and no key
    request_id = filed(repo, clock, rules, "UA", "UB")
    assert repo.get_request(request_id).status is Status.APPROVED  # type: ignore[union-attr]
    by_hand(
        db_engine,
        update(RequestRow)
        .where(RequestRow.id == request_id)
        .values(params={"AccountId": OTHER_MEMBER}),
    )
    run_worker(repo, cloud_client, clock, rules)
    assert sandbox.count("DeleteAccount") == 0
    found = assert_tampered(repo, request_id)
    assert found["approvals"] == []
    assert not_counted(found) == {
        "UA": "approved other parameters than the request holds now",
        "UB": "approved other parameters than the request holds now",
    }


def test_approvals_inserted_with_the_right_binding_but_no_seal_do_not_count(
    repo: Repository,
    db_engine: Engine,
    clock: FakeClock,
    sandbox: Sandbox,
    cloud_client: CloudClient,
) -> None:
    rules = sealed_rules(clock)
    request_id = filed(repo, clock, rules)
    rows = [forged(request_id, "UA", clock, None), forged(request_id, "UB", clock, "0" * 64)]
    by_hand(db_engine, *rows, mark_approved(request_id, clock))
    run_worker(repo, cloud_client, clock, rules)
    assert sandbox.count("DeleteAccount") == 0
    found = assert_tampered(repo, request_id)
    assert not_counted(found) == {"UA": "not sealed by Offboard", "UB": "not sealed by Offboard"}


def test_a_real_sealed_approval_copied_onto_another_request_does_not_count(
    repo: Repository,
    db_engine: Engine,
    clock: FakeClock,
    sandbox: Sandbox,
    cloud_client: CloudClient,
) -> None:
    rules = sealed_rules(clock)
    genuine = filed(repo, clock, rules, "UA")  # one real approval: still PENDING
    target = filed(repo, clock, rules)
    with db_engine.connect() as connection:
        row = connection.execute(
            select(DecisionRow.seal).where(DecisionRow.request_id == genuine)
        ).one()
    copies = [forged(target, user, clock, row.seal) for user in ("UA", "UB")]
    by_hand(db_engine, *copies, mark_approved(target, clock))
    run_worker(repo, cloud_client, clock, rules)
    assert sandbox.count("DeleteAccount") == 0
    assert not_counted(assert_tampered(repo, target)) == {
        "UA": "not sealed by Offboard",
        "UB": "not sealed by Offboard",
    }


def test_a_seal_made_under_another_key_does_not_count(
    repo: Repository, clock: FakeClock, sandbox: Sandbox, cloud_client: CloudClient
) -> None:
    other = base64.b64encode(b"another key of 32 bytes, for you").decode()
    request_id = filed(repo, clock, sealed_rules(clock, key=other), "UA", "UB")
    run_worker(repo, cloud_client, clock, sealed_rules(clock))
    assert sandbox.count("DeleteAccount") == 0
    assert assert_tampered(repo, request_id)["approvals"] == []


def test_sealed_approvals_through_the_workflow_pass_the_door_and_the_call_goes_once(
    repo: Repository, clock: FakeClock, sandbox: Sandbox, cloud_client: CloudClient
) -> None:
    rules = sealed_rules(clock)
    request_id = filed(repo, clock, rules, "UA", "UB")
    [first, second] = repo.decisions_for(request_id)
    assert first.seal and second.seal and first.seal != second.seal
    assert rules.seal is not None and rules.seal.verifies(first)
    run_worker(repo, cloud_client, clock, rules)
    assert sandbox.count("DeleteAccount") == 1
    record = repo.get_request(request_id)
    assert record is not None and record.status is not Status.TAMPERED


def test_the_seal_key_is_derived_and_never_the_step_up_key_itself() -> None:
    box = SecretBox.from_base64(KEY)
    assert box.derive(b"offboard decision seal") != base64.b64decode(KEY)
    assert len(box.derive(b"offboard decision seal")) == 32


def test_a_key_rotation_carries_real_approvals_over_and_leaves_forged_ones_forged(
    repo: Repository,
    db_engine: Engine,
    clock: FakeClock,
    sandbox: Sandbox,
    cloud_client: CloudClient,
) -> None:
    new_key = base64.b64encode(b"the next key, also 32 bytes long").decode()
    request_id = filed(repo, clock, sealed_rules(clock), "UA")
    by_hand(db_engine, forged(request_id, "UC", clock, "f" * 64))
    rotate_key(
        repo, SecretBox.from_base64(KEY), SecretBox.from_base64(new_key), by="ops", now=clock()
    )
    rules = sealed_rules(clock, key=new_key)
    seals = {d.user_id: d for d in repo.decisions_for(request_id)}
    assert rules.seal is not None
    assert rules.seal.verifies(seals["UA"]) and not rules.seal.verifies(seals["UC"])
    Workflow(repo, rules).decide(request_id, "UB", Vote.APPROVE, clock())
    run_worker(repo, cloud_client, clock, rules)
    assert sandbox.count("DeleteAccount") == 1
