"""ResourceManager (2020-03-31): member deletion and delegated administrators.

Parameters follow the official SDK ``alibabacloud_resourcemanager20200331``: every
parameter goes in the query; ``AbandonableCheckId`` is the one array and the SDK
sends it as a single JSON string (``array_to_string_with_specified_style(..., 'json')``).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from commands.catalog import page_errors
from commands.catalog import resourcemanager_quirks as quirks
from commands.catalog import types as t
from commands.catalog.base import (
    OperationClass,
    OperationParams,
    OperationSpec,
    ResponseModel,
    param,
    spec_factory,
)
from commands.catalog.wire import flat
from commands.endpoints import Product

VERSION = "2020-03-31"


_ACCOUNT_HINT = "The 16-digit Alibaba Cloud account ID of the member."


def _account_id() -> Any:
    return param("Member account ID", example="1699461245510000", hint=_ACCOUNT_HINT)


# ---- parameter models ----------------------------------------------------------------


class DeleteAccountParams(OperationParams):
    AccountId: t.AccountId = _account_id()
    AbandonableCheckId: t.CheckIdList | None = param(
        "Check items to abandon",
        example="NON_SP_cs",
        hint="IDs from GetAccountDeletionCheckResult's AbandonableChecks.",
        required=False,
    )


class AccountOnlyParams(OperationParams):
    """CheckAccountDelete, GetAccountDeletionCheckResult, GetAccountDeletionStatus,
    ListDelegatedServicesForAccount: the member's AccountId and nothing else."""

    AccountId: t.AccountId = _account_id()


class GetAccountParams(OperationParams):
    AccountId: t.AccountId = _account_id()
    IncludeTags: bool | None = param(
        "Include tags", example="false", hint="true to return the tags.", required=False
    )


class DeregisterDelegatedAdministratorParams(OperationParams):
    AccountId: t.AccountId = _account_id()
    ServicePrincipal: t.ServicePrincipal = param(
        "Trusted service",
        example="cloudfw.aliyuncs.com",
        hint="The identifier of the trusted service.",
    )


class ListDelegatedAdministratorsParams(OperationParams):
    ServicePrincipal: t.ServicePrincipal | None = param(
        "Trusted service", example="cloudfw.aliyuncs.com", required=False
    )
    PageNumber: t.PositiveInt | None = param("Page number", example="1", required=False)
    PageSize: t.PositiveInt | None = param(
        "Page size", example="10", hint="1 to 100.", required=False
    )


# ---- response models (lenient) ------------------------------------------------------


class DeleteAccountResponse(ResponseModel):
    RequestId: str | None = None
    DeletionType: str | int | None = None


class RequestIdResponse(ResponseModel):
    RequestId: str | None = None


class CheckItem(ResponseModel):
    CheckId: str | None = None
    CheckName: str | None = None
    Description: str | None = None


class DeletionCheckInfo(ResponseModel):
    Status: str | None = None  # PreCheckComplete / PreChecking
    AllowDelete: str | bool | None = None  # "true" / "false"
    NotAllowReason: list[CheckItem] = Field(default_factory=list)
    AbandonableChecks: list[CheckItem] = Field(default_factory=list)


class GetAccountDeletionCheckResultResponse(ResponseModel):
    RequestId: str | None = None
    AccountDeletionCheckResultInfo: DeletionCheckInfo | None = None


class FailReason(ResponseModel):
    Name: str | None = None
    Description: str | None = None


class DeletionStatusInfo(ResponseModel):
    AccountId: str | None = None
    Status: str | None = None  # Success / Checking / Deleting / CheckFailed / DeleteFailed
    DeletionType: str | None = None
    CreateTime: str | None = None
    DeletionTime: str | None = None
    FailReasonList: list[FailReason] = Field(default_factory=list)


class GetAccountDeletionStatusResponse(ResponseModel):
    RequestId: str | None = None
    RdAccountDeletionStatus: DeletionStatusInfo | None = None


class AccountInfo(ResponseModel):
    AccountId: str | None = None
    AccountName: str | None = None
    DisplayName: str | None = None
    FolderId: str | None = None
    JoinMethod: str | None = None
    Status: str | None = None
    Type: str | None = None
    ResourceDirectoryId: str | None = None


class GetAccountResponse(ResponseModel):
    RequestId: str | None = None
    Account: AccountInfo | None = None


class DelegatedAdministrator(ResponseModel):
    AccountId: str | None = None
    DisplayName: str | None = None
    ServicePrincipal: str | None = None
    DelegationEnabledTime: str | None = None
    JoinMethod: str | None = None


class DelegatedAdministratorList(ResponseModel):
    Account: list[DelegatedAdministrator] = Field(default_factory=list)


