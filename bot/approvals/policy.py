"""Who may approve, how many approvals an operation needs, and the startup check.

Approvers are ``OFFBOARD_APPROVERS`` plus the members of ``OFFBOARD_APPROVER_USERGROUP``;
requesters, when limited, are ``OFFBOARD_REQUESTERS`` plus ``OFFBOARD_REQUESTER_USERGROUP``
(:mod:`bot.approvals.access`). One :class:`UserDirectory` serves both: the group is read
through a resolver the Slack layer supplies (``usergroups.users.list``), cached for a short
time so a click does not cost a Slack call; a failed look-up falls back to the static list
only (fail closed: nobody gains a right because Slack was unreachable).

Every request changes the cloud (a read never becomes one): a destructive call needs
``OFFBOARD_REQUIRED_APPROVALS``, any other write ``OFFBOARD_REQUIRED_WRITE_APPROVALS``,
never fewer than one, always from people other than the requester.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from bot.approvals.tally import Policy
from bot.errors import PolicyError as PolicyError
from bot.settings import Settings
from storage.states import Assurance

if TYPE_CHECKING:
    from bot.approvals.seal import DecisionSeal

log = structlog.get_logger(__name__)

GroupResolver = Callable[[str], Iterable[str]]
"""Slack user group id -> the user ids in it (``usergroups.users.list``)."""

EnrolledApprovers = Callable[[], frozenset[str]]
"""Who can give a step-up code now (enrolled, with a secret the configured key opens)."""


class UserDirectory:
    """A set of people as of now: static ids plus a cached Slack user group.

    ``setting`` names the group's variable in error messages and logs
    (``OFFBOARD_APPROVER_USERGROUP``, ``OFFBOARD_REQUESTER_USERGROUP``).
    """

    def __init__(
        self,
        static: Iterable[str],
        *,
        clock: Callable[[], datetime],
        usergroup: str | None = None,
        resolver: GroupResolver | None = None,
        ttl: timedelta = timedelta(minutes=5),
        setting: str = "OFFBOARD_APPROVER_USERGROUP",
    ) -> None:
        if usergroup and resolver is None:
            raise PolicyError(f"{setting} is {usergroup} but nothing can list its members.")
        self.setting = setting
        self._static = frozenset(static)
        self._usergroup = usergroup
        self._resolver = resolver
        self._clock = clock
        self._ttl = ttl
        self._lock = threading.Lock()
        self._members: frozenset[str] = frozenset()
        self._fetched_at: datetime | None = None

    @property
    def configured(self) -> bool:
        """Whether anyone is named at all (static ids or a group)."""
        return bool(self._static or self._usergroup)

    def members(self) -> frozenset[str]:
        """Everyone in the set, with the group as of at most ``ttl`` ago."""
        if not self._usergroup or self._resolver is None:
            return self._static
        with self._lock:
            now = self._clock()
            if self._fetched_at is None or now - self._fetched_at >= self._ttl:
                self._members = self._fetch(self._usergroup, self._resolver)
                self._fetched_at = now
            return self._static | self._members

    def _fetch(self, usergroup: str, resolver: GroupResolver) -> frozenset[str]:
        try:
            return frozenset(resolver(usergroup))
        except Exception as error:  # any Slack failure: fail closed to the static list
            log.warning(
                "user_group_unavailable",
                setting=self.setting,
                usergroup=usergroup,
                error=type(error).__name__,
            )
            return frozenset()


class ApproverDirectory(UserDirectory):
    """The people who may approve: ``OFFBOARD_APPROVERS`` and ``OFFBOARD_APPROVER_USERGROUP``."""

    def approvers(self) -> frozenset[str]:
        """Everyone who may approve, as of at most ``ttl`` ago."""
        return self.members()


@dataclass(frozen=True)
class ApprovalRules:
    """The policy as configured; :meth:`snapshot` gives the pure rules their view of it."""

    directory: ApproverDirectory
    default_required: int = 2
    write_required: int = 1
    per_operation: Mapping[str, int] = field(default_factory=dict)
    request_ttl: timedelta = timedelta(days=1)
    execution_window: timedelta = timedelta(minutes=15)
    required_assurance: Assurance = Assurance.SLACK_ACCOUNT
    enrolled: EnrolledApprovers | None = None
    # Seals each decision (bot.approvals.seal); None when no OFFBOARD_SECRET_KEY is set.
    seal: DecisionSeal | None = None

    def required_approvals(self, operation: str, *, destructive: bool) -> int:
        """Approvals a request for ``operation`` needs; never 0.

        Every request changes the cloud (a read is refused before it becomes one), so a
        request that is not destructive is a write and needs ``write_required``.
        """
        if not destructive:
            return max(self.write_required, 1)
        return self.per_operation.get(operation, self.default_required)

    def snapshot(self) -> Policy:
        """The pure policy as of now (approvers resolved)."""
        return Policy(
            approvers=self.directory.approvers(),
            execution_window=self.execution_window,
            required_assurance=self.required_assurance,
        )

    def check_satisfiable(self) -> None:
        """Refuse a policy that can never be met; call it at startup.

        A requester who is an approver does not count for their own request, so every
        required count (destructive, per operation and write) must be met by the
        approvers minus one.
        """
        configured = {
            "OFFBOARD_REQUIRED_APPROVALS": self.default_required,
            "OFFBOARD_REQUIRED_WRITE_APPROVALS": self.write_required,
        }
        counts = {**configured, **self.per_operation}
        for name, value in counts.items():
            if value < 1:
                raise PolicyError(
                    f"{name} would need {value} approvals; at least 1 is required (a call "
                    "that changes the cloud is always approved by someone other than the "
                    "requester)."
                )
        approvers = self.directory.approvers()
        highest = max(counts.values())
        eligible = len(approvers) - 1
        if eligible < highest:
            named = ", ".join(sorted(approvers)) or "nobody"
            lower = " or ".join(n for n, v in configured.items() if v > eligible)
            raise PolicyError(
                f"Offboard needs {highest} distinct approvals, but only {len(approvers)} "
                f"people may approve ({named}); without the requester at most "
                f"{max(eligible, 0)} can approve. Add people to OFFBOARD_APPROVERS or "
                f"OFFBOARD_APPROVER_USERGROUP, or lower {lower or 'the per-operation counts'}."
            )
        self._check_step_up(approvers, highest)

    def _check_step_up(self, approvers: frozenset[str], highest: int) -> None:
        """With step-up on, only enrolled approvers can approve: enough of them must be."""
        if self.required_assurance < Assurance.SECOND_FACTOR:
            return
        enrolled = approvers & (self.enrolled() if self.enrolled else frozenset())
        if len(enrolled) - 1 < highest:
            named = ", ".join(sorted(enrolled)) or "nobody"
            raise PolicyError(
                f"OFFBOARD_STEP_UP is totp and Offboard needs {highest} distinct approvals, "
                f"but only {len(enrolled)} approvers are enrolled ({named}); without the "
                f"requester at most {max(len(enrolled) - 1, 0)} can approve. Enrol more on "
                "the bot's host with `offboard-bot totp enrol USER_ID`."
            )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        clock: Callable[[], datetime],
        resolver: GroupResolver | None = None,
        per_operation: Mapping[str, int] | None = None,
        enrolled: EnrolledApprovers | None = None,
    ) -> ApprovalRules:
        """Build the rules from the environment (docs/INTERFACE.md, "Environment").

        With ``OFFBOARD_STEP_UP=totp`` approvals count only with a second factor, and
        ``enrolled`` tells the start-up check who has one (none known: nobody).
        """
        from bot.approvals.seal import DecisionSeal  # sealing imports this module's errors

        directory = ApproverDirectory(
            settings.approvers,
            clock=clock,
            usergroup=settings.approver_usergroup,
            resolver=resolver,
        )
        return cls(
            directory=directory,
            default_required=settings.required_approvals,
            write_required=settings.required_write_approvals,
            per_operation=dict(per_operation or {}),
            request_ttl=timedelta(seconds=settings.request_ttl_seconds),
            execution_window=timedelta(seconds=settings.execution_window_seconds),
            required_assurance=(
                Assurance.SECOND_FACTOR if settings.step_up == "totp" else Assurance.SLACK_ACCOUNT
            ),
            enrolled=enrolled,
            seal=DecisionSeal.from_key_text(
                settings.secret_key.get_secret_value() if settings.secret_key else None
            ),
        )
