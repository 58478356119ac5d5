"""The whole system on loopback: sandbox cloud, Slack stand-in, the bot over HTTP.

Used by ``offboard-bot demo``, the Slack scenario tests and the benchmark. Nothing leaves
127.0.0.1 and no credential is real: the cloud accepts the sandbox's demo AccessKey, the
stand-in its placeholder bot token, and the signing secret is made up per run. Step-up is
on, as in production: the approvers are enrolled with the public demo secrets of
:mod:`bot.devstack.authenticator` (DEMO ONLY), whose codes the demo and tests type in.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.approvals.enrolment import Enrolments
from bot.approvals.sealing import SecretBox
from bot.deps import Deps, build_deps
from bot.devstack.authenticator import DEMO_SECRET_KEY, Authenticator, OffsetClock, SteppingClock
from bot.devstack.payloads import Person, SlackSigner
from bot.devstack.standin import STANDIN_TEAM_ID, Message, SlackCall, SlackStandIn
from bot.devstack.standin_methods import Channel, Member
from bot.execution.worker import FollowPolicy
from bot.settings import Settings
from bot.slack.runtime import Runtime
from commands.catalog import DEFAULT_CATALOG, Catalog
from commands.client import CloudClient
from commands.credentials import StaticCredentialsProvider
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Sandbox, demo_world
from commands.sandbox.routes import Api
from storage.db import make_engine
from storage.repository import Repository

APPROVAL_CHANNEL = "C0APPROVALS"
REQUESTER = Person("U0ALICE", "alice")  # asks; also an approver, so self-approval is tested
APPROVERS = (Person("U0BOB", "bob"), Person("U0CAROL", "carol"))
OUTSIDER = Person("U0MALLORY", "mallory")  # in the workspace, not an approver
FOREIGNER = Person("U0BOB", "bob-elsewhere", team_id="T0OTHERORG")  # Slack Connect look-alike


def workspace_people() -> dict[str, Member]:
    """The stack's workspace as ``users.info`` knows it: everyone above is a full member."""
    return {p.user_id: Member(p.name) for p in (REQUESTER, *APPROVERS, OUTSIDER)}


# Follow DeleteAccount briskly: the sandbox completes a deletion in about a second.
BRISK_FOLLOW = FollowPolicy(first_delay=0.1, max_delay=0.3, max_polls=100)


@dataclass(frozen=True)
class Setup:
    """What Slack was asked and told while the stack was set up (the start-up policy
    check's look-ups, the enrolment notices), before the stand-in's record was cleared."""

    calls: list[SlackCall]
    messages: list[Message]


@dataclass
class LocalStack:
    """Handles on every part of the running system."""

    settings: Settings
    deps: Deps
    runtime: Runtime
    sandbox: Sandbox
    standin: SlackStandIn
    signer: SlackSigner
    url: str
    authenticator: Authenticator
    setup: Setup

    @property
    def events_url(self) -> str:
        return f"{self.url}/slack/events"


def stack_settings(
    workdir: Path, standin: SlackStandIn, sandbox: Sandbox, **overrides: Any
) -> Settings:
    """Settings for the local stack; every variable given, so the environment cannot leak in."""
    values: dict[str, Any] = {
        "slack_bot_token": standin.token,
        "slack_signing_secret": secrets.token_hex(16),
        "slack_app_token": None,
        "slack_api_url": standin.api_url,
        "alibaba_endpoint": sandbox.base_url,
        "database_url": f"sqlite:///{workdir / 'offboard.db'}",
        "approval_channel": APPROVAL_CHANNEL,
        "approvers": frozenset([REQUESTER.user_id, *(p.user_id for p in APPROVERS)]),
        "approver_usergroup": None,
        "required_approvals": 2,
        "required_write_approvals": 1,
        "requesters": frozenset(),
        "requester_usergroup": None,
        "request_ttl_seconds": 86400,
        "execution_window_seconds": 900,
        "step_up": "totp",
        "secret_key": DEMO_SECRET_KEY,
    }
    values.update(overrides)
    return Settings.from_fields(**values)


