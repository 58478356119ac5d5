"""Who may file requests, and who may read them (``/offboard list`` and ``status``).

Filing: ``OFFBOARD_REQUESTERS`` plus ``OFFBOARD_REQUESTER_USERGROUP`` when either is set,
else every full member of the installing team; never a guest, a bot or a deactivated
account, listed or not. Reading: the approvers, and everyone who may file.

Whether someone is a full member comes from Slack (``users.info``: ``is_restricted`` /
``is_ultra_restricted`` mark guests, ``is_bot`` bots, ``deleted`` deactivated accounts)
through a resolver the Slack layer supplies, cached per person for a short time. A failed
look-up is never cached and never grants anything (fail closed). That the person belongs
to the installing team is checked from the signed payload before any of this.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import structlog

from bot.approvals.policy import ApproverDirectory, GroupResolver, UserDirectory
from bot.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Account:
    """What Slack says about one person, reduced to what decides access."""

    user_id: str
    deleted: bool
    bot: bool
    guest: bool  # a multi- or single-channel guest

    @property
    def full_member(self) -> bool:
        return not (self.deleted or self.bot or self.guest)


AccountResolver = Callable[[str], Account]
"""Slack user id -> :class:`Account` (``users.info``); raises when Slack cannot say."""


class Denial(StrEnum):
    """Why someone may not file (or read) requests; the Slack layer words it."""

    NOT_REQUESTER = "not_requester"  # not in OFFBOARD_REQUESTERS / the requester group
    GUEST = "guest"
    BOT = "bot"
    DEACTIVATED = "deactivated"
    UNCONFIRMED = "unconfirmed"  # Slack could not confirm the account just now


class Access:
    """The requester and reader checks. Each may call Slack: use them after the ack."""

    def __init__(
        self,
        *,
        approvers: ApproverDirectory,
        requesters: UserDirectory | None,
        accounts: AccountResolver,
        clock: Callable[[], datetime],
        ttl: timedelta = timedelta(minutes=5),
    ) -> None:
        self._approvers = approvers
        self._requesters = requesters
        self._accounts = accounts
        self._clock = clock
        self._ttl = ttl
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[datetime, Account]] = {}

    def may_request(self, user_id: str) -> Denial | None:
        """None when ``user_id`` may file a request now, else why not."""
        if self._requesters is not None and user_id not in self._requesters.members():
            return Denial.NOT_REQUESTER
        account = self.account(user_id)
        if account is None:
            return Denial.UNCONFIRMED
        if account.deleted:
            return Denial.DEACTIVATED
        if account.bot:
            return Denial.BOT
        if account.guest:
            return Denial.GUEST
        return None

    def may_read(self, user_id: str) -> Denial | None:
        """None when ``user_id`` may list and look up requests (approvers and requesters)."""
        if user_id in self._approvers.approvers():
            return None
        return self.may_request(user_id)

    def account(self, user_id: str) -> Account | None:
        """The person's account as of at most ``ttl`` ago; None when Slack cannot say."""
        now = self._clock()
        with self._lock:
            cached = self._cache.get(user_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        try:
            account = self._accounts(user_id)
        except Exception as error:  # any Slack failure: grant nothing, cache nothing
            log.warning("account_unconfirmed", user=user_id, error=type(error).__name__)
            return None
        with self._lock:
            self._cache[user_id] = (now, account)
        return account

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        approvers: ApproverDirectory,
        accounts: AccountResolver,
        clock: Callable[[], datetime],
        groups: GroupResolver | None = None,
    ) -> Access:
        """The checks from ``OFFBOARD_REQUESTERS`` / ``OFFBOARD_REQUESTER_USERGROUP``."""
        requesters = UserDirectory(
            settings.requesters,
            clock=clock,
            usergroup=settings.requester_usergroup,
            resolver=groups,
            setting="OFFBOARD_REQUESTER_USERGROUP",
        )
        return cls(
            approvers=approvers,
            requesters=requesters if requesters.configured else None,
            accounts=accounts,
            clock=clock,
        )
