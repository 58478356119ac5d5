"""The bot's one ``CloudClient`` factory: the official credential chain, TLS, endpoints.

``serve`` (through ``bot.deps``), ``offboard-bot call``, ``offboard-bot doctor`` and the
stand-alone worker (``bot.execution.process``) all build their client here. Tests and
the demo build theirs with the sandbox's static credentials instead.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping

import httpx

from commands.client import CloudClient
from commands.credential_chain import OfficialCredentialsProvider, chain_from_environment
from commands.credentials import CredentialsProvider
from commands.endpoints import Site


def cloud_tls_context() -> ssl.SSLContext:
    """The CAs the cloud client trusts: certifi's bundle, or ``SSL_CERT_FILE`` /
    ``SSL_CERT_DIR`` when set (httpx's rule), which is also where the credential
    package's STS calls look (OpenSSL's default paths): one place to add a private CA."""
    return httpx.create_ssl_context(trust_env=True)


def official_credentials(
    endpoint_override: str | None, env: Mapping[str, str] | None = None
) -> OfficialCredentialsProvider:
    """The official chain (plus ``ALIBABA_CLOUD_ROLE_ARN``) as the bot configures it."""
    return chain_from_environment(env, endpoint_override=endpoint_override)


def make_cloud_client(
    endpoint_override: str | None,
    *,
    bss_site: Site = "china",
    credentials: CredentialsProvider | None = None,
    timeout: float = 10.0,
    max_attempts: int = 4,
) -> CloudClient:
    """A client signing with ``credentials`` (default: the official chain from the
    environment), aimed at the real endpoints or at ``endpoint_override``.

    Raises ``CredentialsError`` when the configuration cannot work (a role with an
    ``http://`` override)."""
    if credentials is None:
        credentials = official_credentials(endpoint_override)
    return CloudClient(
        credentials,
        endpoint_override=endpoint_override,
        bss_site=bss_site,
        timeout=timeout,
        max_attempts=max_attempts,
        # The client does not read proxies from the environment (trust_env=False); the
        # CA store is configured here instead.
        transport=httpx.HTTPTransport(verify=cloud_tls_context()),
    )
