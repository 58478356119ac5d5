"""Issue 2's "must show", through the signed-API core against the sandbox cloud.

A DeleteAccount of the delegated-administrator member is refused with
RemoveConfilctAccountAsDelegatedAdministator (Message and RequestId included); after
DeregisterDelegatedAdministrator and RelieveAccountRelation it succeeds and
GetAccountDeletionStatus reaches Success. A bad signature is refused.
"""

from __future__ import annotations

from typing import Any

import pytest

from commands.catalog import get_spec
from commands.client import CloudClient
from commands.credentials import StaticCredentialsProvider
from commands.errors import ApiError, AuthError, ConflictError, OutcomeUnknownError
from commands.sandbox import DEMO_ACCESS_KEY_ID, Sandbox
from tests.support.clock import FakeClock
from tests.support.cloud import call, demo_client

ADMIN = "1699461245510000"


def test_delete_a_delegated_admin_only_after_deregistering_and_releasing(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    with pytest.raises(ConflictError) as refused:
        call(cloud_client, "DeleteAccount", {"AccountId": ADMIN})
    error = refused.value
    assert error.code == "RemoveConfilctAccountAsDelegatedAdministator"
    assert error.message and "delegated administrator" in error.message
    assert error.request_id and error.request_id in str(error)
    assert error.http_status == 409
    assert error.recommend and error.recommend.startswith("https://api.aliyun.com/troubleshoot?q=")

    deregistered = call(
        cloud_client,
        "DeregisterDelegatedAdministrator",
        {"AccountId": ADMIN, "ServicePrincipal": "cloudfw.aliyuncs.com"},
    )
    assert deregistered.ok and deregistered.request_id
    released = call(
        cloud_client,
        "RelieveAccountRelation",
        {
            "RelationType": "enterprise_group",
            "ParentUserId": "1738376485192612",
            "ChildUserId": ADMIN,
        },
    )
    assert (released.code, released.body["Success"]) == ("200", True)

    sandbox.world.deletion_seconds = 0.0  # "asynchronous", but no need to wait here
    deleted = call(cloud_client, "DeleteAccount", {"AccountId": ADMIN})
    assert deleted.ok and deleted.request_id
    status = call(cloud_client, "GetAccountDeletionStatus", {"AccountId": ADMIN})
    assert status.body["RdAccountDeletionStatus"]["Status"] == "Success"
    assert sandbox.count("DeleteAccount") == 2


def test_deletion_goes_from_deleting_to_success(clock: FakeClock) -> None:
    box = Sandbox(clock=clock)
    box.start()
    client = demo_client(box.base_url, clock=clock)
    try:
        call(client, "DeleteAccount", {"AccountId": "1512996702208737"})
        seen = []
        for _ in range(3):
            body = call(client, "GetAccountDeletionStatus", {"AccountId": "1512996702208737"}).body
            seen.append(body["RdAccountDeletionStatus"]["Status"])
            clock.advance(0.5)
        assert seen == ["Deleting", "Deleting", "Success"]
    finally:
        client.close()
        box.stop()


def test_a_bad_signature_is_refused(sandbox: Sandbox) -> None:
    forger = CloudClient(
        StaticCredentialsProvider.of(DEMO_ACCESS_KEY_ID, "not-the-secret"),
        endpoint_override=sandbox.base_url,
    )
    with forger, pytest.raises(AuthError) as refused:
        call(forger, "DeleteAccount", {"AccountId": "1512996702208737"})
    assert refused.value.code == "SignatureDoesNotMatch"
    assert "not-the-secret" not in str(refused.value)
    assert sandbox.world.accounts["1512996702208737"].deletion is None
    assert [c.signature_ok for c in sandbox.calls] == [False]


def test_a_late_answer_is_an_unknown_outcome_never_resent(sandbox: Sandbox) -> None:
    sandbox.delay("DeleteAccount", 1.0)
    impatient = demo_client(sandbox.base_url, timeout=0.3)
    with impatient, pytest.raises(OutcomeUnknownError):
        call(impatient, "DeleteAccount", {"AccountId": "1512996702208737"})
    # The sandbox did act: only the answer was lost. One request, no retry.
    assert sandbox.count("DeleteAccount") == 1
    assert sandbox.world.accounts["1512996702208737"].deletion is not None


def test_throttling_of_a_read_is_retried(cloud_client: CloudClient, sandbox: Sandbox) -> None:
    sandbox.fail("GetAccount", status=400, code="Throttling.User", message="slow down", times=2)
    assert call(cloud_client, "GetAccount", {"AccountId": ADMIN}).ok
    assert sandbox.count("GetAccount") == 3


def test_a_destructive_call_is_not_retried_on_a_server_error(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    sandbox.fail("DeleteAccount", status=503, code="ServiceUnavailable", message="down", times=5)
    with pytest.raises(ApiError):
        call(cloud_client, "DeleteAccount", {"AccountId": "1512996702208737"})
    assert sandbox.count("DeleteAccount") == 1


# Inputs the seeded world answers successfully, one per read-only operation.
READS: dict[str, dict[str, Any]] = {
    "GetAccount": {"AccountId": ADMIN},
    "CheckAccountDelete": {"AccountId": ADMIN},
    "GetAccountDeletionCheckResult": {"AccountId": ADMIN},
    "ListDelegatedAdministrators": {"ServicePrincipal": "cloudfw.aliyuncs.com"},
    "ListDelegatedServicesForAccount": {"AccountId": ADMIN},
    "QueryRelationList": {"UserId": "1738376485192612"},
    "ListHostAccountsForUser": {
        "InstanceId": "bastionhost-cn-st220aw0001",
        "UserId": "1",
        "HostId": "1",
    },
}


def test_response_models_read_the_sandbox_answers(cloud_client: CloudClient) -> None:
    parsed = {}
    for action, raw in READS.items():  # in order: the check result needs the check first
        parsed[action] = get_spec(action).parse_response(call(cloud_client, action, raw).body)
    assert all(model.RequestId for model in parsed.values())  # type: ignore[attr-defined]
    account: Any = parsed["GetAccount"]
    assert account.Account.DisplayName == "security-tools"
    check: Any = parsed["GetAccountDeletionCheckResult"]
    assert check.AccountDeletionCheckResultInfo.NotAllowReason[0].CheckId
    admins: Any = parsed["ListDelegatedAdministrators"]
    assert admins.Accounts.Account[0].AccountId == ADMIN
    services: Any = parsed["ListDelegatedServicesForAccount"]
    assert services.DelegatedServices.DelegatedService[0].ServicePrincipal == "cloudfw.aliyuncs.com"
    relations: Any = parsed["QueryRelationList"]
    assert relations.Data.FinancialRelationInfoList[0].RelationId == 51463
    hosts: Any = parsed["ListHostAccountsForUser"]
    assert [a.HostAccountName for a in hosts.HostAccounts if a.IsAuthorized] == ["root", "deploy"]
