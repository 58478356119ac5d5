"""Already done: a step sent again meets what the first send left, and says so. Against the
sandbox for every declared case, and the attacks: a refusal no page documents must not
pass as done while the effect is not there, nor a transient one ever."""

from __future__ import annotations

import json

from commands.catalog.already_done import ALREADY_DONE, already_done_of
from commands.client import CloudClient
from commands.errors import CloudError, OutcomeUnknownError
from commands.member_plan import CloudReader, settle
from commands.member_plan.model import HostGrant, Relation
from commands.member_plan.steps import deletion_step, deregister_step, detach_steps, relieve_step
from commands.responses import CallResult
from commands.sandbox import Sandbox
from commands.sandbox.seed import CLEAN_MEMBER, MANAGEMENT_ACCOUNT_ID
from commands.sandbox.seed_plan import LEAVER_MEMBER, LEAVER_RELATION, LEAVER_SERVICES
from tests.commands.member_plan.running import LEAVER_USERS, send

RELATION = Relation(LEAVER_RELATION, str(MANAGEMENT_ACCOUNT_ID), None, "RELATED")


def test_the_declarations_are_the_issues_four_and_the_rollbacks_two() -> None:
    assert already_done_of("DeregisterDelegatedAdministrator").codes == {"AccountNotRegistered"}
    assert already_done_of("DeleteAccount").codes == {"AccountNotExist.DeleteAccount"}
    assert already_done_of("DetachHostAccountsFromUser").item_codes == {"OBJECT_NOT_FOUND"}
    assert already_done_of("RelieveAccountRelation").by_read
    assert set(ALREADY_DONE) == {
        "DeregisterDelegatedAdministrator",
        "DeleteAccount",
        "DetachHostAccountsFromUser",
        "RelieveAccountRelation",
        "RegisterDelegatedAdministrator",
        "AttachHostAccountsToUser",
    }
    assert already_done_of("GetAccount") == already_done_of("NoSuchAction")


def test_deregistering_twice_is_already_done(cloud_client: CloudClient) -> None:
    reader, step = CloudReader(cloud_client), deregister_step(LEAVER_MEMBER, LEAVER_SERVICES[0])
    first = send(cloud_client, step)
    assert isinstance(first, CallResult) and settle(reader, step, result=first).verdict == "done"
    second = send(cloud_client, step)
    assert isinstance(second, CloudError)
    settled = settle(reader, step, error=second)
    assert settled.verdict == "already_done" and "AccountNotRegistered" in settled.message


