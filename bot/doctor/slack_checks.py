"""Slack's side of a deployment: token, scopes, approval channel, approvers, policy.

- ``auth.test`` proves the token; Slack sends the scopes it was granted in the
  ``x-oauth-scopes`` response header, compared with the manifest's bot scopes
  (``bot.manifest.BOT_SCOPES``): none missing, none beyond.
- ``conversations.info`` says whether the bot is in ``OFFBOARD_APPROVAL_CHANNEL``
  (``is_member``); a private channel it is not in answers ``channel_not_found``.
- Each approver (``OFFBOARD_APPROVERS`` and the members of
  ``OFFBOARD_APPROVER_USERGROUP`` from ``usergroups.users.list``) through
  ``users.info``: a person, not deactivated (``deleted``), not a bot (``is_bot``).
- ``ApprovalRules.check_satisfiable``: the policy the bot would refuse to start with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.approvals.enrolment import enrolled_approvers
from bot.approvals.policy import ApprovalRules, EnrolledApprovers, PolicyError
from bot.deps import usergroup_resolver
from bot.doctor.database import missing_sqlite_file
from bot.doctor.report import Check
from bot.manifest import BOT_SCOPES
from bot.settings import Settings
from storage.db import make_engine
from storage.repository import Repository

TOKEN, SCOPES, CHANNEL = "slack token", "slack scopes", "approval channel"
APPROVERS, POLICY = "approvers", "approval policy"


def run(slack: WebClient, settings: Settings, clock: Callable[[], datetime]) -> Iterator[Check]:
    """The Slack checks, in order; later ones still run when the token fails."""
    if settings.slack_bot_token is None:
        yield Check(TOKEN, False, "SLACK_BOT_TOKEN is not set")
        yield Check(SCOPES, False, "no token to check")
    else:
        yield from token_and_scopes(slack)
    yield channel(slack, settings.approval_channel)
    yield approvers(slack, settings)
    yield policy(slack, settings, clock)


def token_and_scopes(slack: WebClient) -> Iterator[Check]:
    try:
        answer = slack.auth_test()
    except (SlackClientError, OSError) as error:
        yield Check(TOKEN, False, _slack_error(error))
        yield Check(SCOPES, False, "no valid token to check")
        return
    yield Check(
        TOKEN,
        True,
        f"bot {answer.get('user_id')} ({answer.get('user')}) in team {answer.get('team_id')}",
    )
    yield scopes(answer.headers)


def scopes(headers: dict[str, Any]) -> Check:
    """The granted scopes (``x-oauth-scopes``) against the manifest's bot scopes."""
    lowered = {str(name).lower(): value for name, value in headers.items()}
    raw = lowered.get("x-oauth-scopes")
    if isinstance(raw, list):
        raw = ",".join(raw)
    if raw is None:
        return Check(SCOPES, False, "Slack sent no x-oauth-scopes header with auth.test")
    granted = {scope.strip() for scope in str(raw).split(",") if scope.strip()}
    missing, extra = set(BOT_SCOPES) - granted, granted - set(BOT_SCOPES)
    if not missing and not extra:
        return Check(SCOPES, True, f"the {len(granted)} bot scopes of app_manifest.yml")
    problems = []
    if missing:
        problems.append(f"missing {', '.join(sorted(missing))}")
    if extra:
        problems.append(f"granted beyond the manifest: {', '.join(sorted(extra))}")
    advice = "reinstall the app from app_manifest.yml"
    return Check(SCOPES, False, "; ".join(problems) + f" ({advice})")


def channel(slack: WebClient, channel_id: str | None) -> Check:
    if not channel_id:
        return Check(CHANNEL, False, "OFFBOARD_APPROVAL_CHANNEL is not set")
    try:
        info = slack.conversations_info(channel=channel_id)["channel"]
    except (SlackClientError, OSError) as error:
        detail = _slack_error(error)
        if detail.endswith("channel_not_found"):
            detail += " (no such channel, or a private one the bot is not in)"
        return Check(CHANNEL, False, f"{channel_id}: {detail}")
    name = f"#{info.get('name')} ({channel_id})"
    if not info.get("is_member"):
        return Check(CHANNEL, False, f"the bot is not in {name}: invite it (/invite @offboard)")
    return Check(CHANNEL, True, f"the bot is in {name}")


def approvers(slack: WebClient, settings: Settings) -> Check:
    people = set(settings.approvers)
    problems: list[str] = []
    group = settings.approver_usergroup
    if group:
        try:
            members = [str(u) for u in slack.usergroups_users_list(usergroup=group)["users"]]
        except (SlackClientError, OSError) as error:
            problems.append(f"user group {group}: {_slack_error(error)}")
        else:
            people.update(members)
            if not members:
                problems.append(f"user group {group} has no members")
    if not people and not problems:
        return Check(
            APPROVERS, False, "none: set OFFBOARD_APPROVERS or OFFBOARD_APPROVER_USERGROUP"
        )
    problems += [problem for user in sorted(people) if (problem := _person(slack, user))]
    if problems:
        return Check(APPROVERS, False, "; ".join(problems))
    source = f" (with user group {group})" if group else ""
    return Check(APPROVERS, True, f"{len(people)} active people{source}")


def policy(slack: WebClient, settings: Settings, clock: Callable[[], datetime]) -> Check:
    """The start-up check the bot would refuse with, and who is enrolled for step-up."""
    enrolled = _enrolled(settings)
    try:
        rules = ApprovalRules.from_settings(
            settings, clock=clock, resolver=usergroup_resolver(slack), enrolled=enrolled
        )
        rules.check_satisfiable()
    except PolicyError as error:
        return Check(POLICY, False, str(error))
    except SQLAlchemyError as error:  # who is enrolled lives in the database
        return Check(POLICY, False, f"cannot read who is enrolled ({type(error).__name__})")
    eligible = len(rules.directory.approvers())
    needed = rules.default_required
    detail = f"{needed} approvals needed, {eligible} people may approve"
    if enrolled is not None:
        detail += "; enrolled for step-up: " + (", ".join(sorted(enrolled())) or "nobody")
    else:
        detail += "; approvals are Slack-only (OFFBOARD_STEP_UP=off)"
    if rules.seal is None:
        detail += "; decisions are not sealed (set OFFBOARD_SECRET_KEY)"
    return Check(POLICY, True, detail)


def _enrolled(settings: Settings) -> EnrolledApprovers | None:
    """Who has a step-up enrolment the configured key opens; None with step-up off."""
    if settings.step_up != "totp":
        return None
    if missing_sqlite_file(settings.database_url):
        return frozenset  # no database yet: nobody is enrolled (the database check says why)
    repo = Repository(make_engine(settings.database_url))
    key = settings.secret_key.get_secret_value() if settings.secret_key else None
    return enrolled_approvers(repo, key)


def _person(slack: WebClient, user_id: str) -> str | None:
    """Why ``user_id`` cannot approve, or None when they can."""
    try:
        user = slack.users_info(user=user_id)["user"]
    except (SlackClientError, OSError) as error:
        return f"{user_id}: {_slack_error(error)}"
    if user.get("deleted"):
        return f"{user_id} is deactivated"
    if user.get("is_bot"):
        return f"{user_id} is a bot"
    return None


def _slack_error(error: Exception) -> str:
    """Slack's error code (``invalid_auth``, ``missing_scope``...), never the request."""
    if isinstance(error, SlackApiError):
        needed = error.response.get("needed")
        code = f"Slack answered {error.response.get('error') or 'an error'}"
        return code + (f" (needs {needed})" if needed else "")
    return f"Slack could not be reached ({type(error).__name__})"
