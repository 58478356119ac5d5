"""Sts (2015-04-01): who the bot is signed in as.

``GetCallerIdentity`` takes no parameters and needs no RAM permission ("No authorization
for this operation", API page); the official SDK ``alibabacloud_sts20150401`` sends it as
an RPC POST like every other operation here. ``offboard-bot doctor`` calls it to show
which identity the credential chain resolved to.
"""

from __future__ import annotations

from commands.catalog.base import (
    OperationClass,
    OperationParams,
    OperationSpec,
    ResponseModel,
    flat,
    spec_factory,
)
from commands.endpoints import Product

VERSION = "2015-04-01"


class NoParams(OperationParams):
    """The operation has no request parameters."""


class GetCallerIdentityResponse(ResponseModel):
    # IdentityType: Account (the root account), RAMUser, or AssumedRoleUser (a RAM role).
    IdentityType: str | None = None
    AccountId: str | None = None
    RequestId: str | None = None
    PrincipalId: str | None = None
    UserId: str | None = None
    Arn: str | None = None
    RoleId: str | None = None


GET_CALLER_IDENTITY: OperationSpec = spec_factory(Product.STS, VERSION)(
    "GetCallerIdentity",
    NoParams,
    GetCallerIdentityResponse,
    summary=lambda p: "Show who the bot's credentials belong to",
    serialize=flat,
    op_class=OperationClass.READ,
)

SPECS: tuple[OperationSpec, ...] = (GET_CALLER_IDENTITY,)
