"""The "Error codes" tables of the five API pages, with Offboard's next step for each.

Statuses and messages are the pages' own: tests/commands/test_error_codes.py reads them
back from the page texts (copied verbatim to tests/commands/api_pages/). The BssOpenApi
pages (RelieveAccountRelation, ModifyAccountRelation) document no codes: "See Error
Codes for a complete list."
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from commands.catalog.error_codes import ErrorCode

__all__ = ["DELETE_ACCOUNT", "DEREGISTER_DELEGATED_ADMINISTRATOR", "DETACH_HOST_ACCOUNTS", "NONE"]

NONE: Mapping[str, ErrorCode] = MappingProxyType({})

_AGAIN = "then ask for DeleteAccount again."
_STATUS = "`offboard-bot call GetAccountDeletionStatus AccountId={AccountId}`"
_SERVICES = "`offboard-bot call ListDelegatedServicesForAccount AccountId={AccountId}`"

# The code is spelled this way by the API ("Confilct", "Administator").
REMOVE_CONFLICT = "RemoveConfilctAccountAsDelegatedAdministator"

# resourcemanager-DeleteAccount.txt
DELETE_ACCOUNT: Mapping[str, ErrorCode] = MappingProxyType(
    {
        "MissingParameter.AccountId": ErrorCode(
            400,
            "You must specify AccountId.",
            "Ask again with the member's 16-digit AccountId.",
        ),
        "InvalidParameter.AccountId": ErrorCode(
            400,
            "The AccountId is invalid.",
            "Check the member's 16-digit account ID in Resource Directory and ask again.",
        ),
        "EntityNotExists.Account": ErrorCode(
            404,
            "This resource directory account does not exist.",
            "No member {AccountId} in this resource directory: check the AccountId; "
            "there is nothing to delete.",
        ),
        "EntityNotExists.ResourceDirectory": ErrorCode(
            404,
            "The resource directory for the account is not enabled. We recommend that you "
            "first enable the resource directory for the account.",
            "Offboard's account has no resource directory: check that its AccessKey "
            "belongs to the management account.",
        ),
        "AccountNotExist.DeleteAccount": ErrorCode(
            409,
            "The deletion failed. The account does not exist. Please confirm whether it "
            "has been deleted.",
            f"Member {{AccountId}} is already gone: confirm with {_STATUS}; nothing more to do.",
        ),
        "InvalidControlPolicyEnablementStatus": ErrorCode(
            409,
            "The control policy enablement status is not valid to perform this operation.",
            "A control policy forbids this: have a Resource Directory administrator check "
            f"the control policies, {_AGAIN}",
        ),
        "NoLicense.ResourceDirectory": ErrorCode(
            409,
            "The resource directory has not enabled the delete operation.",
            "Member deletion is not enabled for this resource directory: have an "
            f"administrator enable it, {_AGAIN}",
        ),
        "CallerIdentityError.DeleteAccount": ErrorCode(
            409,
            "Please use the RAM user or role of the management account to delete.",
            "Offboard must call as a RAM user or role with administrator rights in the "
            f"management account: fix its AccessKey, {_AGAIN}",
        ),
        REMOVE_CONFLICT: ErrorCode(
            409,
            "You attempted to remove a member that is registered as a delegated "
            "administrator. To complete this operation, you must first deregister this "
            "account as a delegated administrator.",
            "Deregister the member from {ServicePrincipal} first: `/offboard "
            "DeregisterDelegatedAdministrator AccountId={AccountId} "
            f"ServicePrincipal={{ServicePrincipal}}`, {_AGAIN}",
            otherwise=f"Deregister the member first: find its services with {_SERVICES}, "
            "then `/offboard DeregisterDelegatedAdministrator AccountId={AccountId} "
            f"ServicePrincipal=<service>` for each, {_AGAIN}",
        ),
        "LegalEntityDifferent": ErrorCode(
            409,
            "The account legal entity is different from the one of the Management Account.",
            "The member's legal entity differs from the management account's: Offboard "
            "cannot delete it; settle it with Alibaba Cloud support.",
        ),
        "MemberTypeError.DeleteAccount": ErrorCode(
            409,
            "You can only delete accounts of the resource account type created by Resource "
            "Directory.",
            "Member {AccountId} is a cloud account, not a resource account: it cannot be "
            "deleted; remove it from the resource directory in the console instead.",
        ),
        "NotSupport.HasPayerAccount": ErrorCode(
            409,
            "This account has a payer account. Please release the financial relationship "
            "of this account first.",
            "Release the member's finance relation first: find its RelationId with "
            "QueryRelationList, then `/offboard RelieveAccountRelation "
            f"RelationId=<RelationId>`, {_AGAIN}",
        ),
        "NotSupportedOperation.DeletingAccount": ErrorCode(
            409,
            "The operation is not supported because the account is being deleted.",
            f"The member is being deleted already: follow it with {_STATUS}; do not ask again.",
        ),
        "NotSupportedOperation.CheckingAccount": ErrorCode(
            409,
            "The operation is not supported because the account is checking for deletion.",
            "A deletion check is running for the member: wait until "
            f"GetAccountDeletionCheckResult says PreCheckComplete, {_AGAIN}",
        ),
        "UnknownError.Account": ErrorCode(
            409,
            "The deletion failed. An unknown error occurred. Please try again later.",
            f"The page says to try again later: wait a while, {_AGAIN}",
        ),
    }
)

# resourcemanager-DeregisterDelegatedAdministrator.txt
DEREGISTER_DELEGATED_ADMINISTRATOR: Mapping[str, ErrorCode] = MappingProxyType(
    {
        "InvalidParameter.ServicePrincipal": ErrorCode(
            409,
            "The specified ServicePrincipal is invalid.",
            f"Check the service identifier ({_SERVICES} lists the member's services) and "
            "ask again.",
        ),
        "AccountNotRegistered": ErrorCode(
            409,
            "The specified account is not a delegated administrator for this service.",
            "Member {AccountId} is not a delegated administrator of {ServicePrincipal}: "
            f"nothing to deregister; {_SERVICES} lists what it is registered for.",
        ),
    }
)

# bastionhost-DetachHostAccountsFromUser.txt
DETACH_HOST_ACCOUNTS: Mapping[str, ErrorCode] = MappingProxyType(
    {
        "InvalidParameter": ErrorCode(
            400,
            "The argument is invalid.",
            "Check InstanceId, RegionId, UserId and the host and host account IDs "
            "(ListHostAccountsForUser shows the user's), then ask again.",
        ),
        "InternalError": ErrorCode(
            500,
            "An unknown error occurred.",
            "Bastionhost failed: check with ListHostAccountsForUser which host accounts "
            "user {UserId} still has on {InstanceId} before asking again.",
        ),
    }
)
