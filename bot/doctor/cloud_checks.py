"""The cloud's side of a deployment: credentials, who they are, and the endpoints.

- The credentials resolve: the provider ``serve`` would use hands out a key, and says
  which source (environment, CLI profile, RAM role...) it came from.
- The caller: STS ``GetCallerIdentity`` names the identity; ResourceManager
  ``GetResourceDirectory`` names the directory's management account. The check passes
  when the caller is a RAM user or RAM role *of that account*: members cannot delete
  members, and DeleteAccount refuses the account's own root AccessKey
  ("CallerIdentityError.DeleteAccount: Please use the RAM user or role of the
  management account to delete").
- Each product's endpoint accepts a TCP connection and, for https, a TLS handshake
  verified with the CAs the client trusts. (The two reads above already went to STS and
  ResourceManager; BssOpenApi and Bastionhost have no read without parameters.)
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from bot.cloud import cloud_tls_context, make_cloud_client, official_credentials
from bot.doctor.report import Check
from bot.settings import Settings
from commands.catalog.directory import GET_RESOURCE_DIRECTORY
from commands.catalog.sts import GET_CALLER_IDENTITY, NoParams
from commands.client import CloudClient
from commands.credential_chain import OfficialCredentialsProvider
from commands.credential_words import describe_source
from commands.credentials import CredentialsProvider
from commands.endpoints import Product, resolve_endpoint
from commands.errors import CloudError, CredentialsError

CREDENTIALS, CALLER = "cloud credentials", "cloud caller"
CONNECT_TIMEOUT = 5.0


def run(
    settings: Settings, credentials: CredentialsProvider | None, regions: Sequence[str]
) -> Iterator[Check]:
    """The cloud checks, in order (the endpoints are checked even without credentials)."""
    try:
        provider = credentials or official_credentials(settings.alibaba_endpoint)
    except CredentialsError as error:
        yield Check(CREDENTIALS, False, str(error))
        yield Check(CALLER, False, "no credentials to ask with")
    else:
        resolved = credentials_check(provider)
        yield resolved
        if resolved.ok:
            with make_cloud_client(
                settings.alibaba_endpoint,
                bss_site=settings.bss_site,
                credentials=provider,
                max_attempts=1,  # a check is one try: its failure is the answer
            ) as client:
                yield caller(client)
        else:
            yield Check(CALLER, False, "no credentials to ask with")
    for url, products in endpoints(settings, regions).items():
        yield reachable(url, products)


def credentials_check(provider: CredentialsProvider) -> Check:
    try:
        found = provider.get()
    except CredentialsError as error:
        return Check(CREDENTIALS, False, str(error))
    origin = describe_source(found.source) if found.source else type(provider).__name__
    if isinstance(provider, OfficialCredentialsProvider):
        origin += f", through {provider.source}"
    kind = "STS token" if found.security_token else "AccessKey"
    return Check(CREDENTIALS, True, f"{kind} {found.access_key_id} from {origin}")


def caller(client: CloudClient) -> Check:
    try:
        me = client.call(GET_CALLER_IDENTITY, NoParams()).body
        directory = client.call(GET_RESOURCE_DIRECTORY, NoParams()).body
    except CredentialsError as error:
        return Check(CALLER, False, str(error))
    except CloudError as error:
        return Check(CALLER, False, f"{type(error).__name__}: {error}")
    kind, account, arn = me.get("IdentityType"), str(me.get("AccountId")), me.get("Arn")
    master = str((directory.get("ResourceDirectory") or {}).get("MasterAccountId"))
    who = f"{kind} {arn}"
    if account != master:
        return Check(
            CALLER,
            False,
            f"{who} is in account {account}, not in the resource directory's management "
            f"account {master}",
        )
    if kind not in ("RAMUser", "AssumedRoleUser"):
        return Check(
            CALLER,
            False,
            f"{who} is the management account's own (root) AccessKey: DeleteAccount needs a "
            "RAM user or RAM role of the management account",
        )
    return Check(CALLER, True, f"{who}, of the resource directory's management account")


def endpoints(settings: Settings, regions: Sequence[str]) -> dict[str, list[str]]:
    """Base URL -> the products (and Bastionhost regions) served there."""
    found: dict[str, list[str]] = {}
    override, site = settings.alibaba_endpoint, settings.bss_site
    for product in (Product.RESOURCE_MANAGER, Product.BSS, Product.STS):
        url = resolve_endpoint(product, None, site=site, override=override)
        found.setdefault(url, []).append(str(product))
    for region in regions:
        url = resolve_endpoint(Product.BASTIONHOST, region, site=site, override=override)
        found.setdefault(url, []).append(f"Bastionhost {region}")
    return found


def reachable(url: str, products: Sequence[str]) -> Check:
    """A TCP connection, and for https a verified TLS handshake, within 5 seconds."""
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if secure else 80)
    name, served = f"endpoint {url}", ", ".join(products)
    started = time.monotonic()
    try:
        raw = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
    except OSError as error:  # refused, unresolvable, timed out
        return Check(name, False, f"cannot connect ({served}): {_why(error)}")
    with raw:
        try:
            if secure:
                cloud_tls_context().wrap_socket(raw, server_hostname=host).close()
        except OSError as error:  # an untrusted certificate, a wrong name, not TLS at all
            return Check(name, False, f"TLS handshake failed ({served}): {_why(error)}")
    took = (time.monotonic() - started) * 1000
    return Check(name, True, f"{served}: {'TCP and TLS' if secure else 'TCP'} in {took:.0f} ms")


def _why(error: OSError) -> str:
    reason = getattr(error, "reason", None) or getattr(error, "strerror", None)
    return f"{type(error).__name__}" + (f" ({reason})" if reason else "")
