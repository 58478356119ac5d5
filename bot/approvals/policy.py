"""Who may approve, how many approvals an operation needs, and the startup check.

Approvers are ``OFFBOARD_APPROVERS`` plus the members of ``OFFBOARD_APPROVER_USERGROUP``.
The group is read through a resolver the Slack layer supplies (``usergroups.users.list``),
cached for a short time so a click does not cost a Slack call; a failed look-up falls back
to the static list only (fail closed: nobody gains the right to approve because Slack was
unreachable).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from bot.approvals.rules import Policy
from bot.settings import Settings
from commands.errors import OffboardError
from storage.states import Assurance

log = structlog.get_logger(__name__)

GroupResolver = Callable[[str], Iterable[str]]
"""Slack user group id -> the user ids in it (``usergroups.users.list``)."""

EnrolledApprovers = Callable[[], frozenset[str]]
"""Who can give a step-up code now (enrolled, with a secret the configured key opens)."""


class PolicyError(OffboardError):
    """The configured policy cannot work; the message says what to change."""


class ApproverDirectory:
    """The set of people who may approve now: static ids plus a cached user group."""

    def __init__(
        self,
        static: Iterable[str],
        *,
        clock: Callable[[], datetime],
        usergroup: str | None = None,
        resolver: GroupResolver | None = None,
        ttl: timedelta = timedelta(minutes=5),
    ) -> None:
        if usergroup and resolver is None:
            raise PolicyError(
                f"OFFBOARD_APPROVER_USERGROUP is {usergroup} but nothing can list its members."
            )
        self._static = frozenset(static)
        self._usergroup = usergroup
        self._resolver = resolver
        self._clock = clock
        self._ttl = ttl
        self._lock = threading.Lock()
        self._members: frozenset[str] = frozenset()
        self._fetched_at: datetime | None = None

    def approvers(self) -> frozenset[str]:
        """Everyone who may approve, as of at most ``ttl`` ago."""
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
                "approver_group_unavailable", usergroup=usergroup, error=type(error).__name__
            )
            return frozenset()


@dataclass(frozen=True)
class ApprovalRules:
    """The policy as configured; :meth:`snapshot` gives the pure rules their view of it."""

    directory: ApproverDirectory
    default_required: int = 2
    per_operation: Mapping[str, int] = field(default_factory=dict)
    request_ttl: timedelta = timedelta(days=1)
    execution_window: timedelta = timedelta(minutes=15)
    required_assurance: Assurance = Assurance.SLACK_ACCOUNT
    enrolled: EnrolledApprovers | None = None

    def required_approvals(self, operation: str, *, destructive: bool) -> int:
        """Approvals a request for ``operation`` needs: none when it only reads."""
        if not destructive:
            return 0
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
        required count must be met by the approvers minus one.
        """
        for name, value in self.per_operation.items():
            if value < 1:
                raise PolicyError(
                    f"{name} is destructive and would need {value} approvals; at least 1 is "
                    "required (the two-person rule cannot be switched off per operation)."
                )
        approvers = self.directory.approvers()
        highest = max([self.default_required, *self.per_operation.values()])
        eligible = len(approvers) - 1
        if eligible < highest:
            named = ", ".join(sorted(approvers)) or "nobody"
            raise PolicyError(
                f"Offboard needs {highest} distinct approvals, but only {len(approvers)} "
                f"people may approve ({named}); without the requester at most "
                f"{max(eligible, 0)} can approve. Add people to OFFBOARD_APPROVERS or "
                "OFFBOARD_APPROVER_USERGROUP, or lower OFFBOARD_REQUIRED_APPROVALS."
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
        """Build the rules from the environment's names (DESIGN.md).

        With ``OFFBOARD_STEP_UP=totp`` approvals count only with a second factor, and
        ``enrolled`` tells the start-up check who has one (none known: nobody).
        """
        directory = ApproverDirectory(
            settings.approvers,
            clock=clock,
            usergroup=settings.approver_usergroup,
            resolver=resolver,
        )
        return cls(
            directory=directory,
            default_required=settings.required_approvals,
            per_operation=dict(per_operation or {}),
            request_ttl=timedelta(seconds=settings.request_ttl_seconds),
            execution_window=timedelta(seconds=settings.execution_window_seconds),
            required_assurance=(
                Assurance.SECOND_FACTOR if settings.step_up == "totp" else Assurance.SLACK_ACCOUNT
            ),
            enrolled=enrolled,
        )
