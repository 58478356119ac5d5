"""The sandbox cloud's state: a resource directory, finance relations, bastion hosts,
and who may sign (principals, RAM roles and the STS sessions issued for them).

Plain mutable dataclasses guarded by the ``Sandbox``'s lock; the request handlers in
``commands.sandbox.resourcemanager`` / ``bss`` / ``bastionhost`` read and change them.
Time only enters through the ``now`` the handlers are given (the injected clock).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass
class CheckItem:
    """One item of a member deletion check (``NotAllowReason`` / ``AbandonableChecks``)."""

    check_id: str
    check_name: str
    description: str


@dataclass
class Deletion:
    """A member deletion under way or finished. With ``fail_reasons`` it is a deletion
    whose own check fails: ``Checking`` until ``completes``, then ``CheckFailed`` with
    those reasons (GetAccountDeletionStatus's FailReasonList), the member left as it was.
    """

    started: datetime
    completes: datetime
    abandoned: tuple[str, ...] = ()
    fail_reasons: tuple[CheckItem, ...] = ()
    deletion_type: str = "0"

    @property
    def fails(self) -> bool:
        return bool(self.fail_reasons)


@dataclass
class DeletionCheck:
    """A deletion check started by CheckAccountDelete."""

    started: datetime
    completes: datetime


# GetAccount's Type: a member created in the directory, or an invited cloud account.
RESOURCE_ACCOUNT = "ResourceAccount"
CLOUD_ACCOUNT = "CloudAccount"


@dataclass
class MemberAccount:
    account_id: str
    display_name: str
    account_name: str
    folder_id: str = "fd-offboard01"
    join_method: str = "created"  # "invited" for a CloudAccount
    type: str = RESOURCE_ACCOUNT
    join_time: str = "2024-03-01T08:00:00Z"
    # Check items that fail but may be abandoned (AbandonableCheckId).
    abandonable_checks: list[CheckItem] = field(default_factory=list)
    # Check items that fail and no API clears (unpaid bills, domain names, ...).
    not_allowed: list[CheckItem] = field(default_factory=list)
    # DeleteAccount's DeletionType: "1" when the member had pay-as-you-go resources in
    # the last 30 days (deleted after a silence period), else "0".
    deletion_type: str = "0"
    deletion: Deletion | None = None
    check: DeletionCheck | None = None

    def deleted(self, now: datetime) -> bool:
        deletion = self.deletion
        return deletion is not None and not deletion.fails and now >= deletion.completes

    def deleting(self, now: datetime) -> bool:
        return self.deletion is not None and now < self.deletion.completes


@dataclass
class Delegation:
    account_id: str
    service_principal: str
    enabled: str = "2024-05-10T09:30:00Z"


@dataclass
class FinanceRelation:
    relation_id: int
    parent_user_id: int
    child_user_id: int
    relation_type: str = "enterprise_group"
    # QueryRelationList's RelationType: FinancialManagement or FinancialTrusteeship.
    kind: str = "FinancialTrusteeship"
    state: str = "RELATED"
    setup_time: str = "2024-04-02T10:00:00Z"
    permissions: set[str] = field(default_factory=set)


@dataclass
class HostAccount:
    host_account_id: str
    name: str
    protocol: str = "SSH"
    type: str = "common"


@dataclass
class Host:
    host_id: str
    name: str
    accounts: dict[str, HostAccount] = field(default_factory=dict)
    # Revoking on this host fails item by item (``UNEXPECTED``, the page's "An unknown
    # error occurred"), inside an answer that is HTTP 200: a partial success.
    unexpected: bool = False


@dataclass
class BastionInstance:
    instance_id: str
    region_id: str
    users: dict[str, str] = field(default_factory=dict)  # user id -> user name
    hosts: dict[str, Host] = field(default_factory=dict)
    # user id -> host id -> the host account ids the user may use
    grants: dict[str, dict[str, set[str]]] = field(default_factory=dict)


@dataclass
class Principal:
    """Whom a long-term AccessKey belongs to (``GetCallerIdentity``): a RAM user of
    ``account_id``, or with ``kind="Account"`` the account itself (its root)."""

    account_id: str
    name: str = "offboard"
    user_id: str = "270001234567890"
    kind: str = "RAMUser"


@dataclass
class RamRole:
    """A RAM role that STS AssumeRole can issue sessions for."""

    arn: str
    role_id: str = "300001234567890"
    max_session_seconds: int = 3600
    # Accounts the role's trust policy names; empty: only the role's own account.
    trusted_accounts: frozenset[str] = frozenset()


@dataclass
class StsSession:
    """Temporary credentials issued by AssumeRole; valid until ``expires``."""

    access_key_id: str
    secret: str
    token: str
    expires: datetime
    role: RamRole
    session_name: str


@dataclass
class World:
    """Everything the sandbox remembers. ``deletion_seconds``: how long a DeleteAccount
    stays ``Deleting``; ``check_seconds``: how long a deletion check stays ``PreChecking``."""

    management_account_id: int
    resource_directory_id: str = "rd-offboard01"
    # GetResourceDirectory's MemberDeletionStatus; DeleteAccount answers
    # NoLicense.ResourceDirectory while it is off.
    member_deletion_enabled: bool = True
    accounts: dict[str, MemberAccount] = field(default_factory=dict)
    delegations: list[Delegation] = field(default_factory=list)
    relations: dict[int, FinanceRelation] = field(default_factory=dict)
    instances: dict[str, BastionInstance] = field(default_factory=dict)
    deletion_seconds: float = 1.0
    check_seconds: float = 0.0
    # AccessKey ID -> its owner; a key not listed is a RAM user of the management account.
    principals: dict[str, Principal] = field(default_factory=dict)
    roles: dict[str, RamRole] = field(default_factory=dict)  # by ARN
    sessions: dict[str, StsSession] = field(default_factory=dict)  # by STS AccessKey ID

    def delegations_of(self, account_id: str) -> list[Delegation]:
        return [d for d in self.delegations if d.account_id == account_id]

    def relations_of(self, uid: int) -> list[FinanceRelation]:
        return [
            r
            for r in self.relations.values()
            if uid in (r.parent_user_id, r.child_user_id) and r.state == "RELATED"
        ]

    def blockers(self, account_id: str) -> list[CheckItem]:
        """The reasons a member cannot be deleted right now (``NotAllowReason``)."""
        items = [
            CheckItem(
                "DELEGATED_ADMINISTRATOR",
                "ResourceManager",
                f"The member is a delegated administrator of {d.service_principal}.",
            )
            for d in self.delegations_of(account_id)
        ]
        account = self.accounts.get(account_id)
        items += account.not_allowed if account is not None else []
        if account_id.isdigit() and any(
            r.child_user_id == int(account_id) for r in self.relations_of(int(account_id))
        ):
            items.append(
                CheckItem(
                    "FINANCE_RELATION",
                    "BssOpenApi",
                    "The member has a payer account: release the finance relation first.",
                )
            )
        return items

    def start_deletion(
        self, account: MemberAccount, now: datetime, abandoned: tuple[str, ...]
    ) -> None:
        """Accept a deletion. Its own check fails on what no API clears and on every
        abandonable check not abandoned (GetAccountDeletionStatus: CheckFailed)."""
        failing = list(account.not_allowed) + [
            c for c in account.abandonable_checks if c.check_id not in abandoned
        ]
        account.deletion = Deletion(
            started=now,
            completes=now + timedelta(seconds=self.deletion_seconds),
            abandoned=abandoned,
            fail_reasons=tuple(failing),
            deletion_type=account.deletion_type,
        )
