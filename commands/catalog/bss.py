"""BssOpenApi (2017-12-14): finance relations between accounts.

Parameters follow the official SDK ``alibabacloud_bssopenapi20171214``: every
parameter goes in the query, and its arrays (``PermissionCodes``, ``RoleCodes``,
``StatusList``) are passed to ``Utils.query`` as lists, which flattens them to
``Name.1``, ``Name.2``, ... The required ``RequestId`` is ours to choose:
``prepare_params`` fills it from our own request id so a retry carries the same one.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from commands.catalog import types as t
from commands.catalog.base import (
    OperationClass,
    OperationParams,
    OperationSpec,
    ResponseModel,
    flat,
    param,
    spec_factory,
)
from commands.endpoints import Product

VERSION = "2017-12-14"

_EITHER = "Give RelationId, or all of ParentUserId, ChildUserId and RelationType."
_EITHER_MODIFY = "Give RelationId, or both ParentUserId and ChildUserId."
_REQUEST_ID_HINT = "Leave empty: Offboard derives one from this request, so retries reuse it."


def _request_id() -> Any:
    return param("Request ID", example="request_id", hint=_REQUEST_ID_HINT, required=False)


class RelieveAccountRelationParams(OperationParams):
    # "You must specify either the RelationId parameter, or the ParentUserId,
    # ChildUserId, and RelationType parameters."
    requires_one_of = (
        ("RelationId", _EITHER, (("RelationId",), ("ParentUserId", "ChildUserId", "RelationType"))),
    )

    RelationType: t.RelationType | None = param(
        "Relation type", example="enterprise_group", required=False
    )
    ParentUserId: t.Uid | None = param(
        "Parent account UID", example="1738376485192612", hint=_EITHER, required=False
    )
    ChildUserId: t.Uid | None = param(
        "Member account UID", example="1512996702208737", hint=_EITHER, required=False
    )
    RequestId: t.BssRequestId | None = _request_id()
    RelationId: t.PositiveInt | None = param(
        "Relation ID", example="51463", hint="From QueryRelationList.", required=False
    )


class ModifyAccountRelationParams(OperationParams):
    # The page does not spell the rule out, but a relation must be named somehow: by
    # RelationId ("Obtain this value from ... QueryRelationList") or by its two parties.
    requires_one_of = (
        ("RelationId", _EITHER_MODIFY, (("RelationId",), ("ParentUserId", "ChildUserId"))),
    )

    RelationType: t.RelationType | None = param(
        "Relation type", example="enterprise_group", required=False
    )
    RelationOperation: t.RelationOperation = param(
        "Operation", example="ADD", hint="ADD adds the permissions, DELETE removes them."
    )
    ParentUserId: t.Uid | None = param(
        "Parent account UID", example="1738376485192612", required=False
    )
    ChildNick: t.DisplayName | None = param(
        "Member display name", example="Display name of the member", required=False
    )
    ChildUserId: t.Uid | None = param(
        "Member account UID", example="1512996702208737", required=False
    )
    RequestId: t.BssRequestId | None = _request_id()
    RoleCodes: t.RoleCodeList | None = param(
        "Role codes",
        example="trusteeship",
        hint="Modifying roles is not supported.",
        required=False,
    )
    PermissionCodes: t.PermissionCodeList | None = param(
        "Permissions", example="SYNCHRONIZE_FINANCE_IDENTITY", required=False
    )
    RelationId: t.PositiveInt | None = param(
        "Relation ID", example="51463", hint="From QueryRelationList.", required=False
    )


class QueryRelationListParams(OperationParams):
    UserId: t.Uid = param("Account UID", example="1738376485192612")
    PageNum: t.PositiveInt | None = param("Page number", example="1", required=False)
    PageSize: t.PositiveInt | None = param("Page size", example="20", required=False)
    StatusList: t.RelationStatusList | None = param(
        "Statuses", example="RELATED", hint="Default: relations in effect.", required=False
    )


class BssResponse(ResponseModel):
    """Every BssOpenApi answer: Code, Message, RequestId, Success, Data."""

    Code: str | None = None
    Message: str | None = None
    RequestId: str | None = None
    Success: bool | None = None
    Data: dict[str, Any] | None = None


class FinancialRelationInfo(ResponseModel):
    AccountId: int | None = None
    AccountName: str | None = None
    AccountNickName: str | None = None
    AccountType: str | None = None  # MASTER / MEMBER
    RelationId: int | None = None
    RelationType: str | None = None
    State: str | None = None
    SetupTime: str | None = None
    StartTime: str | None = None
    EndTime: str | None = None


class RelationPage(ResponseModel):
    PageNum: int | None = None
    PageSize: int | None = None
    TotalCount: int | None = None
    FinancialRelationInfoList: list[FinancialRelationInfo] = Field(default_factory=list)


class QueryRelationListResponse(ResponseModel):
    Code: str | None = None
    Message: str | None = None
    RequestId: str | None = None
    Success: bool | None = None
    Data: RelationPage | None = None


def _relation(p: Any) -> str:
    if p.RelationId is not None:
        return f"finance relation {p.RelationId}"
    return f"the finance relation between {p.ParentUserId} and member {p.ChildUserId}"


def _modify_summary(p: Any) -> str:
    verb = "Remove" if p.RelationOperation == "DELETE" else "Add"
    what = ", ".join(p.PermissionCodes) if p.PermissionCodes else "permissions"
    return f"{verb} {what} on {_relation(p)}"


def _modify_class(p: BaseModel) -> OperationClass:
    # DELETE takes finance permissions away; ADD grants them (FORBID_WITHDRAW_CASH,
    # FORBID_MANAGE_INVOICE...): a write to a real billing relation, never a read.
    if getattr(p, "RelationOperation", None) == "DELETE":
        return OperationClass.DESTRUCTIVE
    return OperationClass.WRITE


_bss = spec_factory(Product.BSS, VERSION)


RELIEVE_ACCOUNT_RELATION: OperationSpec = _bss(
    "RelieveAccountRelation",
    RelieveAccountRelationParams,
    BssResponse,
    summary=lambda p: f"Release {_relation(p)}",
    danger=(
        "Ends the finance relation: the parent account stops paying for and managing the "
        "member's finances (credit, discounts, invoices) at once."
    ),
    op_class=OperationClass.DESTRUCTIVE,
    serialize=flat,
    idempotency_param="RequestId",
)

MODIFY_ACCOUNT_RELATION: OperationSpec = _bss(
    "ModifyAccountRelation",
    ModifyAccountRelationParams,
    BssResponse,
    summary=_modify_summary,
    danger=(
        "With RelationOperation=DELETE it removes finance permissions (credit identity, "
        "discounts, invoice management) from the relation."
    ),
    op_class=OperationClass.DESTRUCTIVE,
    class_when=_modify_class,
    serialize=lambda p: flat(p, lists={"PermissionCodes": "repeat", "RoleCodes": "repeat"}),
    idempotency_param="RequestId",
)

QUERY_RELATION_LIST: OperationSpec = _bss(
    "QueryRelationList",
    QueryRelationListParams,
    QueryRelationListResponse,
    summary=lambda p: f"List the finance relations of account {p.UserId}",
    serialize=lambda p: flat(p, lists={"StatusList": "repeat"}),
    op_class=OperationClass.READ,
)

SPECS: tuple[OperationSpec, ...] = (
    RELIEVE_ACCOUNT_RELATION,
    MODIFY_ACCOUNT_RELATION,
    QUERY_RELATION_LIST,
)
