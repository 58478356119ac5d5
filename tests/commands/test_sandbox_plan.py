"""The sandbox answers a member plan's operations, over real signed HTTP, and keeps state:
every path of issue 10 can be played, and a plan run twice meets what the first left."""

from __future__ import annotations

import json
from typing import Any

import pytest

from commands.client import CloudClient
from commands.errors import ApiError, ConflictError, NotFoundError
from commands.sandbox import Sandbox
from commands.sandbox.seed import (
    CLEAN_MEMBER,
    DEMO_INSTANCE_ID,
    INVITED_MEMBER,
    MANAGEMENT_ACCOUNT_ID,
)
from commands.sandbox.seed_plan import (
    ABANDONABLE_MEMBER,
    BIG_HOST,
    BLOCKED_MEMBER,
    LEAVER_HOSTS,
    LEAVER_MEMBER,
    LEAVER_RELATION,
    LEAVER_SERVICES,
    LEAVER_USER,
)
from tests.commands.test_sandbox import send, signed
from tests.support.clock import FakeClock
from tests.support.cloud import call

LEAVER = {"RegionId": "cn-hangzhou", "InstanceId": DEMO_INSTANCE_ID, "UserId": LEAVER_USER}


def refused(client: CloudClient, action: str, raw: dict[str, Any]) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(client, action, raw)
    return caught.value


def status(client: CloudClient, account_id: str) -> dict[str, Any]:
    body = call(client, "GetAccountDeletionStatus", {"AccountId": account_id}).body
    info: dict[str, Any] = body["RdAccountDeletionStatus"]
    return info


# ---- ResourceManager ------------------------------------------------------------------


def test_the_payer_is_the_relations_parent_or_the_member_itself(cloud_client: CloudClient) -> None:
    payer = call(cloud_client, "GetPayerForAccount", {"AccountId": LEAVER_MEMBER}).body
    assert payer["PayerAccountId"] == str(MANAGEMENT_ACCOUNT_ID)
    own = call(cloud_client, "GetPayerForAccount", {"AccountId": CLEAN_MEMBER}).body
    assert own["PayerAccountId"] == CLEAN_MEMBER
    gone = refused(cloud_client, "GetPayerForAccount", {"AccountId": "1000000000000000"})
    assert (type(gone), gone.code) == (NotFoundError, "EntityNotExists.Account")


