"""ResourceManager (2020-03-31): the resource directory itself.

Kept apart from ``resourcemanager.py`` (the member operations) because it is about the
caller, not a member: ``GetResourceDirectory`` names the directory's management account,
which ``offboard-bot doctor`` compares with the caller's account. It takes no parameters
(the official SDK's ``get_resource_directory_with_options(runtime)`` has no request).
"""

from __future__ import annotations

from commands.catalog.base import OperationClass, OperationSpec, ResponseModel, flat, spec_factory
from commands.catalog.resourcemanager import VERSION
from commands.catalog.sts import NoParams
from commands.endpoints import Product


class ResourceDirectoryInfo(ResponseModel):
    ResourceDirectoryId: str | None = None
    MasterAccountId: str | None = None
    MasterAccountName: str | None = None
    RootFolderId: str | None = None
    CreateTime: str | None = None
    MemberDeletionStatus: str | None = None  # Enabled / Disabled
    ControlPolicyStatus: str | None = None
    IdentityInformation: str | None = None


class GetResourceDirectoryResponse(ResponseModel):
    RequestId: str | None = None
    ResourceDirectory: ResourceDirectoryInfo | None = None


GET_RESOURCE_DIRECTORY: OperationSpec = spec_factory(Product.RESOURCE_MANAGER, VERSION)(
    "GetResourceDirectory",
    NoParams,
    GetResourceDirectoryResponse,
    summary=lambda p: "Read the resource directory (its management account)",
    serialize=flat,
    op_class=OperationClass.READ,
)

SPECS: tuple[OperationSpec, ...] = (GET_RESOURCE_DIRECTORY,)