class ListDelegatedAdministratorsResponse(ResponseModel):
    RequestId: str | None = None
    PageNumber: int | None = None
    PageSize: int | None = None
    TotalCount: int | None = None
    Accounts: DelegatedAdministratorList | None = None


class DelegatedServiceItem(ResponseModel):
    ServicePrincipal: str | None = None
    Status: str | None = None
    DelegationEnabledTime: str | None = None


class DelegatedServiceList(ResponseModel):
    DelegatedService: list[DelegatedServiceItem] = Field(default_factory=list)


class ListDelegatedServicesForAccountResponse(ResponseModel):
    RequestId: str | None = None
    DelegatedServices: DelegatedServiceList | None = None


# ---- specs ----------------------------------------------------------------------------


_rm = spec_factory(Product.RESOURCE_MANAGER, VERSION)


DELETE_ACCOUNT: OperationSpec = _rm(
    "DeleteAccount",
    DeleteAccountParams,
    DeleteAccountResponse,
    summary=lambda p: (
        f"Delete member account {p.AccountId}"
        + (
            f" (abandoning checks {', '.join(p.AbandonableCheckId)})"
            if p.AbandonableCheckId
            else ""
        )
    ),
    danger=(
        "Deletes the member account and every resource and all data in it; the member "
        "can no longer log on and cannot be recovered."
    ),
    op_class=OperationClass.DESTRUCTIVE,
    serialize=lambda p: flat(p, lists={"AbandonableCheckId": "json"}),
    errors=page_errors.DELETE_ACCOUNT,
    quirks=quirks.DELETE_ACCOUNT,
)

DEREGISTER_DELEGATED_ADMINISTRATOR: OperationSpec = _rm(
    "DeregisterDelegatedAdministrator",
    DeregisterDelegatedAdministratorParams,
    RequestIdResponse,
    summary=lambda p: (
        f"Remove member {p.AccountId} as delegated administrator of {p.ServicePrincipal}"
    ),
    danger=(
        "The trusted service loses its delegated administrator; management tasks the "
        "account ran in that service may be affected."
    ),
    op_class=OperationClass.DESTRUCTIVE,
    serialize=flat,
    errors=page_errors.DEREGISTER_DELEGATED_ADMINISTRATOR,
    quirks=quirks.DEREGISTER_DELEGATED_ADMINISTRATOR,
)

CHECK_ACCOUNT_DELETE: OperationSpec = _rm(
    "CheckAccountDelete",
    AccountOnlyParams,
    RequestIdResponse,
    summary=lambda p: f"Start the deletion check of member {p.AccountId}",
    serialize=flat,
    op_class=OperationClass.READ,
)

GET_ACCOUNT_DELETION_CHECK_RESULT: OperationSpec = _rm(
    "GetAccountDeletionCheckResult",
    AccountOnlyParams,
    GetAccountDeletionCheckResultResponse,
    summary=lambda p: f"Read the deletion check result of member {p.AccountId}",
    serialize=flat,
    op_class=OperationClass.READ,
)

GET_ACCOUNT_DELETION_STATUS: OperationSpec = _rm(
    "GetAccountDeletionStatus",
    AccountOnlyParams,
    GetAccountDeletionStatusResponse,
    summary=lambda p: f"Read the deletion status of member {p.AccountId}",
    serialize=flat,
    op_class=OperationClass.READ,
)

GET_ACCOUNT: OperationSpec = _rm(
    "GetAccount",
    GetAccountParams,
    GetAccountResponse,
    summary=lambda p: f"Read member account {p.AccountId}",
    serialize=flat,
    op_class=OperationClass.READ,
)

LIST_DELEGATED_ADMINISTRATORS: OperationSpec = _rm(
    "ListDelegatedAdministrators",
    ListDelegatedAdministratorsParams,
    ListDelegatedAdministratorsResponse,
    summary=lambda p: (
        "List delegated administrators"
        + (f" of {p.ServicePrincipal}" if p.ServicePrincipal else "")
    ),
    serialize=flat,
    op_class=OperationClass.READ,
)

LIST_DELEGATED_SERVICES_FOR_ACCOUNT: OperationSpec = _rm(
    "ListDelegatedServicesForAccount",
    AccountOnlyParams,
    ListDelegatedServicesForAccountResponse,
    summary=lambda p: f"List the services member {p.AccountId} is delegated administrator of",
    serialize=flat,
    op_class=OperationClass.READ,
)

SPECS: tuple[OperationSpec, ...] = (
    DELETE_ACCOUNT,
    DEREGISTER_DELEGATED_ADMINISTRATOR,
    CHECK_ACCOUNT_DELETE,
    GET_ACCOUNT_DELETION_CHECK_RESULT,
    GET_ACCOUNT_DELETION_STATUS,
    GET_ACCOUNT,
    LIST_DELEGATED_ADMINISTRATORS,
    LIST_DELEGATED_SERVICES_FOR_ACCOUNT,
)