@contextmanager
def local_stack(
    workdir: Path,
    *,
    clock: SteppingClock | None = None,
    follow: FollowPolicy = BRISK_FOLLOW,
    deletion_seconds: float = 1.0,
    worker_poll: float = 1.0,
    usergroups: dict[str, list[str]] | None = None,
    enrolled: Iterable[str] | None = None,
    catalog: Catalog = DEFAULT_CATALOG,
    sandbox_apis: Sequence[Api] = (),
    **overrides: Any,
) -> Iterator[LocalStack]:
    """Start everything (migrated SQLite in ``workdir``), yield it, stop everything.

    ``usergroups`` are the Slack user groups the stand-in knows (id -> member ids);
    ``enrolled`` who has a step-up enrolment (default: every approver); ``overrides``
    replace any of :func:`stack_settings`' values. The clock defaults to the real time.
    ``catalog`` is the bot's operations and ``sandbox_apis`` what the sandbox answers
    beyond its own (a test's fake operation brings both).
    """
    clock = clock or OffsetClock()
    sandbox = Sandbox(demo_world(deletion_seconds=deletion_seconds), apis=sandbox_apis)
    standin = SlackStandIn(
        team_id=STANDIN_TEAM_ID,
        usergroups=usergroups,
        channels={APPROVAL_CHANNEL: Channel("offboard-approvals")},  # the bot is in it
        people=workspace_people(),
    )
    sandbox.start()
    standin.start()
    runtime: Runtime | None = None
    signer: SlackSigner | None = None
    try:
        settings = stack_settings(workdir, standin, sandbox, **overrides)
        # Imported here: importing alembic logs its plugin set-up, which belongs after
        # the caller has configured logging.
        from storage.migrate import upgrade

        upgrade(settings.database_url)
        authenticator = _enrol(settings, Authenticator(clock), usergroups, enrolled)
        cloud = CloudClient(
            StaticCredentialsProvider.of(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET),
            endpoint_override=sandbox.base_url,
            timeout=5.0,
        )
        deps = build_deps(
            settings,
            clock=clock,
            cloud=cloud,
            repo=Repository(make_engine(settings.database_url)),
            catalog=catalog,
        )
        deps.policy.check_satisfiable()
        runtime = Runtime(deps, follow=follow, worker_poll=worker_poll, announcer_idle=0.5)
        runtime.start_background()
        url = runtime.start_http()
        setup = _settle_setup(deps, standin)
        assert settings.slack_signing_secret is not None
        signer = SlackSigner(
            settings.slack_signing_secret.get_secret_value(),
            f"{url}/slack/events",
            response_url=standin.response_url,
        )
        yield LocalStack(
            settings, deps, runtime, sandbox, standin, signer, url, authenticator, setup
        )
    finally:
        if signer is not None:
            signer.close()
        if runtime is not None:
            runtime.stop()
            runtime.deps.repo.engine.dispose()
        standin.stop()
        sandbox.stop()


def _enrol(
    settings: Settings,
    authenticator: Authenticator,
    usergroups: dict[str, list[str]] | None,
    enrolled: Iterable[str] | None,
) -> Authenticator:
    """With step-up on, enrol ``enrolled`` (default: every approver, listed or in a group)
    with their public demo secrets, before the bot starts."""
    if settings.step_up != "totp" or settings.secret_key is None:
        return authenticator
    members = [user for group in (usergroups or {}).values() for user in group]
    users = [*settings.approvers, *members] if enrolled is None else enrolled
    repo = Repository(make_engine(settings.database_url))
    try:
        box = SecretBox.from_base64(settings.secret_key.get_secret_value())
        # Another replica on the same database may have enrolled them already; the demo
        # secrets are the same, so their codes work here too.
        done = repo.enrolled_users(box.key_id)
        fresh = [user for user in users if user not in done]
        authenticator.enrol(Enrolments(repo, box, authenticator.clock), fresh)
    finally:
        repo.engine.dispose()
    return authenticator


def _settle_setup(deps: Deps, standin: SlackStandIn, timeout: float = 30.0) -> Setup:
    """Deliver the set-up's notices (enrolments), keep them, and start Slack's record clean.

    Every scenario then begins with a quiet approval channel, whatever the set-up said.
    """
    deadline = time.monotonic() + timeout
    while deps.repo.undelivered_announcements():
        if time.monotonic() > deadline:
            raise TimeoutError("the set-up's announcements were not delivered")
        deps.announcer_bell.ring()
        time.sleep(0.02)
    setup = Setup(standin.calls(), standin.messages())
    standin.reset()
    return setup