def test_deleting_a_member_already_deleted_is_already_done(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    sandbox.world.deletion_seconds = 0
    reader, step = CloudReader(cloud_client), deletion_step(CLEAN_MEMBER)
    assert isinstance(send(cloud_client, step), CallResult)
    again = send(cloud_client, step)
    assert isinstance(again, CloudError)
    assert settle(reader, step, error=again).verdict == "already_done"


def test_detaching_twice_is_already_done_item_by_item(cloud_client: CloudClient) -> None:
    reader = CloudReader(cloud_client)
    user = LEAVER_USERS[1]  # Shanghai: one host, one account
    [step] = detach_steps(user, [HostGrant("2", None, ("2",))])
    first = send(cloud_client, step)
    assert isinstance(first, CallResult) and settle(reader, step, result=first).verdict == "done"
    second = send(cloud_client, step)
    assert isinstance(second, CallResult)
    settled = settle(reader, step, result=second)
    assert settled.verdict == "already_done"
    assert "host 2 account 2: OBJECT_NOT_FOUND" in settled.details


def test_relieving_twice_is_already_done_by_the_relation_listing(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    reader, step = CloudReader(cloud_client), relieve_step(RELATION)
    assert isinstance(send(cloud_client, step), CallResult)
    again = send(cloud_client, step)
    assert isinstance(again, CloudError)
    settled = settle(reader, step, error=again)
    assert settled.verdict == "already_done"
    assert "RelationNotExist" in settled.message and "no longer in force" in settled.message
    assert sandbox.count("QueryRelationList") == 1


def test_an_undocumented_refusal_while_the_relation_is_in_force_is_a_failure(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    # The attack: a refusal that looks like "gone" while the relation still binds the
    # member; counting it done would send DeleteAccount into NotSupport.HasPayerAccount.
    sandbox.fail("RelieveAccountRelation", status=404, code="RelationNotExist", message="gone?")
    reader, step = CloudReader(cloud_client), relieve_step(RELATION)
    refused = send(cloud_client, step)
    assert isinstance(refused, CloudError)
    settled = settle(reader, step, error=refused)
    assert settled.verdict == "failed" and "RelationNotExist" in settled.message
    assert sandbox.world.relations[LEAVER_RELATION].state == "RELATED"


def test_a_transient_refusal_is_never_counted_done(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    reader, step = CloudReader(cloud_client), relieve_step(RELATION)
    assert isinstance(send(cloud_client, step), CallResult)
    sandbox.fail("RelieveAccountRelation", status=503, code="ServiceUnavailable", message="busy")
    refused = send(cloud_client, step)  # a write is not retried on a 5xx
    assert isinstance(refused, CloudError)
    assert settle(reader, step, error=refused).verdict == "failed"
    assert sandbox.count("QueryRelationList") == 0


def test_a_call_without_an_answer_is_settled_by_its_read(cloud_client: CloudClient) -> None:
    reader, step = CloudReader(cloud_client), deregister_step(LEAVER_MEMBER, LEAVER_SERVICES[1])
    lost = OutcomeUnknownError("resourcemanager.aliyuncs.com did not answer")
    assert settle(reader, step, error=lost).verdict == "unknown"  # not done: never assumed
    assert isinstance(send(cloud_client, step), CallResult)
    assert settle(reader, step, error=lost).verdict == "done"


def test_the_rollbacks_sent_twice_are_already_done(cloud_client: CloudClient) -> None:
    reader = CloudReader(cloud_client)
    deregister = deregister_step(LEAVER_MEMBER, LEAVER_SERVICES[0])
    [register] = deregister.rollback
    assert isinstance(send(cloud_client, deregister), CallResult)
    assert isinstance(send(cloud_client, register), CallResult)
    again = send(cloud_client, register)
    assert isinstance(again, CloudError)
    assert settle(reader, register, error=again).verdict == "already_done"
    [detach] = detach_steps(LEAVER_USERS[1], [HostGrant("2", None, ("2",))])
    [attach] = detach.rollback
    for step in (detach, attach):
        assert isinstance(send(cloud_client, step), CallResult)
    answer = send(cloud_client, attach)
    assert isinstance(answer, CallResult)
    assert settle(reader, attach, result=answer).verdict == "already_done"


def _detach_answer(*codes: str) -> CallResult:
    accounts = [{"Code": code, "HostAccountId": str(n)} for n, code in enumerate(codes, 1)]
    body = {"Results": [{"Code": "OK", "HostId": "2", "UserId": "2", "HostAccounts": accounts}]}
    return CallResult(200, None, None, "R-9", None, body)


def test_items_that_failed_fail_the_step_and_are_named(cloud_client: CloudClient) -> None:
    [step] = detach_steps(LEAVER_USERS[1], [HostGrant("2", None, ("1", "2", "3"))])
    reader = CloudReader(cloud_client)
    settled = settle(reader, step, result=_detach_answer("OK", "OBJECT_NOT_FOUND", "UNEXPECTED"))
    assert settled.verdict == "failed"
    assert settled.details == ("host 2 account 3: UNEXPECTED",)
    mixed = settle(reader, step, result=_detach_answer("OK", "OBJECT_NOT_FOUND"))
    assert (mixed.verdict, mixed.details) == ("done", ("host 2 account 2: OBJECT_NOT_FOUND",))
    # An item that says it already exists is not "not found": for a detach it failed.
    odd = settle(reader, step, result=_detach_answer("OBJECT_AlREADY_EXISTS"))
    assert odd.verdict == "failed"
    assert json.loads(step.params["Hosts"]) == [{"HostId": "2", "HostAccountIds": ["1", "2", "3"]}]
