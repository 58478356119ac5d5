"""BssOpenApi (2017-12-14): finance relations between accounts.

Parameters follow the official SDK ``alibabacloud_bssopenapi20171214``: every
parameter goes in the query, and its arrays (``PermissionCodes``, ``RoleCodes``,
``StatusList``) are passed to ``Utils.query`` as lists, which flattens them to
``Name.1``, ``Name.2``, ... The required ``RequestId`` is Offboard's own: people cannot
type it; ``prepare_params`` derives it from our request id, so every attempt of one
request carries the same one. (The pages say only that it "is used to mark a request and
troubleshoot issues"; they promise no de-duplication, and Offboard relies on none.)
The pages document no error codes ("See Error Codes for a complete list").
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from commands.catalog import bss_quirks, page_errors
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

VERSION = "2017-12-14"

_EITHER = "Give RelationId, or all of ParentUserId, ChildUserId and RelationType."
_EITHER_MODIFY = "Give RelationId, or both ParentUserId and ChildUserId."
_REQUEST_ID_REFUSED = "Offboard sets RequestId itself (derived from this request); leave it out."
_SAME_PARTY = "Must differ from ParentUserId: a relation is between two accounts."


def _request_id() -> Any:
    return param("Request ID", example="request_id", required=False, refused=_REQUEST_ID_REFUSED)


class _RelationParams(OperationParams):
    """A relation named by its two parties: the parent and the member account."""

    @model_validator(mode="after")
    def _two_parties(self) -> _RelationParams:
        # Offboard limit: the pages call ParentUserId "the Alibaba Cloud account" and
        # ChildUserId the member (or RAM user); one account is never both ends.
        parent, child = getattr(self, "ParentUserId", None), getattr(self, "ChildUserId", None)
        if parent is not None and parent == child:
            raise PydanticCustomError("same_party", _SAME_PARTY, {"field": "ChildUserId"})
        return self


class RelieveAccountRelationParams(_RelationParams):
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


class ModifyAccountRelationParams(_RelationParams):
    # Offboard limit: the page marks every one of these optional, but approvers must see
    # which relation changes (and the pre-check look it up): by RelationId ("Obtain this
    # value from ... QueryRelationList") or by its two parties.
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
        required=False,
        refused="Modifying roles is not supported (the ModifyAccountRelation page).",
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
    errors=page_errors.NONE,
    quirks=bss_quirks.RELIEVE_ACCOUNT_RELATION,
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
    errors=page_errors.NONE,
    quirks=bss_quirks.MODIFY_ACCOUNT_RELATION,
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
