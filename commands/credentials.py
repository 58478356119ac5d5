"""Cloud credentials: who we sign as.

``Credentials`` holds an AccessKey pair and, for STS, a security token; its ``repr`` and
``str`` show the AccessKey ID only. A ``CredentialsProvider`` hands out current
credentials on each call (``get()``): the signer asks once per request, so a provider
that refreshes (a RAM role through STS, the ECS instance role, a credentials URI) is
followed at once.

Two providers: ``StaticCredentialsProvider`` (tests, the demo, the sandbox) and
``OfficialCredentialsProvider`` in ``commands.credential_chain``, which wraps the
official ``alibabacloud-credentials`` default chain (what the bot uses).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from commands.errors import CredentialsError

__all__ = ["Credentials", "CredentialsProvider", "StaticCredentialsProvider"]


@dataclass(frozen=True)
class Credentials:
    """An AccessKey pair, an optional STS security token, and where they came from.

    The secret and the token never appear in ``repr``/``str`` (and so not in logs or
    tracebacks that print the object). ``source`` names the provider that found them
    (e.g. ``default/env``, ``ram_role_arn/default/cli_profile/static_ak``): no value.
    """

    access_key_id: str
    access_key_secret: str
    security_token: str | None = None
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.access_key_id or not self.access_key_secret:
            raise CredentialsError("an AccessKey ID and an AccessKey secret are both required")
        if self.security_token == "":
            object.__setattr__(self, "security_token", None)

    def __repr__(self) -> str:
        token = ", security_token='***'" if self.security_token else ""
        source = f", source={self.source!r}" if self.source else ""
        return (
            f"Credentials(access_key_id={self.access_key_id!r}, access_key_secret='***'"
            f"{token}{source})"
        )

    __str__ = __repr__


@runtime_checkable
class CredentialsProvider(Protocol):
    """Anything that can hand out the credentials to sign the next request with."""

    def get(self) -> Credentials:
        """Current credentials; raises ``CredentialsError`` when none are usable."""
        ...


class StaticCredentialsProvider:
    """Always the same credentials (tests, the demo, the sandbox)."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    @classmethod
    def of(
        cls, access_key_id: str, access_key_secret: str, security_token: str | None = None
    ) -> StaticCredentialsProvider:
        """Shorthand for ``StaticCredentialsProvider(Credentials(...))``."""
        return cls(Credentials(access_key_id, access_key_secret, security_token))

    def get(self) -> Credentials:
        return self._credentials

    def __repr__(self) -> str:
        return f"StaticCredentialsProvider({self._credentials!r})"
