"""The sandbox answers the codes the API pages document, as the pages write them; every
other code it answers is listed, with its reason, in commands.sandbox.errors.
"""

from __future__ import annotations

from typing import Any

import pytest

from commands.catalog import get_spec
from commands.client import CallResult, CloudClient
from commands.errors import ApiError, ConflictError
from commands.sandbox import Sandbox, errors
from commands.sandbox.seed import INVITED_MEMBER
from tests.commands.test_sandbox import send, signed
from tests.support.clock import FakeClock
from tests.support.cloud import call

ADMIN = "1699461245510000"  # delegated administrator of cloudfw, finance relation 51463
CLEAN = "1512996702208737"
INSTANCE = "bastionhost-cn-st220aw0001"
DEREGISTER = "DeregisterDelegatedAdministrator"
DETACH = "DetachHostAccountsFromUser"


def refused(client: CloudClient, action: str, raw: dict[str, Any]) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(client, action, raw)
    return caught.value


def as_the_page_writes_it(action: str, result: CallResult) -> str:
    """The answer's code, after checking its status and message are the page's."""
    assert result.code is not None
    entry = get_spec(action).errors[result.code]
    assert (result.http_status, result.message) == (entry.status, entry.message)
    return result.code


def test_delete_account_refusals_are_the_pages(cloud_client: CloudClient) -> None:
    def code(account_id: str) -> str:
        return as_the_page_writes_it(
            "DeleteAccount",
            refused(cloud_client, "DeleteAccount", {"AccountId": account_id}).result,
        )

    assert code("1000000000000000") == "EntityNotExists.Account"
    assert code(ADMIN) == "RemoveConfilctAccountAsDelegatedAdministator"
    call(cloud_client, DEREGISTER, {"AccountId": ADMIN, "ServicePrincipal": "cloudfw.aliyuncs.com"})
    assert code(ADMIN) == "NotSupport.HasPayerAccount"
    assert code(INVITED_MEMBER) == "MemberTypeError.DeleteAccount"


def test_an_invited_member_is_a_cloud_account_and_is_never_deleted(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    account = call(cloud_client, "GetAccount", {"AccountId": INVITED_MEMBER}).body["Account"]
    assert (account["Type"], account["JoinMethod"]) == ("CloudAccount", "invited")
    error = refused(cloud_client, "DeleteAccount", {"AccountId": INVITED_MEMBER})
    assert type(error) is ConflictError  # the page's 409
    assert sandbox.world.accounts[INVITED_MEMBER].deletion is None


def test_deleting_checking_and_deleted_are_the_pages(
    timed_cloud: tuple[Sandbox, CloudClient], clock: FakeClock
) -> None:
    _box, client = timed_cloud

    def code() -> str:
        return as_the_page_writes_it(
            "DeleteAccount", refused(client, "DeleteAccount", {"AccountId": CLEAN}).result
        )

    call(client, "CheckAccountDelete", {"AccountId": CLEAN})
    assert code() == "NotSupportedOperation.CheckingAccount"
    clock.advance(5)
    call(client, "DeleteAccount", {"AccountId": CLEAN})
    assert code() == "NotSupportedOperation.DeletingAccount"
    clock.advance(1)
    assert code() == "AccountNotExist.DeleteAccount"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, "MissingParameter.AccountId"),
        ({"AccountId": "169946124551****"}, "InvalidParameter.AccountId"),
    ],
)
def test_delete_account_parameter_errors_are_the_pages(
    sandbox: Sandbox, params: dict[str, str], expected: str
) -> None:
    # Sent by hand: the catalog would refuse these before any call.
    answer = send(signed(sandbox, "DeleteAccount", params))
    body = answer.json()
    result = CallResult(answer.status_code, body["Code"], body["Message"], body["RequestId"], None)
    assert as_the_page_writes_it("DeleteAccount", result) == expected


@pytest.mark.parametrize("account_id", [CLEAN, "1000000000000000"])
def test_deregister_of_an_unregistered_or_unknown_member_is_account_not_registered(
    cloud_client: CloudClient, account_id: str
) -> None:
    raw = {"AccountId": account_id, "ServicePrincipal": "cloudfw.aliyuncs.com"}
    result = refused(cloud_client, DEREGISTER, raw).result
    assert as_the_page_writes_it(DEREGISTER, result) == "AccountNotRegistered"


def test_deregister_of_a_malformed_service_is_the_pages_invalid_parameter(sandbox: Sandbox) -> None:
    answer = send(signed(sandbox, DEREGISTER, {"AccountId": ADMIN, "ServicePrincipal": "not one"}))
    body = answer.json()
    result = CallResult(answer.status_code, body["Code"], body["Message"], body["RequestId"], None)
    assert as_the_page_writes_it(DEREGISTER, result) == "InvalidParameter.ServicePrincipal"


@pytest.mark.parametrize(
    "params",
    [
        {"InstanceId": INSTANCE, "UserId": "1"},
        {"InstanceId": INSTANCE, "UserId": "1", "Hosts": "[{HostId:1}"},
        {"InstanceId": INSTANCE, "UserId": "1", "Hosts": "[]"},
        {"InstanceId": INSTANCE, "Hosts": '[{"HostId":"1"}]'},
    ],
)
def test_detach_with_a_missing_or_malformed_argument_is_the_pages_invalid_parameter(
    sandbox: Sandbox, params: dict[str, str]
) -> None:
    answer = send(signed(sandbox, DETACH, params, version="2019-12-09"))
    body = answer.json()
    result = CallResult(answer.status_code, body["Code"], body["Message"], body["RequestId"], None)
    assert as_the_page_writes_it(DETACH, result) == "InvalidParameter"
    assert sandbox.world.instances[INSTANCE].grants["1"]["1"] == {"1", "2"}


def test_every_invented_code_is_listed_with_its_reason_in_the_docstring() -> None:
    doc = errors.__doc__ or ""
    for code, entry in errors.INVENTED.items():
        listed = code.replace(".*", ".<Name>")
        assert f"``{listed}``" in doc, code
        assert entry.reason and 100 <= entry.status <= 599


def test_a_code_nobody_listed_cannot_be_answered() -> None:
    with pytest.raises(KeyError):
        errors.invented("AccountNotExist.Made.Up")
    with pytest.raises(KeyError):
        errors.documented("DeleteAccount", "NotOnThePage")
    # A documented code comes from the page, not from the caller.
    answer = errors.missing("AccountId", "DeleteAccount")
    assert (answer.status, answer.message) == (400, "You must specify AccountId.")
