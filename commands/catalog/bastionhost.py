"""Bastionhost (2019-12-09): a user's permissions on hosts and host accounts.

Parameters follow the official SDK ``alibabacloud_yundun_bastionhost20191209``:
every parameter goes in the query. ``Hosts`` is a string in the SDK (the JSON text
the page shows); we validate it and keep it as canonical compact JSON, which is
what is signed and sent. Bastionhost endpoints are regional (``RegionId``).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from commands.catalog import bastionhost_quirks, page_errors
from commands.catalog import types as t
from commands.catalog.base import (
    OperationClass,
    OperationParams,
    OperationSpec,
    ResponseModel,
    param,
    spec_factory,
)
from commands.catalog.bastionhost_quirks import parse_hosts as parse_hosts
from commands.catalog.wire import flat
from commands.endpoints import Product

VERSION = "2019-12-09"

# "You can specify up to 10 host IDs and up to 10 host account IDs for each host."
MAX_HOSTS = 10
MAX_HOST_ACCOUNTS = 10

_ID = 'a numeric ID string like "1"'


def _host_entry(index: int, entry: Any) -> dict[str, Any]:
    where = f"Host {index}"
    if not isinstance(entry, dict):
        raise ValueError(f'{where} must be an object like {{"HostId":"1"}}.')
    # The page's "Description of the Hosts parameter" has these two fields only.
    unknown = set(entry) - {"HostId", "HostAccountIds"}
    if unknown:
        raise ValueError(f"{where} may only have HostId and HostAccountIds.")
    if not t.is_numeric_id(entry.get("HostId")):
        raise ValueError(f"{where}: HostId must be {_ID}.")
    host: dict[str, Any] = {"HostId": str(entry["HostId"])}
    if "HostAccountIds" in entry:
        accounts = entry["HostAccountIds"]
        # Offboard limit: an empty list is refused. "You can specify only host IDs" (all
        # accounts revoked) is said by leaving HostAccountIds out, never by ``[]``, whose
        # meaning the page does not give.
        if not isinstance(accounts, list) or not accounts:
            raise ValueError(f"{where}: HostAccountIds must be a non-empty array of IDs.")
        if len(accounts) > MAX_HOST_ACCOUNTS:
            raise ValueError(f"{where}: at most {MAX_HOST_ACCOUNTS} HostAccountIds per host.")
        if not all(t.is_numeric_id(a) for a in accounts):
            raise ValueError(f"{where}: each HostAccountId must be {_ID}.")
        ids = [str(a) for a in accounts]
        # Offboard limit: no repeats, so each listed account is one the card counts once.
        if len(set(ids)) != len(ids):
            raise ValueError(f"{where}: HostAccountIds repeat an ID.")
        host["HostAccountIds"] = ids
    return host


def canonical_hosts(value: Any) -> str:
    """Validate ``Hosts`` (JSON text or already-parsed list) and return compact JSON."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError(
                'Must be valid JSON, like [{"HostId":"1"},{"HostId":"2","HostAccountIds":["1"]}].'
            ) from None
    if not isinstance(value, list) or not value:
        raise ValueError("Must be a non-empty JSON array of hosts.")
    if len(value) > MAX_HOSTS:
        raise ValueError(f"At most {MAX_HOSTS} hosts per call.")
    hosts = [_host_entry(i, entry) for i, entry in enumerate(value, start=1)]
    # Offboard limit: a host given twice would make its two entries' meaning unclear.
    if len({h["HostId"] for h in hosts}) != len(hosts):
        raise ValueError("A HostId appears twice.")
    return json.dumps(hosts, separators=(",", ":"))


HostsJson = Annotated[str, BeforeValidator(canonical_hosts)]

_HOSTS_EXAMPLE = '[{"HostId":"1"},{"HostId":"2","HostAccountIds":["1","2","3"]}]'


