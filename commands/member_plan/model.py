"""The typed values discovery finds: plain frozen dataclasses, no behaviour beyond words.

Every value comes from one read-only answer; a read that failed is a :class:`ReadFailure`
(its Code, Message and RequestId), never an exception. ``None`` in a :class:`Discovery`
field means "not known": its read failed (see ``failures``) or was never made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class BastionUser:
    """One bastion host user to strip, as the modal gives it: ``RegionId InstanceId UserId``."""

    region_id: str
    instance_id: str
    user_id: str

    def __str__(self) -> str:
        return f"{self.region_id} {self.instance_id} {self.user_id}"

    def params(self) -> dict[str, str]:
        """The parameters that name this user in a Bastionhost call."""
        return {"RegionId": self.region_id, "InstanceId": self.instance_id, "UserId": self.user_id}


@dataclass(frozen=True)
class ReadFailure:
    """A read that failed for good (after the client's retries): what the cloud said."""

    action: str
    params: Mapping[str, str]
    code: str | None
    message: str
    request_id: str | None = None
    http_status: int | None = None

    def __str__(self) -> str:
        code = self.code or "no answer"
        rid = f", RequestId {self.request_id}" if self.request_id else ""
        return f"{self.action} failed: {code}: {self.message}{rid}"


@dataclass(frozen=True)
class Directory:
    """GetResourceDirectory: the directory the bot manages, and whether members may go."""

    directory_id: str | None
    management_account_id: str | None
    member_deletion: str | None  # "Enabled" / "Disabled"

    @property
    def deletion_enabled(self) -> bool:
        return self.member_deletion == "Enabled"


@dataclass(frozen=True)
class Member:
    """GetAccount: the member's name, type and directory."""

    account_id: str
    display_name: str | None
    type: str | None  # ResourceAccount / CloudAccount
    status: str | None
    directory_id: str | None
    join_method: str | None


@dataclass(frozen=True)
class Payer:
    """GetPayerForAccount: the account that pays for the member."""

    account_id: str | None
    name: str | None


@dataclass(frozen=True)
class Relation:
    """One finance relation in force between the payer and the member (QueryRelationList)."""

    relation_id: int
    payer_account_id: str
    relation_type: str | None
    state: str | None


@dataclass(frozen=True)
class HostGrant:
    """A host the user may use, and the host accounts authorized for the user on it."""

    host_id: str
    host_name: str | None
    account_ids: tuple[str, ...]
    account_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class UserGrants:
    """What one bastion user holds: ListHostsForUser, then ListHostAccountsForUser per host."""

    user: BastionUser
    hosts: tuple[HostGrant, ...]


@dataclass(frozen=True)
class CheckItem:
    """One item of a deletion check (``NotAllowReason`` or ``AbandonableChecks``)."""

    check_id: str
    name: str
    description: str


@dataclass(frozen=True)
class DeletionCheck:
    """A deletion check's result. ``complete`` is False when it did not reach
    PreCheckComplete in time, ``failure`` set when one of its reads failed."""

    complete: bool
    allow_delete: bool
    not_allowed: tuple[CheckItem, ...] = ()
    abandonable: tuple[CheckItem, ...] = ()
    failure: ReadFailure | None = None

    @property
    def abandonable_ids(self) -> tuple[str, ...]:
        return tuple(item.check_id for item in self.abandonable)


@dataclass(frozen=True)
class Discovery:
    """Everything the read-only calls found about one member, failures included."""

    account_id: str
    bastion_users: tuple[BastionUser, ...]
    directory: Directory | None = None
    member: Member | None = None
    services: tuple[str, ...] | None = None
    payer: Payer | None = None
    relations: tuple[Relation, ...] | None = None
    grants: tuple[UserGrants, ...] = ()
    check: DeletionCheck | None = None
    failures: tuple[ReadFailure, ...] = ()
    reads: int = 0  # read-only calls made (each counted once, whatever its retries)

    def failure_of(self, action: str) -> ReadFailure | None:
        """The first failure of ``action``, if one failed."""
        return next((f for f in self.failures if f.action == action), None)
