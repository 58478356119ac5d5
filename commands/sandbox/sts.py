"""Sts (2015-04-01) as the sandbox answers it: AssumeRole and GetCallerIdentity.

Both need to know who signed, so their handlers also take the caller's AccessKey ID.
AssumeRole issues real temporary credentials: the sandbox then accepts them (with their
security token, until ``Expiration``) like any other AccessKey.

AssumeRole, as the API page documents it: ``RoleArn`` and ``RoleSessionName`` required;
``DurationSeconds`` "Minimum value: 900. Maximum value: the value of the
MaxSessionDuration parameter. Default value: 3600"; the answer carries ``Credentials``
(``AccessKeyId``, ``AccessKeySecret``, ``SecurityToken``, ``Expiration`` in UTC as
``2015-04-09T11:52:19Z``) and ``AssumedRoleUser`` (``Arn`` = role ARN + "/" + session
name, ``AssumedRoleId`` = role id + ":" + session name). An Alibaba Cloud account's own
(root) AccessKey may not assume roles.

GetCallerIdentity: ``IdentityType`` (Account, RAMUser or AssumedRoleUser), ``AccountId``,
``PrincipalId``, ``Arn``, and ``UserId`` or ``RoleId``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from commands.sandbox.errors import SandboxError, required
from commands.sandbox.world import Principal, StsSession, World

StsHandler = Callable[[World, Mapping[str, str], datetime, str], dict[str, Any]]

_ROLE_ARN = re.compile(r"^acs:ram::(\d+):role/([A-Za-z0-9.@_-]{1,64})$")
# "The value can contain letters, digits, periods (.), at signs (@), hyphens (-) and
# underscores (_)"; 2 to 64 characters.
_SESSION_NAME = re.compile(r"^[A-Za-z0-9.@_-]{2,64}$")
MIN_DURATION = 900

BAD_ROLE_ARN = (400, "InvalidParameter.RoleArn", "The parameter RoleArn is wrongly formed.")
ROLE_NOT_FOUND = (404, "EntityNotExist.Role", "The specified Role not exists.")
BAD_SESSION_NAME = (
    400,
    "InvalidParameter.RoleSessionName",
    "The parameter RoleSessionName is wrongly formed.",
)
BAD_DURATION = (
    400,
    "InvalidParameter.DurationSeconds",
    "The Min/Max value of DurationSeconds is 15min/1hr.",
)
ROOT_MAY_NOT_ASSUME = (403, "NoPermission", "Roles may not be assumed by root accounts.")
NOT_TRUSTED = (
    403,
    "NoPermission",
    "You are not authorized to do this action. You should be authorized by RAM.",
)


def principal_of(world: World, key_id: str) -> Principal:
    """The owner of a long-term AccessKey (a RAM user of the management account unless
    the world says otherwise)."""
    return world.principals.get(key_id) or Principal(str(world.management_account_id))


def assume_role(
    world: World, params: Mapping[str, str], now: datetime, caller: str
) -> dict[str, Any]:
    match = _ROLE_ARN.match(required(params, "RoleArn"))
    if match is None:
        raise SandboxError.of(BAD_ROLE_ARN)
    session_name = required(params, "RoleSessionName")
    if not _SESSION_NAME.match(session_name):
        raise SandboxError.of(BAD_SESSION_NAME)
    role = world.roles.get(match.group(0))
    if role is None:
        raise SandboxError.of(ROLE_NOT_FOUND)
    caller_account = _account_of(world, caller)
    if caller in world.principals and world.principals[caller].kind == "Account":
        raise SandboxError.of(ROOT_MAY_NOT_ASSUME)
    if caller_account not in (role.trusted_accounts or {match.group(1)}):
        raise SandboxError.of(NOT_TRUSTED)
    duration = _duration(params.get("DurationSeconds"), role.max_session_seconds)
    session = StsSession(
        access_key_id="STS." + secrets.token_urlsafe(18).replace("-", "x").replace("_", "y"),
        secret=secrets.token_urlsafe(30),
        token=secrets.token_urlsafe(96),
        expires=now.replace(microsecond=0) + timedelta(seconds=duration),
        role=role,
        session_name=session_name,
    )
    world.sessions[session.access_key_id] = session
    return {
        "Credentials": {
            "AccessKeyId": session.access_key_id,
            "AccessKeySecret": session.secret,
            "SecurityToken": session.token,
            "Expiration": session.expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "AssumedRoleUser": {
            "Arn": f"{role.arn}/{session_name}",
            "AssumedRoleId": f"{role.role_id}:{session_name}",
        },
    }


def get_caller_identity(
    world: World, params: Mapping[str, str], now: datetime, caller: str
) -> dict[str, Any]:
    session = world.sessions.get(caller)
    if session is not None:
        account = _ROLE_ARN.match(session.role.arn)
        return {
            "IdentityType": "AssumedRoleUser",
            "AccountId": account.group(1) if account else "",
            "PrincipalId": f"{session.role.role_id}:{session.session_name}",
            "RoleId": session.role.role_id,
            "Arn": f"{session.role.arn}/{session.session_name}",
        }
    principal = principal_of(world, caller)
    if principal.kind == "Account":
        return {
            "IdentityType": "Account",
            "AccountId": principal.account_id,
            "PrincipalId": principal.account_id,
            "UserId": principal.account_id,
            "Arn": f"acs:ram::{principal.account_id}:root",
        }
    return {
        "IdentityType": "RAMUser",
        "AccountId": principal.account_id,
        "PrincipalId": principal.user_id,
        "UserId": principal.user_id,
        "Arn": f"acs:ram::{principal.account_id}:user/{principal.name}",
    }


def session_credentials(world: World, key_id: str) -> tuple[str, str, datetime] | None:
    """(secret, security token, expiry) of an issued STS AccessKey, or None."""
    session = world.sessions.get(key_id)
    return None if session is None else (session.secret, session.token, session.expires)


def _account_of(world: World, key_id: str) -> str:
    session = world.sessions.get(key_id)
    if session is not None:
        match = _ROLE_ARN.match(session.role.arn)
        return match.group(1) if match else ""
    return principal_of(world, key_id).account_id


def _duration(raw: str | None, maximum: int) -> int:
    if raw is None or raw == "":
        return min(3600, maximum)
    try:
        value = int(raw)
    except ValueError:
        raise SandboxError.of(BAD_DURATION) from None
    if not MIN_DURATION <= value <= maximum:
        raise SandboxError.of(BAD_DURATION)
    return value


HANDLERS: dict[str, StsHandler] = {
    "AssumeRole": assume_role,
    "GetCallerIdentity": get_caller_identity,
}
