"""ResourceManager (2020-03-31): a member's payer, and undoing a deregistration.

Neither page is in our reference set (``/work/shared/reference/alibaba-cloud-api/``):
parameters, types and responses come from the official SDK installed with us,
``alibabacloud_resourcemanager20200331`` (``models/_get_payer_for_account_*.py``,
``models/_register_delegated_administrator_*.py`` and ``client.py``): every parameter
is a string in the query, the answers are flat JSON.

What the SDK could not confirm, and what we chose:

- GetPayerForAccount: the SDK says only "The ID of the member account" / "The ID of the
  billing account". It does not say what a member that pays for itself answers; Offboard
  reads a payer equal to the member (or none) as "no finance relation".
- RegisterDelegatedAdministrator: the SDK gives no error codes and no limit on how many
  services a member may administer ("defined by the trusted service", its docstring).
  Without a page in our set the spec carries no error table (as every operation whose
  page we do not hold); the sandbox's ``AccountAlreadyRegistered`` is listed with its
  reason in ``commands.sandbox.errors``.

RegisterDelegatedAdministrator is a WRITE, never offered in the modal's picker: it exists
to undo a plan's DeregisterDelegatedAdministrator (``registry.PLAN_ONLY_ACTIONS``).
"""

from __future__ import annotations

from commands.catalog import types as t
from commands.catalog.base import (
    OperationClass,
    OperationParams,
    OperationSpec,
    ResponseModel,
    param,
    spec_factory,
)
from commands.catalog.resourcemanager import VERSION, RequestIdResponse
from commands.catalog.resourcemanager_quirks import (
    REGISTER_DELEGATED_ADMINISTRATOR as REGISTER_QUIRKS,
)
from commands.catalog.wire import flat
from commands.endpoints import Product

_ACCOUNT_HINT = "The 16-digit Alibaba Cloud account ID of the member."


class GetPayerForAccountParams(OperationParams):
    # SDK: "The ID of the member account. This parameter is required."
    AccountId: t.AccountId = param(
        "Member account ID", example="1699461245510000", hint=_ACCOUNT_HINT
    )


class RegisterDelegatedAdministratorParams(OperationParams):
    # SDK: "The UID of a member account in the resource directory." (required)
    AccountId: t.AccountId = param(
        "Member account ID", example="1699461245510000", hint=_ACCOUNT_HINT
    )
    # SDK: "The identifier of the trusted service." (required); the same shape as
    # DeregisterDelegatedAdministrator's, whose page we hold.
    ServicePrincipal: t.ServicePrincipal = param(
        "Trusted service",
        example="cloudfw.aliyuncs.com",
        hint="The identifier of the trusted service.",
    )


class GetPayerForAccountResponse(ResponseModel):
    RequestId: str | None = None
    PayerAccountId: str | None = None  # "The ID of the billing account."
    PayerAccountName: str | None = None  # "The name of the billing account."


_rm = spec_factory(Product.RESOURCE_MANAGER, VERSION)


GET_PAYER_FOR_ACCOUNT: OperationSpec = _rm(
    "GetPayerForAccount",
    GetPayerForAccountParams,
    GetPayerForAccountResponse,
    summary=lambda p: f"Read which account pays for member {p.AccountId}",
    serialize=flat,
    op_class=OperationClass.READ,
)

REGISTER_DELEGATED_ADMINISTRATOR: OperationSpec = _rm(
    "RegisterDelegatedAdministrator",
    RegisterDelegatedAdministratorParams,
    RequestIdResponse,
    summary=lambda p: (
        f"Register member {p.AccountId} again as delegated administrator of {p.ServicePrincipal}"
    ),
    danger=(
        "Gives the member back the delegated administration of the trusted service: it can "
        "read the resource directory and manage the service for the management account."
    ),
    op_class=OperationClass.WRITE,
    serialize=flat,
    quirks=REGISTER_QUIRKS,
)

SPECS: tuple[OperationSpec, ...] = (GET_PAYER_FOR_ACCOUNT, REGISTER_DELEGATED_ADMINISTRATOR)

# Changes the cloud, but only as the rollback of a plan's step: never in the picker.
PLAN_ONLY: tuple[str, ...] = (REGISTER_DELEGATED_ADMINISTRATOR.action,)
