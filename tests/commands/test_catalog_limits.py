"""The catalog's limits: every list bounded and free of repeats, ids within int64, the two
parties of a relation distinct, display names that show what is signed.

Each is written as the input an attacker (or a tired requester) would try: the card
must show, in full, exactly what will be signed.
"""

from __future__ import annotations

import json
from typing import Any, get_args, get_origin

import pytest
from pydantic import AfterValidator

from commands.catalog import CATALOG, get_spec, validate_params
from commands.catalog.base import refusals_of
from commands.catalog.bastionhost import MAX_HOST_ACCOUNTS, MAX_HOSTS
from commands.catalog.types import INT64_MAX, Distinct
from tests.commands.test_catalog import DETACH, VALID, refused

MODIFY = VALID["ModifyAccountRelation"]
PARENT, CHILD = "1738376485192612", "1512996702208737"


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) is list:
        return True
    return any(_is_list(arg) for arg in get_args(annotation))


def _bounds(annotation: Any) -> list[Distinct]:
    found = [
        m.func for m in getattr(annotation, "__metadata__", ()) if isinstance(m, AfterValidator)
    ]
    found = [f for f in found if isinstance(f, Distinct)]
    for arg in get_args(annotation):
        found += _bounds(arg)
    return found


def test_every_list_parameter_is_bounded_and_says_where_the_bound_comes_from() -> None:
    lists = []
    for action, spec in CATALOG.items():
        for name, info in spec.params_model.model_fields.items():
            if not _is_list(info.annotation):
                continue
            lists.append(f"{action}.{name}")
            bounds = _bounds(info.annotation)
            assert len(bounds) == 1, f"{action}.{name} has no Distinct bound"
            assert bounds[0].max_items >= 1 and bounds[0].source
    assert "DeleteAccount.AbandonableCheckId" in lists
    assert "ModifyAccountRelation.PermissionCodes" in lists
    # Hosts is JSON text, bounded by its page: 10 hosts, 10 host accounts each.
    assert (MAX_HOSTS, MAX_HOST_ACCOUNTS) == (10, 10)


@pytest.mark.parametrize(
    ("action", "raw", "field", "words"),
    [
        (
            "ModifyAccountRelation",
            {
                **MODIFY,
                "PermissionCodes": "CHECK_FINANCE_INFO,FORBID_WITHDRAW_CASH,CHECK_FINANCE_INFO",
            },
            "PermissionCodes",
            "Item 3 repeats item 1",
        ),
        (
            "ModifyAccountRelation",
            {**MODIFY, "PermissionCodes": ["CHECK_FINANCE_INFO"] * 8},
            "PermissionCodes",
            "At most 7 items",
        ),
        (
            "DeleteAccount",
            {
                "AccountId": "1699461245510000",
                "AbandonableCheckId": "NON_SP_cs, NON_SP_ecs, NON_SP_cs",
            },
            "AbandonableCheckId",
            "Item 3 repeats item 1",
        ),
        (
            "DeleteAccount",
            {
                "AccountId": "1699461245510000",
                "AbandonableCheckId": json.dumps([f"CHECK_{i}" for i in range(21)]),
            },
            "AbandonableCheckId",
            "At most 20 items",
        ),
        (
            "QueryRelationList",
            {"UserId": PARENT, "StatusList": "RELATED,RELATED"},
            "StatusList",
            "Item 2 repeats item 1",
        ),
        (
            "DetachHostAccountsFromUser",
            {**DETACH, "Hosts": '[{"HostId":"1"},{"HostId":"1","HostAccountIds":["2"]}]'},
            "Hosts",
            "A HostId appears twice",
        ),
        (
            "DetachHostAccountsFromUser",
            {**DETACH, "Hosts": '[{"HostId":"1","HostAccountIds":["2","2"]}]'},
            "Hosts",
            "repeat an ID",
        ),
    ],
)
def test_repeats_and_overlong_lists_are_refused_at_the_field(
    action: str, raw: dict[str, Any], field: str, words: str
) -> None:
    errors = refused(action, raw)
    assert set(errors) == {field}
    assert words in errors[field]


@pytest.mark.parametrize("action", ["RelieveAccountRelation", "ModifyAccountRelation"])
def test_relation_id_beyond_int64_is_refused(action: str) -> None:
    base = {k: v for k, v in VALID[action].items() if k not in ("ParentUserId", "ChildUserId")}
    base.pop("RelationType", None)
    assert validate_params(get_spec(action), {**base, "RelationId": str(INT64_MAX)})
    for beyond in (str(INT64_MAX + 1), "9" * 19, INT64_MAX + 1):
        errors = refused(action, {**base, "RelationId": beyond})
        assert set(errors) == {"RelationId"}
        assert "9223372036854775807" in errors["RelationId"]


@pytest.mark.parametrize("action", ["RelieveAccountRelation", "ModifyAccountRelation"])
def test_a_relation_with_itself_is_refused(action: str) -> None:
    raw = {**VALID[action], "ParentUserId": CHILD, "ChildUserId": CHILD}
    raw.pop("RelationId", None)
    raw.setdefault("RelationType", "enterprise_group")
    errors = refused(action, raw)
    assert errors == {
        "ChildUserId": "Must differ from ParentUserId: a relation is between two accounts."
    }
    # Given as int and as text, the same account is the same account.
    errors = refused(action, {**raw, "ParentUserId": int(CHILD)})
    assert set(errors) == {"ChildUserId"}


HIDDEN = (
    [chr(c) for c in range(0x202A, 0x202F)]  # embeddings and overrides (RLO: U+202E)
    + [chr(c) for c in range(0x2066, 0x206A)]  # isolates
    + ["\u200e", "\u200f", "\u061c"]  # LRM, RLM, Arabic letter mark
    + ["\u2028", "\u2029"]  # line and paragraph separators
    + ["\x00", "\x07", "\n", "\r", "\t", "\x1b", "\x7f", "\x85", "\x9b"]  # C0, DEL, C1
)


@pytest.mark.parametrize("char", HIDDEN, ids=[f"U+{ord(c):04X}" for c in HIDDEN])
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_child_nick_with_bidi_or_control_characters_is_refused(char: str, where: str) -> None:
    # The attack: "finance-\u202etxt.exe" shows reversed on the card, not as signed.
    nick = {"start": f"{char}finance", "middle": f"fin{char}ance", "end": f"finance{char}"}[where]
    errors = refused("ModifyAccountRelation", {**MODIFY, "ChildNick": nick})
    assert set(errors) == {"ChildNick"}
    assert "bidirectional" in errors["ChildNick"]


def test_child_nick_keeps_ordinary_text_of_any_script() -> None:
    spec = get_spec("ModifyAccountRelation")
    for nick in ("Display name of the member", "成员 财务", "عضو", "Zoë ~*"):
        assert validate_params(spec, {**MODIFY, "ChildNick": nick}).ChildNick == nick  # type: ignore[attr-defined]
    assert set(refused("ModifyAccountRelation", {**MODIFY, "ChildNick": "x" * 65})) == {"ChildNick"}


def test_only_offboards_own_keys_and_unsupported_roles_are_refused_parameters() -> None:
    refusing = {
        f"{action}.{name}"
        for action, spec in CATALOG.items()
        for name in refusals_of(spec.params_model)
    }
    assert refusing == {
        "RelieveAccountRelation.RequestId",
        "ModifyAccountRelation.RequestId",
        "ModifyAccountRelation.RoleCodes",
    }
    for action, spec in CATALOG.items():
        shown = {f.name for f in spec.fields()}
        assert not shown & set(refusals_of(spec.params_model)), action