class DetachHostAccountsFromUserParams(OperationParams):
    InstanceId: t.InstanceId = param("Bastion host instance", example="bastionhost-cn-st220aw0001")
    RegionId: t.RegionId | None = param("Region", example="cn-hangzhou", required=False)
    UserId: t.NumericId = param("Bastion host user ID", example="1")
    Hosts: HostsJson = param(
        "Hosts and host accounts",
        example=_HOSTS_EXAMPLE,
        hint=(
            "JSON array: up to 10 hosts, up to 10 HostAccountIds each. A host without "
            "HostAccountIds revokes all its accounts."
        ),
        kind="multiline",
    )


class ListHostAccountsForUserParams(OperationParams):
    InstanceId: t.InstanceId = param("Bastion host instance", example="bastionhost-cn-st220aw0001")
    RegionId: t.RegionId | None = param("Region", example="cn-hangzhou", required=False)
    UserId: t.NumericId = param("Bastion host user ID", example="1")
    HostId: t.NumericId = param("Host ID", example="1")
    HostAccountName: t.HostAccountName | None = param(
        "Host account name", example="root", required=False
    )
    PageNumber: t.NumericId | None = param("Page number", example="1", required=False)
    PageSize: t.NumericId | None = param("Page size", example="20", required=False)
    ProjectId: t.PositiveInt | None = param("Project ID", example="1", required=False)


class HostAccountResult(ResponseModel):
    Code: str | None = None
    Message: str | None = None
    HostAccountId: str | None = None


class HostResult(ResponseModel):
    Code: str | None = None  # OK / UNEXPECTED / INVALID_ARGUMENT / OBJECT_NOT_FOUND / ...
    Message: str | None = None
    HostId: str | None = None
    UserId: str | None = None
    HostAccounts: list[HostAccountResult] = Field(default_factory=list)


class DetachHostAccountsFromUserResponse(ResponseModel):
    RequestId: str | None = None
    Results: list[HostResult] = Field(default_factory=list)


class HostAccountForUser(ResponseModel):
    HostAccountId: str | None = None
    HostAccountName: str | None = None
    HostId: str | None = None
    IsAuthorized: bool | None = None
    ProtocolName: str | None = None


class ListHostAccountsForUserResponse(ResponseModel):
    RequestId: str | None = None
    TotalCount: int | None = None
    HostAccounts: list[HostAccountForUser] = Field(default_factory=list)


def hosts_phrase(hosts: str, without_accounts: str) -> str:
    """``Hosts`` in words: each host with its accounts, or ``without_accounts`` when it
    names none (what that means differs: Detach revokes all, Attach grants the host)."""
    parts = []
    for host in parse_hosts(hosts):
        accounts = host.get("HostAccountIds")
        shown = f"accounts {', '.join(accounts)}" if accounts else without_accounts
        parts.append(f"host {host['HostId']} ({shown})")
    return "; ".join(parts)


def _detach_summary(p: Any) -> str:
    return f"Revoke user {p.UserId} on {p.InstanceId} from " + hosts_phrase(p.Hosts, "all accounts")


_bh = spec_factory(Product.BASTIONHOST, VERSION, regional=True)


DETACH_HOST_ACCOUNTS_FROM_USER: OperationSpec = _bh(
    "DetachHostAccountsFromUser",
    DetachHostAccountsFromUserParams,
    DetachHostAccountsFromUserResponse,
    summary=_detach_summary,
    danger=(
        "Revokes the user's access to these hosts and host accounts on the bastion host; "
        "a host given without HostAccountIds loses all of its accounts for the user."
    ),
    op_class=OperationClass.DESTRUCTIVE,
    serialize=flat,
    errors=page_errors.DETACH_HOST_ACCOUNTS,
    quirks=bastionhost_quirks.DETACH_HOST_ACCOUNTS_FROM_USER,
)

LIST_HOST_ACCOUNTS_FOR_USER: OperationSpec = _bh(
    "ListHostAccountsForUser",
    ListHostAccountsForUserParams,
    ListHostAccountsForUserResponse,
    summary=lambda p: f"List user {p.UserId}'s accounts on host {p.HostId} of {p.InstanceId}",
    serialize=flat,
    op_class=OperationClass.READ,
)

SPECS: tuple[OperationSpec, ...] = (DETACH_HOST_ACCOUNTS_FROM_USER, LIST_HOST_ACCOUNTS_FOR_USER)
