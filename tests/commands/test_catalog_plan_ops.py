"""The member plan's four operations in the catalog: their classes, their validation (as
the official SDK describes the parameters; their pages are not in our set), and that the
two writes, which only undo a plan's steps, can never be asked for from the modal."""

from __future__ import annotations

import json
from typing import Any

import pytest

from commands.catalog import (
    CATALOG,
    PLAN_ONLY_ACTIONS,
    REQUESTABLE_ACTIONS,
    OperationClass,
    get_spec,
    validate_params,
)
from commands.catalog.bastionhost_users import MAX_ATTACH_HOST_ACCOUNTS, MAX_ATTACH_HOSTS
from commands.endpoints import Product
from tests.commands.test_catalog import VALID, refused

NEW = {
    "GetPayerForAccount": (Product.RESOURCE_MANAGER, OperationClass.READ, False),
    "ListHostsForUser": (Product.BASTIONHOST, OperationClass.READ, True),
    "RegisterDelegatedAdministrator": (Product.RESOURCE_MANAGER, OperationClass.WRITE, False),
    "AttachHostAccountsToUser": (Product.BASTIONHOST, OperationClass.WRITE, True),
}
ATTACH = VALID["AttachHostAccountsToUser"]
HOSTS_FOR = VALID["ListHostsForUser"]


@pytest.mark.parametrize("action", sorted(NEW))
def test_each_is_declared_with_its_product_class_and_region(action: str) -> None:
    spec = get_spec(action)
    assert (spec.product, spec.op_class, spec.regional) == NEW[action]
    assert spec.version == ("2019-12-09" if spec.product is Product.BASTIONHOST else "2020-03-31")
    # No page in our set: no error table (the sandbox lists what it answers instead).
    assert dict(spec.errors) == {}


def test_the_rollbacks_change_the_cloud_but_are_never_offered() -> None:
    assert set(PLAN_ONLY_ACTIONS) == {"RegisterDelegatedAdministrator", "AttachHostAccountsToUser"}
    for action in PLAN_ONLY_ACTIONS:
        assert get_spec(action).op_class.changes_cloud and get_spec(action).danger
        assert action not in REQUESTABLE_ACTIONS
    assert set(REQUESTABLE_ACTIONS) | set(PLAN_ONLY_ACTIONS) == {
        a for a, s in CATALOG.items() if s.op_class.changes_cloud
    }


@pytest.mark.parametrize(
    ("action", "raw", "field", "words"),
    [
        ("GetPayerForAccount", {"AccountId": "12323344****"}, "AccountId", "16-digit"),
        ("GetPayerForAccount", {}, "AccountId", "Required"),
        (
            "GetPayerForAccount",
            {"AccountId": "1699461245510000", "PayerAccountId": "1"},
            "PayerAccountId",
            "Not a parameter",
        ),
        (
            "RegisterDelegatedAdministrator",
            {"AccountId": "1699461245510000"},
            "ServicePrincipal",
            "Required",
        ),
        (
            "RegisterDelegatedAdministrator",
            {**VALID["RegisterDelegatedAdministrator"], "ServicePrincipal": "cloudfw"},
            "ServicePrincipal",
            "service domain",
        ),
        ("ListHostsForUser", {**HOSTS_FOR, "Mode": "All"}, "Mode", "Authorized or Unauthorized"),
        ("ListHostsForUser", {**HOSTS_FOR, "OSType": "macOS"}, "OSType", "Linux or Windows"),
        ("ListHostsForUser", {**HOSTS_FOR, "PageSize": "101"}, "PageSize", "At most 100"),
        ("ListHostsForUser", {**HOSTS_FOR, "PageSize": "0"}, "PageSize", "numeric ID"),
        ("ListHostsForUser", {**HOSTS_FOR, "HostName": "web\u202e01"}, "HostName", "bidirectional"),
        ("ListHostsForUser", {**HOSTS_FOR, "HostAddress": "x" * 129}, "HostAddress", "1 to 128"),
        ("ListHostsForUser", {**HOSTS_FOR, "ProjectId": "-1"}, "ProjectId", "positive"),
        ("ListHostsForUser", {**HOSTS_FOR, "InstanceId": "i-bp1abc"}, "InstanceId", "bastion"),
        ("ListHostsForUser", {**HOSTS_FOR, "RegionId": "../"}, "RegionId", "region ID"),
        (
            "AttachHostAccountsToUser",
            {
                **ATTACH,
                "Hosts": json.dumps(
                    [{"HostId": "1", "HostAccountIds": [str(n) for n in range(1, 11)]}]
                ),
            },
            "Hosts",
            f"at most {MAX_ATTACH_HOST_ACCOUNTS} HostAccountIds",
        ),
        (
            "AttachHostAccountsToUser",
            {**ATTACH, "Hosts": json.dumps([{"HostId": str(n)} for n in range(1, 12)])},
            "Hosts",
            f"At most {MAX_ATTACH_HOSTS} hosts",
        ),
        (
            "AttachHostAccountsToUser",
            {**ATTACH, "Hosts": '[{"HostId":"1"},{"HostId":"1"}]'},
            "Hosts",
            "twice",
        ),
        (
            "AttachHostAccountsToUser",
            {**ATTACH, "Hosts": '[{"HostId":"1","Admin":true}]'},
            "Hosts",
            "only have",
        ),
        ("AttachHostAccountsToUser", {**ATTACH, "UserId": "alice"}, "UserId", "numeric ID"),
    ],
)
def test_refusals_name_the_field(action: str, raw: dict[str, Any], field: str, words: str) -> None:
    errors = refused(action, raw)
    assert field in errors
    assert words in errors[field], errors[field]


def test_attach_takes_nine_accounts_a_host_and_keeps_them_as_signed() -> None:
    spec = get_spec("AttachHostAccountsToUser")
    nine = [{"HostId": "5", "HostAccountIds": [str(n) for n in range(8, 17)]}, {"HostId": "6"}]
    params = validate_params(spec, {**ATTACH, "Hosts": json.dumps(nine, indent=2)})
    assert spec.serialize(params)["Hosts"] == json.dumps(nine, separators=(",", ":"))
    assert "again" in spec.summary(params) and "host 6 (the host only)" in spec.summary(params)


def test_list_hosts_for_user_goes_on_the_wire_as_the_sdk_puts_it() -> None:
    spec = get_spec("ListHostsForUser")
    raw = {**HOSTS_FOR, "OSType": "Linux", "ProjectId": "7", "HostName": " web-01 "}
    assert spec.serialize(validate_params(spec, raw)) == {
        "InstanceId": "bastionhost-cn-st220aw0001",
        "RegionId": "cn-hangzhou",
        "UserId": "1",
        "HostName": "web-01",
        "Mode": "Authorized",
        "OSType": "Linux",
        "PageSize": "100",
        "ProjectId": "7",
    }
