"""The catalog: which operations exist, what they refuse, how they go on the wire.

The byte-for-byte comparison with the official SDKs is tests/commands/test_differential.py;
here: the rules of the API pages, the error messages people see, the round trip.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commands.catalog import (
    CATALOG,
    PLAN_ONLY_ACTIONS,
    REQUESTABLE_ACTIONS,
    OperationClass,
    get_spec,
    prepare_params,
    validate_params,
)
from commands.endpoints import Product
from commands.errors import ParameterError

DELETE_MEMBER = {"AccountId": "1699461245510000"}
HOSTS_EXAMPLE = (
    '[ {"HostId":"1"}, {"HostId":"2","HostAccountIds":["1","2","3"]}, '
    '{"HostId":"3","HostAccountIds":["4","5","6"]}, {"HostId":"4","HostAccountIds":["9","8","7"]} ]'
)
DETACH = {
    "InstanceId": "bastionhost-cn-st220aw0001",
    "RegionId": "cn-hangzhou",
    "UserId": "1",
    "Hosts": HOSTS_EXAMPLE,
}

# One valid input per operation: the API pages' examples.
VALID: dict[str, dict[str, Any]] = {
    "DeleteAccount": {**DELETE_MEMBER, "AbandonableCheckId": "NON_SP_cs"},
    "DeregisterDelegatedAdministrator": {
        **DELETE_MEMBER,
        "ServicePrincipal": "cloudfw.aliyuncs.com",
    },
    "CheckAccountDelete": DELETE_MEMBER,
    "GetAccountDeletionCheckResult": DELETE_MEMBER,
    "GetAccountDeletionStatus": DELETE_MEMBER,
    "GetAccount": {**DELETE_MEMBER, "IncludeTags": "true"},
    "ListDelegatedAdministrators": {"ServicePrincipal": "cloudfw.aliyuncs.com", "PageSize": "10"},
    "ListDelegatedServicesForAccount": DELETE_MEMBER,
    "RelieveAccountRelation": {
        "RelationType": "enterprise_group",
        "ParentUserId": "1738376485192612",
        "ChildUserId": "1512996702208737",
    },
    "ModifyAccountRelation": {
        "RelationOperation": "DELETE",
        "RelationId": "51463",
        "PermissionCodes": "SYNCHRONIZE_FINANCE_IDENTITY, CHECK_FINANCE_INFO",
        "ChildNick": "Display name of the member",
    },
    "QueryRelationList": {"UserId": "1738376485192612", "StatusList": '["RELATED"]'},
    "DetachHostAccountsFromUser": DETACH,
    "ListHostAccountsForUser": {
        "InstanceId": "bastionhost-cn-st220aw0001",
        "UserId": "1",
        "HostId": "2",
    },
    # The member plan's operations (their pages are not in our set: the official SDK's).
    "GetPayerForAccount": DELETE_MEMBER,
    "RegisterDelegatedAdministrator": {**DELETE_MEMBER, "ServicePrincipal": "cloudfw.aliyuncs.com"},
    "ListHostsForUser": {
        "InstanceId": "bastionhost-cn-st220aw0001",
        "RegionId": "cn-hangzhou",
        "UserId": "1",
        "Mode": "Authorized",
        "PageSize": "100",
    },
    "AttachHostAccountsToUser": {
        **DETACH,
        "Hosts": '[{"HostId":"1"},{"HostId":"2","HostAccountIds":["1","2"]}]',
    },
    # No parameters at all: who the bot is, and which account manages the directory.
    "GetResourceDirectory": {},
    "GetCallerIdentity": {},
}


def refused(action: str, raw: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ParameterError) as caught:
        validate_params(get_spec(action), raw)
    return caught.value.field_errors


def test_the_catalog_holds_the_design_operations() -> None:
    assert REQUESTABLE_ACTIONS == (
        "DeleteAccount",
        "DeregisterDelegatedAdministrator",
        "RelieveAccountRelation",
        "ModifyAccountRelation",
        "DetachHostAccountsFromUser",
    )
    # The rollbacks of a member plan change the cloud but are never picked in the modal.
    assert PLAN_ONLY_ACTIONS == ("RegisterDelegatedAdministrator", "AttachHostAccountsToUser")
    assert not set(PLAN_ONLY_ACTIONS) & set(REQUESTABLE_ACTIONS)
    assert set(VALID) == set(CATALOG)
    for action, spec in CATALOG.items():
        assert spec.action == action
        asked = action in REQUESTABLE_ACTIONS or action in PLAN_ONLY_ACTIONS
        assert spec.op_class.changes_cloud == asked
        assert (spec.danger != "") == asked
    assert get_spec("DeleteAccount").version == "2020-03-31"
    assert get_spec("RelieveAccountRelation").product is Product.BSS
    assert get_spec("DetachHostAccountsFromUser").regional


def test_unknown_operation_is_a_parameter_error_on_operation() -> None:
    with pytest.raises(ParameterError) as caught:
        get_spec("DeleteEverything")
    assert set(caught.value.field_errors) == {"operation"}


@pytest.mark.parametrize("action", sorted(VALID))
def test_valid_input_round_trips_through_what_we_store(action: str) -> None:
    spec = get_spec(action)
    params = validate_params(spec, VALID[action])
    stored = params.model_dump(mode="json", exclude_none=True)
    assert validate_params(spec, stored) == params
    assert validate_params(spec, json.loads(json.dumps(stored))) == params
    assert spec.summary(params)
    assert all(isinstance(v, str) for v in spec.serialize(params).values())


def test_modify_account_relation_is_destructive_when_deleting_and_a_write_when_adding() -> None:
    spec = get_spec("ModifyAccountRelation")
    delete = validate_params(spec, VALID["ModifyAccountRelation"])
    add = validate_params(spec, {**VALID["ModifyAccountRelation"], "RelationOperation": "ADD"})
    assert spec.classify(delete) is OperationClass.DESTRUCTIVE
    # "Not destructive" is not "read": ADD changes a real billing relation.
    assert spec.classify(add) is OperationClass.WRITE
    assert spec.changes_cloud(add)
    assert not spec.is_destructive(add)
    assert get_spec("DeleteAccount").is_destructive(
        validate_params(get_spec("DeleteAccount"), DELETE_MEMBER)
    )
    assert not get_spec("GetAccount").is_destructive(
        validate_params(get_spec("GetAccount"), DELETE_MEMBER)
    )


@pytest.mark.parametrize(
    ("action", "raw", "field", "words"),
    [
        ("DeleteAccount", {"AccountId": "169946124551****"}, "AccountId", "16-digit"),
        ("DeleteAccount", {"AccountId": "16994612455100001"}, "AccountId", "16-digit"),
        ("DeleteAccount", {"AccountId": "\u0661" * 16}, "AccountId", "16-digit"),
        ("DeleteAccount", {}, "AccountId", "Required"),
        ("DeleteAccount", {**DELETE_MEMBER, "Force": "yes"}, "Force", "Not a parameter"),
        (
            "RelieveAccountRelation",
            {"ParentUserId": "1738376485192612", "ChildUserId": "1512996702208737"},
            "RelationId",
            "RelationId, or all of ParentUserId, ChildUserId and RelationType",
        ),
        ("RelieveAccountRelation", {}, "RelationId", "Give RelationId"),
        (
            "RelieveAccountRelation",
            {**VALID["RelieveAccountRelation"], "RelationType": "finance"},
            "RelationType",
            "enterprise_group",
        ),
        (
            "RelieveAccountRelation",
            {"RelationId": "51463", "ParentUserId": "12"},
            "ParentUserId",
            "16-digit",
        ),
        (
            "ModifyAccountRelation",
            {**VALID["ModifyAccountRelation"], "RelationOperation": "REMOVE"},
            "RelationOperation",
            "ADD or DELETE",
        ),
        (
            "ModifyAccountRelation",
            {**VALID["ModifyAccountRelation"], "PermissionCodes": "CHECK_FINANCE_INFO,ALL"},
            "PermissionCodes",
            "Item 2",
        ),
        (
            "ModifyAccountRelation",
            {"RelationOperation": "ADD", "ParentUserId": "1738376485192612"},
            "RelationId",
            "Give RelationId",
        ),
        (
            "DeregisterDelegatedAdministrator",
            {**DELETE_MEMBER, "ServicePrincipal": "cloudfw"},
            "ServicePrincipal",
            "service domain",
        ),
        (
            "DeregisterDelegatedAdministrator",
            {**DELETE_MEMBER, "ServicePrincipal": "https://cloudfw.aliyuncs.com"},
            "ServicePrincipal",
            "service domain",
        ),
        ("DetachHostAccountsFromUser", {**DETACH, "Hosts": "[{HostId:1}"}, "Hosts", "valid JSON"),
        ("DetachHostAccountsFromUser", {**DETACH, "Hosts": "[]"}, "Hosts", "non-empty"),
        (
            "DetachHostAccountsFromUser",
            {**DETACH, "Hosts": json.dumps([{"HostId": str(i)} for i in range(1, 12)])},
            "Hosts",
            "At most 10 hosts",
        ),
        (
            "DetachHostAccountsFromUser",
            {
                **DETACH,
                "Hosts": json.dumps(
                    [{"HostId": "1", "HostAccountIds": [str(i) for i in range(1, 12)]}]
                ),
            },
            "Hosts",
            "at most 10 HostAccountIds",
        ),
        (
            "DetachHostAccountsFromUser",
            {**DETACH, "Hosts": '[{"HostId":"1","Sudo":true}]'},
            "Hosts",
            "only have HostId and HostAccountIds",
        ),
        (
            "DetachHostAccountsFromUser",
            {**DETACH, "InstanceId": "i-bp1abc"},
            "InstanceId",
            "bastion",
        ),
        ("DetachHostAccountsFromUser", {**DETACH, "RegionId": "Hangzhou"}, "RegionId", "region ID"),
        ("DetachHostAccountsFromUser", {**DETACH, "UserId": "alice"}, "UserId", "numeric ID"),
        (
            "ListHostAccountsForUser",
            {**VALID["ListHostAccountsForUser"], "HostId": "-1"},
            "HostId",
            "numeric",
        ),
    ],
)
def test_refusals_name_the_field(action: str, raw: dict[str, Any], field: str, words: str) -> None:
    errors = refused(action, raw)
    assert field in errors
    assert words in errors[field]


def test_every_field_error_is_reported_at_once() -> None:
    errors = refused(
        "DetachHostAccountsFromUser",
        {"InstanceId": "x", "RegionId": "?", "UserId": "u", "Hosts": "{", "Extra": "1"},
    )
    assert set(errors) == {"InstanceId", "RegionId", "UserId", "Hosts", "Extra"}
    # A rule spanning fields is reported together with the per-field errors.
    errors = refused("RelieveAccountRelation", {"RelationType": "x", "ParentUserId": "1"})
    assert set(errors) == {"RelationType", "ParentUserId", "RelationId"}


def test_error_messages_never_echo_the_value() -> None:
    hostile = "<!channel> *pwned*"
    errors = refused("DeleteAccount", {"AccountId": hostile, "AbandonableCheckId": hostile})
    assert all(hostile not in message for message in errors.values())


def test_lists_come_as_json_arrays_or_comma_separated_text() -> None:
    spec = get_spec("ModifyAccountRelation")
    base = VALID["ModifyAccountRelation"]
    as_text = validate_params(
        spec, {**base, "PermissionCodes": "CHECK_FINANCE_INFO, FORBID_WITHDRAW_CASH"}
    )
    as_json = validate_params(
        spec, {**base, "PermissionCodes": '["CHECK_FINANCE_INFO","FORBID_WITHDRAW_CASH"]'}
    )
    as_list = validate_params(
        spec, {**base, "PermissionCodes": ["CHECK_FINANCE_INFO", "FORBID_WITHDRAW_CASH"]}
    )
    assert as_text == as_json == as_list


def test_empty_strings_count_as_absent() -> None:
    spec = get_spec("DeleteAccount")
    params = validate_params(spec, {**DELETE_MEMBER, "AbandonableCheckId": "  "})
    assert spec.serialize(params) == {"AccountId": "1699461245510000"}


def test_serialization_follows_the_official_sdk_per_operation() -> None:
    # DeleteAccount: the SDK sends AbandonableCheckId as one JSON string.
    delete = get_spec("DeleteAccount")
    assert delete.serialize(
        validate_params(delete, {**DELETE_MEMBER, "AbandonableCheckId": "A,B"})
    ) == {
        "AccountId": "1699461245510000",
        "AbandonableCheckId": '["A","B"]',
    }
    # ModifyAccountRelation: lists flattened to Name.1, Name.2; integers as digits.
    modify = get_spec("ModifyAccountRelation")
    wire = modify.serialize(validate_params(modify, VALID["ModifyAccountRelation"]))
    assert wire["PermissionCodes.1"] == "SYNCHRONIZE_FINANCE_IDENTITY"
    assert wire["PermissionCodes.2"] == "CHECK_FINANCE_INFO"
    assert wire["RelationId"] == "51463"
    assert "PermissionCodes" not in wire
    # Hosts: one JSON string, compact, host ids as strings.
    detach = get_spec("DetachHostAccountsFromUser")
    hosts = detach.serialize(validate_params(detach, {**DETACH, "Hosts": '[{"HostId": 7}]'}))[
        "Hosts"
    ]
    assert hosts == '[{"HostId":"7"}]'
    # GetAccount: Tea's Utils.query renders a bool with str().
    get_account = get_spec("GetAccount")
    assert (
        get_account.serialize(validate_params(get_account, VALID["GetAccount"]))["IncludeTags"]
        == "True"
    )


def test_bss_request_id_is_derived_from_our_request_id() -> None:
    spec = get_spec("RelieveAccountRelation")
    params = validate_params(spec, {"RelationId": "51463"})
    first = prepare_params(spec, params, offboard_request_id="req-1")
    again = prepare_params(spec, params, offboard_request_id="req-1")
    other = prepare_params(spec, params, offboard_request_id="req-2")
    assert first == again
    assert first.RequestId != other.RequestId  # type: ignore[attr-defined]
    assert uuid.UUID(first.RequestId).version == 5  # type: ignore[attr-defined]
    assert spec.serialize(first)["RequestId"] == first.RequestId  # type: ignore[attr-defined]
    # Preparing twice (a retried execution) keeps the key: it is ours, never the input's.
    assert prepare_params(spec, first, offboard_request_id="req-1") == first
    delete = get_spec("DeleteAccount")
    member = validate_params(delete, DELETE_MEMBER)
    assert prepare_params(delete, member, offboard_request_id="req-1") is member


@pytest.mark.parametrize("action", ["RelieveAccountRelation", "ModifyAccountRelation"])
def test_a_typed_bss_request_id_is_refused_at_its_field(action: str) -> None:
    # The attack: a requester picks the idempotency key (e.g. another request's) by hand.
    raw = {**VALID[action], "RequestId": "6f1f8a52-3c1e-5b7e-9d4a-0ffb0a4d0001"}
    errors = refused(action, raw)
    assert set(errors) == {"RequestId"}
    assert "Offboard sets RequestId itself" in errors["RequestId"]
    assert "RequestId" not in {f.name for f in get_spec(action).fields()}


def test_role_codes_are_refused_at_their_field() -> None:
    raw = {**VALID["ModifyAccountRelation"], "RoleCodes": "trusteeship"}
    assert refused("ModifyAccountRelation", raw) == {
        "RoleCodes": "Modifying roles is not supported (the ModifyAccountRelation page)."
    }
    assert "RoleCodes" not in {f.name for f in get_spec("ModifyAccountRelation").fields()}


def test_fields_describe_the_modal() -> None:
    fields = {f.name: f for f in get_spec("ModifyAccountRelation").fields()}
    assert fields["RelationOperation"].kind == "select"
    assert fields["RelationOperation"].options == ("ADD", "DELETE")
    assert fields["RelationOperation"].required
    assert "RequestId" not in fields and "RoleCodes" not in fields
    assert fields["PermissionCodes"].multiple
    assert len(fields["PermissionCodes"].options) == 7
    detach = {f.name: f for f in get_spec("DetachHostAccountsFromUser").fields()}
    assert detach["Hosts"].kind == "multiline"
    assert detach["InstanceId"].placeholder == "bastionhost-cn-st220aw0001"
    delete = get_spec("DeleteAccount").fields()
    assert [f.name for f in delete] == ["AccountId", "AbandonableCheckId"]
    assert delete[0].label and delete[0].hint


def test_summaries_are_one_line_for_people() -> None:
    detach = get_spec("DetachHostAccountsFromUser")
    line = detach.summary(validate_params(detach, DETACH))
    assert line.startswith("Revoke user 1 on bastionhost-cn-st220aw0001")
    assert "host 1 (all accounts)" in line
    relieve = get_spec("RelieveAccountRelation")
    assert "51463" in relieve.summary(validate_params(relieve, {"RelationId": "51463"}))
    assert all(
        "\n" not in spec.summary(validate_params(spec, VALID[a])) for a, spec in CATALOG.items()
    )


@given(st.text(alphabet="0123456789", min_size=16, max_size=16))
def test_any_sixteen_digits_is_an_account_id(digits: str) -> None:
    params = validate_params(get_spec("GetAccount"), {"AccountId": digits})
    assert params.AccountId == digits  # type: ignore[attr-defined]


@given(
    st.text(max_size=40).filter(
        lambda s: not (len(s.strip()) == 16 and s.strip().isdigit() and s.strip().isascii())
    )
)
def test_anything_else_is_refused_as_account_id(text: str) -> None:
    if not text.strip():
        return  # empty counts as absent: "Required", tested above
    errors = refused("GetAccount", {"AccountId": text})
    assert set(errors) == {"AccountId"}


def test_hosts_canonical_form_is_stable() -> None:
    spec = get_spec("DetachHostAccountsFromUser")
    params = validate_params(spec, DETACH)
    assert json.loads(params.Hosts)[1] == {"HostId": "2", "HostAccountIds": ["1", "2", "3"]}  # type: ignore[attr-defined]
    assert validate_params(spec, {**DETACH, "Hosts": json.loads(params.Hosts)}) == params  # type: ignore[attr-defined]