def test_register_undoes_a_deregistration_and_says_when_it_is_already_done(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    raw = {"AccountId": LEAVER_MEMBER, "ServicePrincipal": LEAVER_SERVICES[0]}
    call(cloud_client, "DeregisterDelegatedAdministrator", raw)
    assert refused(cloud_client, "DeregisterDelegatedAdministrator", raw).code == (
        "AccountNotRegistered"
    )
    call(cloud_client, "RegisterDelegatedAdministrator", raw)
    listed = call(cloud_client, "ListDelegatedServicesForAccount", {"AccountId": LEAVER_MEMBER})
    services = {s["ServicePrincipal"] for s in listed.body["DelegatedServices"]["DelegatedService"]}
    assert services == set(LEAVER_SERVICES)
    again = refused(cloud_client, "RegisterDelegatedAdministrator", raw)
    assert (type(again), again.http_status, again.code) == (
        ConflictError,
        409,
        "AccountAlreadyRegistered",
    )
    unknown = refused(
        cloud_client, "RegisterDelegatedAdministrator", {**raw, "AccountId": "1000000000000000"}
    )
    assert unknown.code == "EntityNotExists.Account"
    bad = signed(
        sandbox, "RegisterDelegatedAdministrator", {**raw, "ServicePrincipal": "not a service"}
    )
    assert send(bad).json()["Code"] == "InvalidParameter.ServicePrincipal"
    assert len(sandbox.world.delegations_of(LEAVER_MEMBER)) == 2


def test_the_directory_says_whether_members_may_be_deleted(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    directory = call(cloud_client, "GetResourceDirectory", {}).body["ResourceDirectory"]
    member = call(cloud_client, "GetAccount", {"AccountId": LEAVER_MEMBER}).body["Account"]
    assert directory["MemberDeletionStatus"] == "Enabled"
    assert member["ResourceDirectoryId"] == directory["ResourceDirectoryId"]
    sandbox.world.member_deletion_enabled = False
    directory = call(cloud_client, "GetResourceDirectory", {}).body["ResourceDirectory"]
    assert directory["MemberDeletionStatus"] == "Disabled"
    no = refused(cloud_client, "DeleteAccount", {"AccountId": CLEAN_MEMBER})
    assert (no.http_status, no.code) == (409, "NoLicense.ResourceDirectory")
    assert sandbox.world.accounts[CLEAN_MEMBER].deletion is None


def test_a_member_blocked_by_what_no_api_clears(
    timed_cloud: tuple[Sandbox, CloudClient], clock: FakeClock
) -> None:
    box, client = timed_cloud
    call(client, "CheckAccountDelete", {"AccountId": BLOCKED_MEMBER})
    clock.advance(5)
    info = call(client, "GetAccountDeletionCheckResult", {"AccountId": BLOCKED_MEMBER}).body
    result = info["AccountDeletionCheckResultInfo"]
    assert result["AllowDelete"] == "false"
    assert [r["CheckId"] for r in result["NotAllowReason"]] == ["UNPAID_BILLS", "DOMAIN"]
    # Sent anyway, the deletion is accepted and its own check fails on the same items.
    call(client, "DeleteAccount", {"AccountId": BLOCKED_MEMBER})
    assert status(client, BLOCKED_MEMBER)["Status"] == "Checking"
    clock.advance(1)
    failed = status(client, BLOCKED_MEMBER)
    assert failed["Status"] == "CheckFailed"
    assert [r["Name"] for r in failed["FailReasonList"]] == ["Billing", "Domain Names"]
    assert call(client, "GetAccount", {"AccountId": BLOCKED_MEMBER}).body["Account"]
    assert not box.world.accounts[BLOCKED_MEMBER].deleted(clock())


def test_abandonable_checks_fail_the_deletion_unless_every_one_is_abandoned(
    timed_cloud: tuple[Sandbox, CloudClient], clock: FakeClock
) -> None:
    _box, client = timed_cloud
    member = {"AccountId": ABANDONABLE_MEMBER}
    call(client, "CheckAccountDelete", member)
    clock.advance(5)
    info = call(client, "GetAccountDeletionCheckResult", member).body[
        "AccountDeletionCheckResultInfo"
    ]
    assert info["AllowDelete"] == "true"
    assert [c["CheckId"] for c in info["AbandonableChecks"]] == ["NON_SP_cs", "NON_SP_ecs"]
    call(client, "DeleteAccount", {**member, "AbandonableCheckId": "NON_SP_cs"})
    clock.advance(1)
    failed = status(client, ABANDONABLE_MEMBER)
    assert (failed["Status"], [r["Name"] for r in failed["FailReasonList"]]) == (
        "CheckFailed",
        ["Elastic Compute Service"],
    )
    accepted = call(
        client, "DeleteAccount", {**member, "AbandonableCheckId": "NON_SP_cs,NON_SP_ecs"}
    )
    assert accepted.body["DeletionType"] == 1  # a silence period: pay-as-you-go resources
    assert (
        status(client, ABANDONABLE_MEMBER)["Status"],
        status(client, ABANDONABLE_MEMBER)["DeletionType"],
    ) == ("Deleting", "1")
    clock.advance(1)
    assert status(client, ABANDONABLE_MEMBER)["Status"] == "Success"
    assert refused(client, "DeleteAccount", member).code == "AccountNotExist.DeleteAccount"


def test_the_invited_member_is_a_cloud_account(cloud_client: CloudClient) -> None:
    account = call(cloud_client, "GetAccount", {"AccountId": INVITED_MEMBER}).body["Account"]
    assert (account["Type"], account["JoinMethod"]) == ("CloudAccount", "invited")


# ---- BssOpenApi ----------------------------------------------------------------------


def test_a_relieved_relation_is_gone_from_the_listing_and_cannot_be_relieved_again(
    cloud_client: CloudClient,
) -> None:
    raw = {"RelationId": str(LEAVER_RELATION)}
    call(cloud_client, "RelieveAccountRelation", raw)
    listed = call(cloud_client, "QueryRelationList", {"UserId": str(MANAGEMENT_ACCOUNT_ID)})
    ids = {r["RelationId"] for r in listed.body["Data"]["FinancialRelationInfoList"]}
    assert LEAVER_RELATION not in ids
    # No page documents this answer; it is invented (commands.sandbox.errors).
    again = refused(cloud_client, "RelieveAccountRelation", raw)
    assert (again.http_status, again.code) == (404, "RelationNotExist")


# ---- Bastionhost ---------------------------------------------------------------------


def test_list_hosts_for_user_pages_and_filters(cloud_client: CloudClient) -> None:
    first = call(cloud_client, "ListHostsForUser", {**LEAVER, "PageSize": "10"}).body
    second = call(
        cloud_client, "ListHostsForUser", {**LEAVER, "PageSize": "10", "PageNumber": "2"}
    ).body
    assert first["TotalCount"] == second["TotalCount"] == len(LEAVER_HOSTS) == 12
    assert [h["HostId"] for h in first["Hosts"] + second["Hosts"]] == list(LEAVER_HOSTS)
    others = call(cloud_client, "ListHostsForUser", {**LEAVER, "Mode": "Unauthorized"}).body
    assert {h["HostId"] for h in others["Hosts"]} == {"1", "2", "3", "4"}
    named = call(cloud_client, "ListHostsForUser", {**LEAVER, "HostName": "app-07"}).body
    assert [h["HostId"] for h in named["Hosts"]] == ["7"]
    assert refused(cloud_client, "ListHostsForUser", {**LEAVER, "UserId": "99"}).code == (
        "EntityNotExists.User"
    )
    assert refused(cloud_client, "ListHostsForUser", {**LEAVER, "RegionId": "cn-beijing"}).code == (
        "EntityNotExists.Instance"
    )


def test_attach_gives_back_what_detach_took_and_says_what_is_already_there(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    grants = sandbox.world.instances[DEMO_INSTANCE_ID].grants[LEAVER_USER]
    before = {host: set(accounts) for host, accounts in grants.items()}
    taken = sorted(before[BIG_HOST], key=int)[:9]
    hosts = json.dumps([{"HostId": BIG_HOST, "HostAccountIds": taken}, {"HostId": "6"}])
    detached = call(cloud_client, "DetachHostAccountsFromUser", {**LEAVER, "Hosts": hosts}).body
    assert {r["Code"] for r in detached["Results"]} == {"OK"}
    assert "6" not in grants and not set(taken) & grants[BIG_HOST]
    restore = json.dumps(
        [
            {"HostId": BIG_HOST, "HostAccountIds": taken},
            {"HostId": "6", "HostAccountIds": sorted(before["6"])},
        ]
    )
    attached = call(cloud_client, "AttachHostAccountsToUser", {**LEAVER, "Hosts": restore}).body
    assert {a["Code"] for r in attached["Results"] for a in r["HostAccounts"]} == {"OK"}
    assert {h: set(a) for h, a in grants.items()} == before
    again = call(cloud_client, "AttachHostAccountsToUser", {**LEAVER, "Hosts": restore}).body
    assert {a["Code"] for r in again["Results"] for a in r["HostAccounts"]} == {
        "OBJECT_AlREADY_EXISTS"
    }
    missing = call(
        cloud_client, "AttachHostAccountsToUser", {**LEAVER, "Hosts": '[{"HostId":"99"}]'}
    ).body
    assert missing["Results"][0]["Code"] == "OBJECT_NOT_FOUND"


def test_attach_for_an_unknown_user_or_over_the_bound_changes_nothing(sandbox: Sandbox) -> None:
    world = sandbox.world.instances[DEMO_INSTANCE_ID]
    before = {u: {h: set(a) for h, a in g.items()} for u, g in world.grants.items()}
    eleven = json.dumps([{"HostId": str(n)} for n in range(1, 12)])
    for params in (
        {**LEAVER, "UserId": "99", "Hosts": '[{"HostId":"1"}]'},
        {**LEAVER, "Hosts": eleven},  # past the page's 10 hosts (the catalog stops it sooner)
    ):
        answer = send(signed(sandbox, "AttachHostAccountsToUser", params, version="2019-12-09"))
        assert (answer.status_code, answer.json()["Code"]) == (400, "InvalidParameter")
    assert {u: {h: set(a) for h, a in g.items()} for u, g in world.grants.items()} == before
