"""Which product answers which action in the sandbox, under which version and host id.

Product handlers take ``(world, params, now)``; STS's also take the caller's AccessKey
ID (AssumeRole and GetCallerIdentity are about who signed), so every handler is called
as ``(world, params, now, caller)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from commands.sandbox import (
    bastion_users,
    bastionhost,
    bss,
    directory,
    members,
    resourcemanager,
    sts,
)
from commands.sandbox.world import World

Handler = Callable[[World, Mapping[str, str], datetime], dict[str, Any]]


@dataclass(frozen=True)
class Api:
    product: str
    version: str
    host_id: str
    handlers: Mapping[str, sts.StsHandler]  # (world, params, now, caller's AccessKey ID)


def _callerless(handlers: Mapping[str, Handler]) -> dict[str, sts.StsHandler]:
    """Product handlers do not care who signed; STS's do."""

    def adapt(handler: Handler) -> sts.StsHandler:
        return lambda world, params, now, _caller: handler(world, params, now)

    return {action: adapt(handler) for action, handler in handlers.items()}


APIS: tuple[Api, ...] = (
    Api(
        "ResourceManager",
        "2020-03-31",
        "resourcemanager.aliyuncs.com",
        _callerless({**resourcemanager.HANDLERS, **directory.HANDLERS, **members.HANDLERS}),
    ),
    Api("BssOpenApi", "2017-12-14", "business.aliyuncs.com", _callerless(bss.HANDLERS)),
    Api(
        "Bastionhost",
        "2019-12-09",
        "yundun-bastionhost.aliyuncs.com",
        _callerless({**bastionhost.HANDLERS, **bastion_users.HANDLERS}),
    ),
    Api("Sts", "2015-04-01", "sts.aliyuncs.com", sts.HANDLERS),
)
API_OF: dict[str, Api] = {action: api for api in APIS for action in api.handlers}


def with_apis(extra: Sequence[Api]) -> dict[str, Api]:
    """:data:`API_OF` and the actions of ``extra``; an action answered twice is refused."""
    found = dict(API_OF)
    for api in extra:
        for action in api.handlers:
            if action in found:
                raise ValueError(f"the sandbox already answers {action}")
            found[action] = api
    return found
