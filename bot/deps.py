"""Everything the Slack app needs, built once and passed in: no module-level clients.

:class:`Deps` is the one object listeners, the announcer and the runtime receive.
:func:`build_deps` makes it from :class:`~bot.settings.Settings`; tests and the demo build
the same thing pointed at the sandbox cloud and the Slack stand-in, with their own clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.approvals.access import Access, Account
from bot.approvals.enrolment import enrolled_approvers
from bot.approvals.policy import ApprovalRules
from bot.cloud import make_cloud_client
from bot.metrics import Metrics, NoMetrics, Recorder
from bot.settings import Settings
from commands.catalog import DEFAULT_CATALOG, Catalog
from commands.client import CloudClient
from storage.db import make_engine
from storage.repository import Repository


def utcnow() -> datetime:
    return datetime.now(UTC)


class Doorbell:
    """Wakes a background loop at once instead of at its next poll.

    ``ring()`` from any thread (a listener after an approval); the loop calls
    ``wait(timeout)``, which returns early when rung and clears the bell.
    """

    def __init__(self) -> None:
        self.event = threading.Event()

    def ring(self) -> None:
        self.event.set()

    def wait(self, timeout: float) -> bool:
        rung = self.event.wait(timeout)
        self.event.clear()
        return rung


@dataclass(frozen=True)
class Deps:
    """The app's collaborators. ``policy`` resolves approvers at decision time; ``access``
    says who may file and read requests (it may call Slack: only after the ack)."""

    settings: Settings
    repo: Repository
    cloud: CloudClient
    slack: WebClient
    policy: ApprovalRules
    access: Access
    clock: Callable[[], datetime] = utcnow
    # The operations this bot knows; a test adds one with ``DEFAULT_CATALOG.with_specs``.
    catalog: Catalog = DEFAULT_CATALOG
    metrics: Recorder = field(default_factory=NoMetrics)
    worker_bell: Doorbell = field(default_factory=Doorbell)
    announcer_bell: Doorbell = field(default_factory=Doorbell)

    @property
    def approval_channel(self) -> str:
        channel = self.settings.approval_channel
        if not channel:
            raise ValueError("OFFBOARD_APPROVAL_CHANNEL is not set")
        return channel


def make_slack_client(settings: Settings) -> WebClient:
    """The Web API client: ``SLACK_API_URL`` and retries for 429s and 5xx.

    slack_sdk retries only connection errors by default; "429s are not retried unless
    you opt in" (slack_sdk/http_retry). RateLimitErrorRetryHandler waits ``Retry-After``
    as Slack asks. Every caller runs after the ack, so a wait never delays Slack's 3 s.
    """
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def usergroup_resolver(slack: WebClient) -> Callable[[str], Iterable[str]]:
    """``usergroups.users.list`` as the policy's group look-up (IDs only, per Slack)."""

    def members(usergroup: str) -> list[str]:
        response = slack.usergroups_users_list(usergroup=usergroup)
        return [str(user) for user in response.get("users") or []]

    return members


def account_resolver(slack: WebClient) -> Callable[[str], Account]:
    """``users.info`` as the access checks' account look-up.

    Slack's user object: ``is_restricted`` marks a guest, with ``is_ultra_restricted`` a
    single-channel guest; ``is_bot``; ``deleted`` for a deactivated account (which may
    lack the other flags). A missing ``deleted``, ``is_bot`` or ``is_restricted`` counts
    against the person (fail closed).
    """

    def account(user_id: str) -> Account:
        user = slack.users_info(user=user_id).get("user") or {}
        return Account(
            user_id=str(user.get("id") or ""),
            deleted=user.get("deleted") is not False,
            bot=user.get("is_bot") is not False,
            # A single-channel guest has both flags set; either one makes a guest.
            guest=user.get("is_restricted") is not False or bool(user.get("is_ultra_restricted")),
        )

    return account


def build_deps(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    cloud: CloudClient | None = None,
    slack: WebClient | None = None,
    repo: Repository | None = None,
    catalog: Catalog = DEFAULT_CATALOG,
    metrics: bool = True,
) -> Deps:
    """Deps from settings; pass any collaborator to replace the default one.

    With ``metrics`` (the default), cloud calls made through ``cloud`` are timed into
    :attr:`Deps.metrics`, which ``/metrics`` answers from."""
    slack = slack or make_slack_client(settings)
    if cloud is None:
        cloud = make_cloud_client(settings.alibaba_endpoint, bss_site=settings.bss_site)
    repo = repo or Repository(make_engine(settings.database_url))
    recorder: Recorder = Metrics(repo.stats, clock) if metrics else NoMetrics()
    cloud.observe(recorder.cloud_call)
    key = settings.secret_key.get_secret_value() if settings.secret_key else None
    groups = usergroup_resolver(slack)
    policy = ApprovalRules.from_settings(
        settings, clock=clock, resolver=groups, enrolled=enrolled_approvers(repo, key)
    )
    access = Access.from_settings(
        settings,
        approvers=policy.directory,
        accounts=account_resolver(slack),
        clock=clock,
        groups=groups,
    )
    return Deps(
        settings=settings,
        repo=repo,
        cloud=cloud,
        slack=slack,
        policy=policy,
        access=access,
        clock=clock,
        catalog=catalog,
        metrics=recorder,
    )
