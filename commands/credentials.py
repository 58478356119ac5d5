"""Local cloud credentials: who we sign as.

``Credentials`` holds an AccessKey pair and, for STS, a security token; its ``repr`` and
``str`` show the AccessKey ID only. A ``CredentialsProvider`` hands out current
credentials on each call (``get()``), which leaves room for providers that refresh
(RAM role via STS AssumeRole, ECS instance RAM role) without changing callers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from commands.errors import CredentialsError

__all__ = [
    "ACCESS_KEY_ID_VAR",
    "ACCESS_KEY_SECRET_VAR",
    "SECURITY_TOKEN_VAR",
    "Credentials",
    "CredentialsProvider",
    "EnvironmentCredentialsProvider",
    "StaticCredentialsProvider",
]

# The official variable names (Alibaba Cloud SDK "configure the AccessKey environment
# variables"); DESIGN.md fixes the same names.
ACCESS_KEY_ID_VAR = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ACCESS_KEY_SECRET_VAR = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"  # noqa: S105 - a variable name
SECURITY_TOKEN_VAR = "ALIBABA_CLOUD_SECURITY_TOKEN"  # noqa: S105 - a variable name


@dataclass(frozen=True)
class Credentials:
    """An AccessKey pair and an optional STS security token.

    The secret and the token never appear in ``repr``/``str`` (and so not in logs or
    tracebacks that print the object).
    """

    access_key_id: str
    access_key_secret: str
    security_token: str | None = None

    def __post_init__(self) -> None:
        if not self.access_key_id or not self.access_key_secret:
            raise CredentialsError("an AccessKey ID and an AccessKey secret are both required")
        if self.security_token == "":
            object.__setattr__(self, "security_token", None)

    def __repr__(self) -> str:
        token = ", security_token='***'" if self.security_token else ""
        return f"Credentials(access_key_id={self.access_key_id!r}, access_key_secret='***'{token})"

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


class EnvironmentCredentialsProvider:
    """Reads ``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``_SECRET`` / ``_SECURITY_TOKEN``.

    The mapping is read on every ``get()`` (so a rotated token is picked up) and defaults
    to ``os.environ``; tests pass their own dict. A missing or blank ID or secret raises
    ``CredentialsError`` naming the variable, never a value.
    """

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env: Mapping[str, str] = os.environ if env is None else env

    def get(self) -> Credentials:
        missing = [
            name
            for name in (ACCESS_KEY_ID_VAR, ACCESS_KEY_SECRET_VAR)
            if not self._env.get(name, "").strip()
        ]
        if missing:
            raise CredentialsError(
                f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set"
            )
        token = self._env.get(SECURITY_TOKEN_VAR, "").strip() or None
        return Credentials(
            self._env[ACCESS_KEY_ID_VAR].strip(), self._env[ACCESS_KEY_SECRET_VAR].strip(), token
        )

    def __repr__(self) -> str:
        return "EnvironmentCredentialsProvider()"
