"""The official credential chain (``alibabacloud-credentials``) as a ``CredentialsProvider``.

The package's default chain, in its own order: the environment
(``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``_SECRET`` / ``_SECURITY_TOKEN``); OIDC (RRSA, when
``ALIBABA_CLOUD_OIDC_TOKEN_FILE``, ``ALIBABA_CLOUD_OIDC_PROVIDER_ARN`` and
``ALIBABA_CLOUD_ROLE_ARN`` are set); the aliyun CLI's ``~/.aliyun/config.json``
(profile ``ALIBABA_CLOUD_PROFILE``, else its ``current``); the credentials file
(``ALIBABA_CLOUD_CREDENTIALS_FILE``, else ``~/.alibabacloud/credentials.ini``); the ECS
instance RAM role (unless ``ALIBABA_CLOUD_ECS_METADATA_DISABLED=true``);
``ALIBABA_CLOUD_CREDENTIALS_URI``. The package reads these variables once, when it is
first imported.

On top of it, ``ALIBABA_CLOUD_ROLE_ARN`` without OIDC names a RAM role that the bot
assumes through STS AssumeRole with whatever the chain found, as session
``ALIBABA_CLOUD_ROLE_SESSION_NAME`` (default ``offboard-bot``, so the role's ActionTrail
events name the bot). The package refreshes those credentials 15 minutes before they
expire; ``get()`` is asked on every request, so the next call signs with the new ones.

The package is imported on the first ``get()``, not at start-up: it pulls in requests,
aiohttp and APScheduler (about 15 MB), which an idle ``serve`` never needs.

Nothing the package says reaches our errors or logs: its messages can quote an
answer's body or a request URL with a signature or a token in it. Failures become a
``CredentialsError`` in our words (``commands.credential_words``), and its loggers
are reduced to a fixed sentence.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from commands.credential_words import describe_failure
from commands.credentials import Credentials
from commands.errors import CredentialsError

__all__ = [
    "BOT_SESSION_NAME",
    "CHAIN",
    "ROLE_ARN_VAR",
    "ROLE_SESSION_NAME_VAR",
    "OfficialCredentialsProvider",
    "chain_from_environment",
]

log = logging.getLogger(__name__)

ROLE_ARN_VAR = "ALIBABA_CLOUD_ROLE_ARN"
ROLE_SESSION_NAME_VAR = "ALIBABA_CLOUD_ROLE_SESSION_NAME"
OIDC_VARS = ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN")
BOT_SESSION_NAME = "offboard-bot"
# STS AssumeRole: "Minimum value: 900. Maximum value: the value of the MaxSessionDuration
# parameter. Default value: 3600."
DEFAULT_DURATION_SECONDS = 3600
CHAIN = "the official credential chain"

# The package's loggers: "credentials" (refresh warnings, log.exception of a failed
# refresh) and "alibabacloud-tea" (with DEBUG=sdk, every request line and header).
_PACKAGE_LOGGERS = ("credentials", "alibabacloud-tea")


class OfficialCredentialsProvider:
    """Credentials from a provider of the official package, built on first use.

    ``build`` returns the package's provider (an ``ICredentialsProvider``); ``source``
    says in words what it is, for errors and ``offboard-bot doctor``.
    """

    def __init__(self, build: Callable[[], Any], *, source: str) -> None:
        self._build = build
        self.source = source
        self._inner: Any = None
        self._lock = threading.Lock()

    def get(self) -> Credentials:
        """Current credentials, refreshed by the package before they expire.

        Raises ``CredentialsError`` naming the source and what went wrong, never a value.
        """
        try:
            found = self._provider().get_credentials()
        except Exception as exc:  # any failure of the package: described, never quoted
            problem = describe_failure(exc)
        else:
            return _ours(found, self.source)
        # Raised outside the except block: the package's exception (whose text may hold a
        # credential) is then not even kept as __context__.
        log.warning("cloud credentials unavailable from %s: %s", self.source, problem)
        raise CredentialsError(f"{self.source}: {problem}")

    def _provider(self) -> Any:
        with self._lock:
            if self._inner is None:
                _quiet_package_logs()
                self._inner = self._build()
            return self._inner

    def __repr__(self) -> str:
        return f"OfficialCredentialsProvider(source={self.source!r})"


def chain_from_environment(
    env: Mapping[str, str] | None = None,
    *,
    endpoint_override: str | None = None,
    base: Callable[[], Any] | None = None,
    duration_seconds: int = DEFAULT_DURATION_SECONDS,
) -> OfficialCredentialsProvider:
    """The bot's credentials: the official default chain, then ``ALIBABA_CLOUD_ROLE_ARN``.

    ``env`` (default ``os.environ``) is read for the role and its session name;
    ``endpoint_override`` (``OFFBOARD_ALIBABA_ENDPOINT``) also receives AssumeRole, which
    the package sends over HTTPS only, so an ``http://`` override with a role is refused
    here. ``base`` replaces the default chain as what signs AssumeRole (tests give a
    provider of the package); ``duration_seconds`` is the session's lifetime.
    """
    env = os.environ if env is None else env
    chain = base or _default_chain
    role_arn = env.get(ROLE_ARN_VAR, "").strip()
    # With OIDC the chain itself assumes ALIBABA_CLOUD_ROLE_ARN (RRSA): not a second time.
    if not role_arn or all(env.get(name, "").strip() for name in OIDC_VARS):
        return OfficialCredentialsProvider(chain, source=CHAIN)
    session = env.get(ROLE_SESSION_NAME_VAR, "").strip() or BOT_SESSION_NAME
    sts_endpoint = _sts_endpoint(endpoint_override)

    def assume_role() -> Any:
        from alibabacloud_credentials.provider import RamRoleArnCredentialsProvider

        return RamRoleArnCredentialsProvider(
            credentials_provider=chain(),
            role_arn=role_arn,
            role_session_name=session,
            duration_seconds=duration_seconds,
            sts_endpoint=sts_endpoint,
        )

    source = f"RAM role {role_arn} (session {session}, assumed with {CHAIN})"
    return OfficialCredentialsProvider(assume_role, source=source)


def _default_chain() -> Any:
    from alibabacloud_credentials.provider import DefaultCredentialsProvider

    return DefaultCredentialsProvider()


def _sts_endpoint(endpoint_override: str | None) -> str | None:
    """``host:port`` of the override for AssumeRole; None lets the package choose."""
    if not endpoint_override:
        return None
    parts = urlsplit(endpoint_override)
    if parts.scheme != "https":
        raise CredentialsError(
            f"{ROLE_ARN_VAR} is set and every call goes to {endpoint_override}, but "
            "alibabacloud-credentials calls STS AssumeRole over HTTPS only: serve that "
            "endpoint over TLS (https://) or unset the role"
        )
    return parts.netloc


def _ours(found: Any, source: str) -> Credentials:
    if found is None:
        raise CredentialsError(f"{source}: no credentials were returned")
    try:
        return Credentials(
            found.get_access_key_id() or "",
            found.get_access_key_secret() or "",
            found.get_security_token() or None,
            source=found.get_provider_name(),
        )
    except CredentialsError as exc:
        raise CredentialsError(f"{source}: {exc}") from None


class _Withheld(logging.Filter):
    """Replaces a package log record's text, arguments and traceback with a fixed line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = "%s logged a %s; its text is withheld (it may quote a credential)"
        record.args = (record.name, record.levelname)
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def _quiet_package_logs() -> None:
    """Drop the package's own stderr handlers and withhold what its loggers say.

    The package adds those handlers when it is imported, so it is imported here first.
    What remains goes through our logging like any other record.
    """
    import alibabacloud_credentials.provider  # noqa: F401 - its loggers are set up on import
    import Tea.core  # noqa: F401

    for name in _PACKAGE_LOGGERS:
        logger = logging.getLogger(name)
        if any(isinstance(f, _Withheld) for f in logger.filters):
            continue
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.addFilter(_Withheld())
        logger.setLevel(logging.WARNING)
        logger.propagate = True
