"""Bastionhost (2019-12-09): the hosts a user holds, and giving back what was detached.

Neither page is in our reference set: parameters, types and responses come from the
official SDK installed with us, ``alibabacloud_yundun_bastionhost20191209`` 1.7.2
(``models/_list_hosts_for_user_*.py``, ``models/_attach_host_accounts_to_user_*.py``,
``client.py``): every parameter in the query, ``ProjectId`` an integer, the rest strings.

What the SDK could not confirm, and what we chose:

- AttachHostAccountsToUser's bound: the SDK's docstring says "up to 10 host IDs, and up
  to 9 host account IDs for each host"; DetachHostAccountsFromUser's page (which we hold)
  says 10 and 10. We keep the stricter: 10 hosts, 9 host accounts each, so a rollback
  never fails on the bound. A plan splits its rollback on this bound, not Detach's.
- ListHostsForUser's ``Mode``: "Authorized" (the default) or "Unauthorized"; ``OSType``:
  "Linux" or "Windows"; ``PageSize``: "The maximum value ... is 100". Whether hosts a
  user holds through a user group are listed is not said.
- The per-host and per-account ``Code`` values of AttachHostAccountsToUser's ``Results``
  are the SDK's: OK, UNEXPECTED, INVALID_ARGUMENT, OBJECT_NOT_FOUND,
  OBJECT_AlREADY_EXISTS (spelled so). No error codes are given.

AttachHostAccountsToUser is a WRITE, never offered in the modal's picker: it exists to
undo a plan's DetachHostAccountsFromUser (``registry.PLAN_ONLY_ACTIONS``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from commands.catalog import bastionhost_quirks
from commands.catalog import types as t
from commands.catalog.base import (
    OperationClass,
    OperationParams,
    OperationSpec,
    ResponseModel,
    param,
    spec_factory,
)
from commands.catalog.bastionhost import (
    MAX_HOSTS,
    VERSION,
    DetachHostAccountsFromUserResponse,
    canonical_hosts,
    hosts_phrase,
    parse_hosts,
)
from commands.catalog.wire import flat
from commands.endpoints import Product

# The SDK: "up to 10 host IDs, and up to 9 host account IDs for each host".
MAX_ATTACH_HOSTS = MAX_HOSTS
MAX_ATTACH_HOST_ACCOUNTS = 9


def _attach_bound(hosts: str) -> str:
    for index, host in enumerate(parse_hosts(hosts), start=1):
        if len(host.get("HostAccountIds", ())) > MAX_ATTACH_HOST_ACCOUNTS:
            raise ValueError(
                f"Host {index}: at most {MAX_ATTACH_HOST_ACCOUNTS} HostAccountIds per host."
            )
    return hosts


AttachHostsJson = Annotated[str, BeforeValidator(canonical_hosts), AfterValidator(_attach_bound)]


def _page_size(value: str) -> str:
    if int(value) > 100:
        raise ValueError("At most 100.")
    return value


PageSize100 = Annotated[t.NumericId, AfterValidator(_page_size)]


# Offboard limit: HostName and HostAddress are 128 visible characters at most (the SDK
# gives no bound), as ListHostAccountsForUser's HostAccountName.
ExactText = t.HostAccountName


def _text_field(label: str, example: str) -> Any:
    return param(label, example=example, hint="Exact match only.", required=False)


class ListHostsForUserParams(OperationParams):
    InstanceId: t.InstanceId = param("Bastion host instance", example="bastionhost-cn-st220aw0001")
    RegionId: t.RegionId | None = param("Region", example="cn-hangzhou", required=False)
    UserId: t.NumericId = param("Bastion host user ID", example="1")
    HostAddress: ExactText | None = _text_field("Host address", "192.168.XX.XX")
    HostName: ExactText | None = _text_field("Host name", "host01")
    Mode: Literal["Authorized", "Unauthorized"] | None = param(
        "Mode",
        example="Authorized",
        hint="Authorized (the default) or Unauthorized.",
        required=False,
    )
    OSType: Literal["Linux", "Windows"] | None = param("OS type", example="Linux", required=False)
    PageNumber: t.NumericId | None = param("Page number", example="1", required=False)
    PageSize: PageSize100 | None = param(
        "Page size", example="20", hint="1 to 100.", required=False
    )
    ProjectId: t.PositiveInt | None = param("Project ID", example="1", required=False)


class AttachHostAccountsToUserParams(OperationParams):
    InstanceId: t.InstanceId = param("Bastion host instance", example="bastionhost-cn-st220aw0001")
    RegionId: t.RegionId | None = param("Region", example="cn-hangzhou", required=False)
    UserId: t.NumericId = param("Bastion host user ID", example="1")
    Hosts: AttachHostsJson = param(
        "Hosts and host accounts",
        example='[{"HostId":"1"},{"HostId":"2","HostAccountIds":["1","2","3"]}]',
        hint=(
            "JSON array: up to 10 hosts, up to 9 HostAccountIds each. A host without "
            "HostAccountIds is authorized without its accounts."
        ),
        kind="multiline",
    )


class HostForUser(ResponseModel):
    HostId: str | None = None
    HostName: str | None = None
    ActiveAddressType: str | None = None  # Public / Private
    HostPrivateAddress: str | None = None
    HostPublicAddress: str | None = None
    OSType: str | None = None  # Linux / Windows
    Comment: str | None = None
    ProjectId: int | str | None = None
    ProjectName: str | None = None


class ListHostsForUserResponse(ResponseModel):
    RequestId: str | None = None
    TotalCount: int | None = None
    Hosts: list[HostForUser] = Field(default_factory=list)


def _attach_summary(p: Any) -> str:
    again = f"Authorize user {p.UserId} on {p.InstanceId} again for "
    return again + hosts_phrase(p.Hosts, "the host only")


_bh = spec_factory(Product.BASTIONHOST, VERSION, regional=True)


LIST_HOSTS_FOR_USER: OperationSpec = _bh(
    "ListHostsForUser",
    ListHostsForUserParams,
    ListHostsForUserResponse,
    summary=lambda p: f"List the hosts user {p.UserId} may use on {p.InstanceId}",
    serialize=flat,
    op_class=OperationClass.READ,
)

ATTACH_HOST_ACCOUNTS_TO_USER: OperationSpec = _bh(
    "AttachHostAccountsToUser",
    AttachHostAccountsToUserParams,
    DetachHostAccountsFromUserResponse,  # the same Results per host and host account
    summary=_attach_summary,
    danger=(
        "Gives the user back access to these hosts and host accounts on the bastion host: "
        "they can log on to them again."
    ),
    op_class=OperationClass.WRITE,
    serialize=flat,
    quirks=bastionhost_quirks.ATTACH_HOST_ACCOUNTS_TO_USER,
)

SPECS: tuple[OperationSpec, ...] = (LIST_HOSTS_FOR_USER, ATTACH_HOST_ACCOUNTS_TO_USER)

# Changes the cloud, but only as the rollback of a plan's step: never in the picker.
PLAN_ONLY: tuple[str, ...] = (ATTACH_HOST_ACCOUNTS_TO_USER.action,)
