"""The sandbox cloud over real HTTP: signatures, documented errors, state, faults."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
import pytest

from commands.client import CallResult, CloudClient
from commands.credentials import Credentials
from commands.errors import ApiError
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Sandbox
from commands.signing import AcsV3Auth, canonical_query
from tests.support.clock import FakeClock
from tests.support.cloud import call

ADMIN = "1699461245510000"  # delegated administrator of cloudfw, finance relation 51463
CLEAN = "1512996702208737"
INSTANCE = "bastionhost-cn-st220aw0001"


def refused(client: CloudClient, action: str, raw: dict[str, Any]) -> CallResult:
    with pytest.raises(ApiError) as caught:
        call(client, action, raw)
    return caught.value.result


def signed(
    sandbox: Sandbox,
    action: str,
    params: dict[str, str],
    *,
    version: str = "2020-03-31",
    secret: str = DEMO_ACCESS_KEY_SECRET,
    key_id: str = DEMO_ACCESS_KEY_ID,
    clock: Any = None,
    nonce: str | None = None,
) -> httpx.Request:
    """A request signed by our signer, for the tests that then break it."""
    request = httpx.Request("POST", f"{sandbox.base_url}/?{canonical_query(params)}")
    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = clock
    if nonce is not None:
        extra["nonce"] = lambda: nonce
    AcsV3Auth(Credentials(key_id, secret), action=action, version=version, **extra).sign(request)
    return request


def send(request: httpx.Request) -> httpx.Response:
    with httpx.Client(trust_env=False) as http:
        return http.send(request)


# ---- signatures ------------------------------------------------------------------------


def assert_error_body(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status
    body: dict[str, Any] = response.json()
    assert body["Code"] == code
    assert body["Message"]
    assert body["RequestId"]
    assert body["HostId"]
    assert body["Recommend"].startswith(f"https://api.aliyun.com/troubleshoot?q={code}")
    assert DEMO_ACCESS_KEY_SECRET not in response.text
    return body


def test_a_wrong_secret_is_refused_and_changes_nothing(sandbox: Sandbox) -> None:
    params = {"AccountId": ADMIN, "ServicePrincipal": "cloudfw.aliyuncs.com"}
    request = signed(sandbox, "DeregisterDelegatedAdministrator", params, secret="guessed")
    assert_error_body(send(request), 400, "SignatureDoesNotMatch")
    assert sandbox.world.delegations_of(ADMIN)
    assert [c.signature_ok for c in sandbox.calls] == [False]


def test_a_parameter_changed_after_signing_is_refused(sandbox: Sandbox) -> None:
    request = signed(sandbox, "GetAccount", {"AccountId": ADMIN})
    forged = httpx.Request("POST", str(request.url).replace(ADMIN, CLEAN), headers=request.headers)
    assert_error_body(send(forged), 400, "SignatureDoesNotMatch")
    assert send(signed(sandbox, "GetAccount", {"AccountId": ADMIN})).status_code == 200


def test_an_unknown_access_key_is_refused(sandbox: Sandbox) -> None:
    request = signed(sandbox, "GetAccount", {"AccountId": ADMIN}, key_id="LTAI5tSomeoneElse")
    assert_error_body(send(request), 404, "InvalidAccessKeyId.NotFound")


@pytest.mark.parametrize("authorization", [None, "ACS3-HMAC-SHA256 nonsense", "Bearer abc"])
def test_a_missing_or_malformed_authorization_is_incomplete(
    sandbox: Sandbox, authorization: str | None
) -> None:
    request = signed(sandbox, "GetAccount", {"AccountId": ADMIN})
    del request.headers["Authorization"]
    if authorization is not None:
        request.headers["Authorization"] = authorization
    assert_error_body(send(request), 400, "IncompleteSignature")


def test_a_stale_date_is_refused(sandbox: Sandbox) -> None:
    long_ago = FakeClock()
    long_ago.advance(-3600)
    request = signed(sandbox, "GetAccount", {"AccountId": ADMIN}, clock=long_ago)
    assert_error_body(send(request), 400, "InvalidTimeStamp.Expired")


def test_a_reused_nonce_is_refused(sandbox: Sandbox) -> None:
    first = signed(sandbox, "GetAccount", {"AccountId": ADMIN}, nonce="n-1")
    again = signed(sandbox, "GetAccount", {"AccountId": ADMIN}, nonce="n-1")
    assert send(first).status_code == 200
    assert_error_body(send(again), 400, "SignatureNonceUsed")


def test_a_nonce_is_forgotten_only_after_twice_the_skew_window(clock: FakeClock) -> None:
    with Sandbox(clock=clock) as box:

        def get(nonce: str) -> int:
            request = signed(box, "GetAccount", {"AccountId": ADMIN}, clock=clock, nonce=nonce)
            return send(request).status_code

        assert get("n-1") == 200
        clock.advance(20 * 60)
        assert get("n-2") == 200
        assert get("n-1") == 400  # 20 minutes on: still remembered
        clock.advance(11 * 60)
        assert get("n-1") == 200  # 31 minutes on: forgotten
        assert get("n-2") == 400  # 11 minutes old: still remembered


def test_wrong_version_and_unknown_action(sandbox: Sandbox) -> None:
    old = signed(sandbox, "GetAccount", {"AccountId": ADMIN}, version="2016-11-11")
    assert_error_body(send(old), 400, "InvalidVersion")
    assert_error_body(send(signed(sandbox, "DeleteEverything", {})), 404, "InvalidAction.NotFound")


# ---- ResourceManager ------------------------------------------------------------------


def test_delete_account_preconditions_in_order(cloud_client: CloudClient, sandbox: Sandbox) -> None:
    assert refused(cloud_client, "DeleteAccount", {"AccountId": "1000000000000000"}).code == (
        "EntityNotExists.Account"
    )
    blocked = refused(cloud_client, "DeleteAccount", {"AccountId": ADMIN})
    assert (blocked.http_status, blocked.code) == (
        409,
        "RemoveConfilctAccountAsDelegatedAdministator",
    )
    call(
        cloud_client,
        "DeregisterDelegatedAdministrator",
        {"AccountId": ADMIN, "ServicePrincipal": "cloudfw.aliyuncs.com"},
    )
    assert (
        refused(cloud_client, "DeleteAccount", {"AccountId": ADMIN}).code
        == "NotSupport.HasPayerAccount"
    )
    assert ADMIN in sandbox.world.accounts and sandbox.world.accounts[ADMIN].deletion is None


def test_deletion_is_asynchronous_by_the_injected_clock(
    timed_cloud: tuple[Sandbox, CloudClient], clock: FakeClock
) -> None:
    _box, client = timed_cloud
    assert call(client, "DeleteAccount", {"AccountId": CLEAN}).body["DeletionType"] == 0
    status = call(client, "GetAccountDeletionStatus", {"AccountId": CLEAN}).body
    assert status["RdAccountDeletionStatus"]["Status"] == "Deleting"
    assert refused(client, "DeleteAccount", {"AccountId": CLEAN}).code == (
        "NotSupportedOperation.DeletingAccount"
    )
    clock.advance(1.0)
    status = call(client, "GetAccountDeletionStatus", {"AccountId": CLEAN}).body
    assert status["RdAccountDeletionStatus"]["Status"] == "Success"
    assert refused(client, "DeleteAccount", {"AccountId": CLEAN}).code == (
        "AccountNotExist.DeleteAccount"
    )
    assert refused(client, "GetAccount", {"AccountId": CLEAN}).code == "EntityNotExists.Account"


def test_deletion_check_reports_the_same_blockers(
    timed_cloud: tuple[Sandbox, CloudClient], clock: FakeClock
) -> None:
    _box, client = timed_cloud
    assert refused(client, "GetAccountDeletionCheckResult", {"AccountId": ADMIN}).http_status == 404
    call(client, "CheckAccountDelete", {"AccountId": ADMIN})
    info = call(client, "GetAccountDeletionCheckResult", {"AccountId": ADMIN}).body
    assert info["AccountDeletionCheckResultInfo"] == {"Status": "PreChecking"}
    assert refused(client, "DeleteAccount", {"AccountId": ADMIN}).code == (
        "NotSupportedOperation.CheckingAccount"
    )
    clock.advance(5)
    info = call(client, "GetAccountDeletionCheckResult", {"AccountId": ADMIN}).body[
        "AccountDeletionCheckResultInfo"
    ]
    assert info["Status"] == "PreCheckComplete"
    assert info["AllowDelete"] == "false"
    assert {r["CheckId"] for r in info["NotAllowReason"]} == {
        "DELEGATED_ADMINISTRATOR",
        "FINANCE_RELATION",
    }


def test_deregister_answers_account_not_registered(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    raw = {"AccountId": CLEAN, "ServicePrincipal": "cloudfw.aliyuncs.com"}
    result = refused(cloud_client, "DeregisterDelegatedAdministrator", raw)
    assert (result.http_status, result.code) == (409, "AccountNotRegistered")
    bad = signed(
        sandbox,
        "DeregisterDelegatedAdministrator",
        {"AccountId": ADMIN, "ServicePrincipal": "not a service"},
    )
    assert_error_body(send(bad), 409, "InvalidParameter.ServicePrincipal")


def test_listings_follow_the_world(cloud_client: CloudClient) -> None:
    admins = call(
        cloud_client, "ListDelegatedAdministrators", {"ServicePrincipal": "cloudfw.aliyuncs.com"}
    )
    assert [a["AccountId"] for a in admins.body["Accounts"]["Account"]] == [ADMIN]
    call(
        cloud_client,
        "DeregisterDelegatedAdministrator",
        {"AccountId": ADMIN, "ServicePrincipal": "cloudfw.aliyuncs.com"},
    )
    services = call(cloud_client, "ListDelegatedServicesForAccount", {"AccountId": ADMIN})
    assert services.body["DelegatedServices"]["DelegatedService"] == []


# ---- BssOpenApi ----------------------------------------------------------------------


def test_bss_answers_code_message_success(cloud_client: CloudClient, sandbox: Sandbox) -> None:
    result = call(cloud_client, "RelieveAccountRelation", {"RelationId": "51463"})
    assert (result.code, result.body["Success"], result.message) == ("200", True, "Successful!")
    assert "HostId" in result.body["Data"]
    gone = refused(cloud_client, "RelieveAccountRelation", {"RelationId": "99999"})
    assert gone.body["Success"] is False and gone.code and gone.request_id
    relations = call(cloud_client, "QueryRelationList", {"UserId": "1738376485192612"})
    ids = [r["RelationId"] for r in relations.body["Data"]["FinancialRelationInfoList"]]
    assert 51463 not in ids


def test_bss_request_id_is_required_but_replays_nothing(sandbox: Sandbox) -> None:
    # The pages promise no de-duplication by RequestId, so neither does the sandbox: the
    # same RequestId again is a new call, answered as the world is now.
    params = {"RelationId": "51463", "RequestId": "same-key"}
    first = send(signed(sandbox, "RelieveAccountRelation", params, version="2017-12-14"))
    again = send(signed(sandbox, "RelieveAccountRelation", params, version="2017-12-14"))
    assert first.json()["Success"] is True
    assert again.json()["Success"] is False and again.json()["Code"] == "RelationNotExist"
    missing = send(
        signed(sandbox, "RelieveAccountRelation", {"RelationId": "51464"}, version="2017-12-14")
    )
    assert missing.status_code == 400 and missing.json()["Code"] == "MissingParameter"
    assert sandbox.world.relations[51464].state == "RELATED"


def test_modify_account_relation_changes_permissions(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    raw = {
        "RelationId": "51464",
        "RelationOperation": "ADD",
        "PermissionCodes": "FORBID_WITHDRAW_CASH",
    }
    call(cloud_client, "ModifyAccountRelation", raw)
    assert sandbox.world.relations[51464].permissions == {
        "CHECK_FINANCE_INFO",
        "FORBID_WITHDRAW_CASH",
    }
    call(cloud_client, "ModifyAccountRelation", {**raw, "RelationOperation": "DELETE"})
    assert sandbox.world.relations[51464].permissions == {"CHECK_FINANCE_INFO"}


# ---- Bastionhost ---------------------------------------------------------------------


def test_detach_answers_per_host_and_per_account(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    hosts = '[{"HostId":"1"},{"HostId":"2","HostAccountIds":["3","99"]},{"HostId":"77"}]'
    raw = {"InstanceId": INSTANCE, "RegionId": "cn-hangzhou", "UserId": "1", "Hosts": hosts}
    results = call(cloud_client, "DetachHostAccountsFromUser", raw).body["Results"]
    assert [(r["HostId"], r["Code"]) for r in results] == [
        ("1", "OK"),
        ("2", "OK"),
        ("77", "OBJECT_NOT_FOUND"),
    ]
    assert [(a["HostAccountId"], a["Code"]) for a in results[1]["HostAccounts"]] == [
        ("3", "OK"),
        ("99", "OBJECT_NOT_FOUND"),
    ]
    grants = sandbox.world.instances[INSTANCE].grants["1"]
    assert "1" not in grants and grants["2"] == {"4", "5"} and grants["3"] == {"6"}
    listed = call(
        cloud_client,
        "ListHostAccountsForUser",
        {"InstanceId": INSTANCE, "UserId": "1", "HostId": "2"},
    )
    authorized = {a["HostAccountId"]: a["IsAuthorized"] for a in listed.body["HostAccounts"]}
    assert authorized == {"3": False, "4": True, "5": True}


def test_detach_for_an_unknown_user_changes_nothing(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    raw = {"InstanceId": INSTANCE, "UserId": "42", "Hosts": '[{"HostId":"1"}]'}
    results = call(cloud_client, "DetachHostAccountsFromUser", raw).body["Results"]
    assert results[0]["Code"] == "OBJECT_NOT_FOUND"
    assert sandbox.world.instances[INSTANCE].grants["1"]["1"] == {"1", "2"}
    wrong_region = {**raw, "UserId": "1", "RegionId": "cn-beijing"}
    assert refused(cloud_client, "DetachHostAccountsFromUser", wrong_region).http_status == 404


# ---- fault injection and control endpoints -------------------------------------------


def test_fail_answers_the_error_then_stops(cloud_client: CloudClient, sandbox: Sandbox) -> None:
    sandbox.fail(
        "DeleteAccount", status=409, code="UnknownError.Account", message="try later", times=1
    )
    result = refused(cloud_client, "DeleteAccount", {"AccountId": CLEAN})
    assert (result.http_status, result.code, result.message) == (
        409,
        "UnknownError.Account",
        "try later",
    )
    assert sandbox.world.accounts[CLEAN].deletion is None
    call(cloud_client, "DeleteAccount", {"AccountId": CLEAN})
    assert sandbox.count("DeleteAccount") == 2


def test_control_endpoints_over_http(cloud_client: CloudClient, sandbox: Sandbox) -> None:
    with httpx.Client(base_url=sandbox.base_url, trust_env=False) as http:
        assert (
            http.post(
                "/_sandbox/fail",
                json={
                    "action": "GetAccount",
                    "status": 503,
                    "code": "ServiceUnavailable",
                    "message": "down",
                    "times": 10,
                },
            ).status_code
            == 200
        )
        assert (
            refused(cloud_client, "GetAccount", {"AccountId": CLEAN}).code == "ServiceUnavailable"
        )
        calls = http.get("/_sandbox/calls").json()
        assert calls and all(c["action"] == "GetAccount" and c["status"] == 503 for c in calls)
        call(
            cloud_client,
            "DeregisterDelegatedAdministrator",
            {"AccountId": ADMIN, "ServicePrincipal": "cloudfw.aliyuncs.com"},
        )
        assert http.post("/_sandbox/reset").status_code == 200
        assert http.get("/_sandbox/calls").json() == []
        assert sandbox.world.delegations_of(ADMIN)
        call(cloud_client, "GetAccount", {"AccountId": CLEAN})  # the failure was reset too
        assert (
            http.post("/_sandbox/delay", json={"action": "GetAccount", "seconds": 0.3}).status_code
            == 200
        )
        started = time.monotonic()
        call(cloud_client, "GetAccount", {"AccountId": CLEAN})
        assert time.monotonic() - started >= 0.3
        assert http.post("/_sandbox/fail", json={"action": "GetAccount"}).status_code == 400
        assert http.get("/_sandbox/nothing").status_code == 404


def test_recorded_calls_carry_the_flat_parameters(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    call(
        cloud_client,
        "ModifyAccountRelation",
        {
            "RelationId": "51464",
            "RelationOperation": "ADD",
            "PermissionCodes": "CHECK_FINANCE_INFO,FORBID_WITHDRAW_CASH",
        },
    )
    recorded = sandbox.calls[-1]
    assert recorded.signature_ok and recorded.code is None
    assert recorded.params["PermissionCodes.2"] == "FORBID_WITHDRAW_CASH"
    assert recorded.at - sandbox.calls[0].at < timedelta(minutes=1)
