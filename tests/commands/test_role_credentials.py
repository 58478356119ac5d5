"""A RAM role assumed through STS by the official package, against the sandbox over HTTPS.

The package (``alibabacloud-credentials``) sends AssumeRole itself, over HTTPS only, to
the sandbox's STS; the sandbox checks its HMAC-SHA1 signature, issues short-lived
credentials, and then checks every signed call made with them (their security token,
their expiry). ``SSL_CERT_FILE`` points at a CA made for the run (``tests.support.tls``):
the one way the package lets a private CA in.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from alibabacloud_credentials.provider import StaticAKCredentialsProvider

from bot.cloud import make_cloud_client
from commands.catalog import get_spec, validate_params
from commands.client import CloudClient
from commands.credential_chain import BOT_SESSION_NAME, chain_from_environment
from commands.credentials import StaticCredentialsProvider
from commands.errors import ApiError, AuthError, CredentialsError
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Sandbox
from commands.sandbox.seed import MANAGEMENT_ACCOUNT_ID
from commands.sandbox.world import Principal, RamRole
from tests.support.clock import FakeClock
from tests.support.tls import LocalCA, rogue_server_context

ROLE_ARN = f"acs:ram::{MANAGEMENT_ACCOUNT_ID}:role/offboard-bot"


def demo_key() -> Any:
    """What signs AssumeRole in these tests: the sandbox's demo AccessKey, as a provider
    of the official package (in production, whatever the default chain finds)."""
    return StaticAKCredentialsProvider(
        access_key_id=DEMO_ACCESS_KEY_ID, access_key_secret=DEMO_ACCESS_KEY_SECRET
    )


def with_role(sandbox: Sandbox, arn: str = ROLE_ARN) -> None:
    sandbox.world.roles[arn] = RamRole(arn, role_id="300009876543210")


def role_client(sandbox: Sandbox, env: dict[str, str] | None = None, **options: Any) -> CloudClient:
    credentials = chain_from_environment(
        {"ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN, **(env or {})},
        endpoint_override=sandbox.base_url,
        base=demo_key,
        **options,
    )
    return make_cloud_client(sandbox.base_url, credentials=credentials, timeout=5.0)


def call(client: CloudClient, action: str, **raw: str) -> dict[str, Any]:
    spec = get_spec(action)
    return dict(client.call(spec, validate_params(spec, raw)).body)


@pytest.fixture
def sandbox(tls_sandbox: Sandbox) -> Iterator[Sandbox]:
    with_role(tls_sandbox)
    yield tls_sandbox


def test_the_bot_assumes_its_role_and_signs_as_it(sandbox: Sandbox) -> None:
    with role_client(sandbox) as client:
        me = call(client, "GetCallerIdentity")
    assert me["IdentityType"] == "AssumedRoleUser"
    assert me["Arn"] == f"{ROLE_ARN}/{BOT_SESSION_NAME}"
    assert me["AccountId"] == str(MANAGEMENT_ACCOUNT_ID)
    assume, identity = sandbox.calls
    assert (assume.action, assume.access_key_id, assume.status) == (
        "AssumeRole",
        DEMO_ACCESS_KEY_ID,
        200,
    )
    assert assume.params["RoleSessionName"] == "offboard-bot"
    assert assume.params["SignatureMethod"] == "HMAC-SHA1"  # the package's own signature
    assert identity.signature_ok and identity.access_key_id is not None
    assert identity.access_key_id.startswith("STS.")


def test_the_session_name_can_be_set(sandbox: Sandbox) -> None:
    env = {"ALIBABA_CLOUD_ROLE_SESSION_NAME": "offboard-prod"}
    with role_client(sandbox, env) as client:
        assert call(client, "GetCallerIdentity")["Arn"].endswith("/offboard-prod")


def test_credentials_that_expire_soon_are_refreshed_mid_run(sandbox: Sandbox) -> None:
    # The package refreshes 15 minutes before Expiration. A 902-second session is due for
    # refresh 2 s after it is issued: calls in those 2 s reuse it, the next one does not.
    with role_client(sandbox, duration_seconds=902) as client:
        call(client, "GetResourceDirectory")
        call(client, "GetResourceDirectory")
        first = {c.access_key_id for c in sandbox.calls if c.action == "GetResourceDirectory"}
        assert sandbox.count("AssumeRole") == 1 and len(first) == 1
        time.sleep(2.2)
        call(client, "GetResourceDirectory")
    assert sandbox.count("AssumeRole") == 2
    reads = [c for c in sandbox.calls if c.action == "GetResourceDirectory"]
    assert all(c.signature_ok and c.status == 200 for c in reads)
    assert reads[2].access_key_id not in first  # the next signed call used the new session
    assert all(key and key.startswith("STS.") for key in (c.access_key_id for c in reads))


@contextmanager
def serving(box: Sandbox, tls: ssl.SSLContext) -> Iterator[Sandbox]:
    box.start(tls=tls)
    try:
        yield box
    finally:
        box.stop()


def test_a_stolen_session_stops_working_when_it_expires(test_ca: LocalCA) -> None:
    # AssumeRole is signed with the real time, so the sandbox's clock starts from it.
    clock = FakeClock(datetime.now(UTC))
    with serving(Sandbox(clock=clock), test_ca.server_context()) as box:
        with_role(box)
        issued = chain_from_environment(
            {"ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN},
            endpoint_override=box.base_url,
            base=demo_key,
            duration_seconds=900,
        ).get()
        thief = CloudClient(
            StaticCredentialsProvider(issued),
            endpoint_override=box.base_url,
            clock=clock,  # signs with the time the sandbox believes
            transport=httpx.HTTPTransport(verify=test_ca.client_context()),
        )
        with thief:
            assert call(thief, "GetCallerIdentity")["IdentityType"] == "AssumedRoleUser"
            clock.advance(901)
            with pytest.raises(AuthError) as refused:
                call(thief, "GetCallerIdentity")
    assert refused.value.code == "InvalidSecurityToken.Expired"


@pytest.mark.parametrize(
    ("token", "code"),
    [(None, "MissingSecurityToken"), ("a-token-of-another-session", "InvalidSecurityToken")],
)
def test_an_sts_key_without_its_own_token_is_refused(
    sandbox: Sandbox, token: str | None, code: str
) -> None:
    issued = chain_from_environment(
        {"ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN}, endpoint_override=sandbox.base_url, base=demo_key
    ).get()
    forged = StaticCredentialsProvider.of(issued.access_key_id, issued.access_key_secret, token)
    with (
        make_cloud_client(sandbox.base_url, credentials=forged) as client,
        pytest.raises(ApiError) as refused,
    ):
        call(client, "GetCallerIdentity")
    assert str(refused.value.code).startswith(code)
    assert refused.value.http_status == 400


def test_assume_role_with_a_forged_signature_is_refused(sandbox: Sandbox) -> None:
    def forger() -> Any:
        return StaticAKCredentialsProvider(
            access_key_id=DEMO_ACCESS_KEY_ID, access_key_secret="guessed-secret"
        )

    provider = chain_from_environment(
        {"ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN}, endpoint_override=sandbox.base_url, base=forger
    )
    with pytest.raises(CredentialsError) as refused:
        provider.get()
    assert str(refused.value) == (
        f"RAM role {ROLE_ARN} (session offboard-bot, assumed with the official credential "
        "chain): answered HTTP 400 SignatureDoesNotMatch"
    )
    assert [c.status for c in sandbox.calls] == [400]


def replay(sandbox: Sandbox, test_ca: LocalCA, params: dict[str, str]) -> httpx.Response:
    with httpx.Client(verify=test_ca.client_context()) as raw:
        return raw.get(f"{sandbox.base_url}/", params=params)


def test_a_captured_assume_role_request_replayed_is_refused(
    sandbox: Sandbox, test_ca: LocalCA
) -> None:
    chain_from_environment(
        {"ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN}, endpoint_override=sandbox.base_url, base=demo_key
    ).get()
    captured = dict(sandbox.calls[0].params)  # what went over the wire, signature and all
    answer = replay(sandbox, test_ca, captured)
    assert (answer.status_code, answer.json()["Code"]) == (400, "SignatureNonceUsed")
    assert len(sandbox.world.sessions) == 1  # no second session for the replayer


def test_an_assume_role_request_tampered_to_another_role_is_refused(
    sandbox: Sandbox, test_ca: LocalCA
) -> None:
    chain_from_environment(
        {"ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN}, endpoint_override=sandbox.base_url, base=demo_key
    ).get()
    admin = f"acs:ram::{MANAGEMENT_ACCOUNT_ID}:role/administrator"
    with_role(sandbox, admin)
    tampered = {**sandbox.calls[0].params, "RoleArn": admin, "SignatureNonce": "fresh-nonce"}
    answer = replay(sandbox, test_ca, tampered)
    assert (answer.status_code, answer.json()["Code"]) == (400, "SignatureDoesNotMatch")
    assert len(sandbox.world.sessions) == 1


def test_an_unknown_role_is_named_with_sts_code(sandbox: Sandbox) -> None:
    provider = chain_from_environment(
        {"ALIBABA_CLOUD_ROLE_ARN": f"acs:ram::{MANAGEMENT_ACCOUNT_ID}:role/nobody"},
        endpoint_override=sandbox.base_url,
        base=demo_key,
    )
    with pytest.raises(CredentialsError, match=r"answered HTTP 404 EntityNotExist\.Role$"):
        provider.get()


def test_a_role_of_another_account_is_not_assumed(sandbox: Sandbox) -> None:
    sandbox.world.principals[DEMO_ACCESS_KEY_ID] = Principal("1388102837270001")
    provider = chain_from_environment(
        {"ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN}, endpoint_override=sandbox.base_url, base=demo_key
    )
    with pytest.raises(CredentialsError, match=r"HTTP 403 NoPermission$"):
        provider.get()


def test_an_untrusted_certificate_is_refused_and_nothing_leaks(
    test_ca: LocalCA,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    with serving(Sandbox(), rogue_server_context(tmp_path / "rogue")) as box:
        with_role(box)
        provider = chain_from_environment(
            {"ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN}, endpoint_override=box.base_url, base=demo_key
        )
        with caplog.at_level(logging.DEBUG), pytest.raises(CredentialsError) as refused:
            provider.get()
    assert str(refused.value).endswith(": the TLS certificate is not trusted")
    assert box.calls == []  # the handshake failed: AssumeRole never reached it
    # The package's own error text carries the AssumeRole URL (AccessKeyId, Signature).
    out, err = capfd.readouterr()
    for text in (str(refused.value), repr(refused.value.__context__), caplog.text, out, err):
        assert "Signature=" not in text and DEMO_ACCESS_KEY_SECRET not in text
        assert "AccessKeyId=" not in text
    assert "its text is withheld" in caplog.text


def test_a_role_needs_https_to_the_override() -> None:
    with pytest.raises(CredentialsError, match="over HTTPS only"):
        chain_from_environment(
            {"ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN}, endpoint_override="http://127.0.0.1:9000"
        )


def test_with_oidc_the_chain_assumes_the_role_itself() -> None:
    env = {
        "ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN,
        "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "/var/run/secrets/tokens/oidc-token",
        "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": "acs:ram::1:oidc-provider/ack-rrsa",
    }
    assert chain_from_environment(env).source == "the official credential chain"
    assert chain_from_environment({"ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN}).source.startswith(
        f"RAM role {ROLE_ARN} (session offboard-bot"
    )


def test_the_sandbox_names_the_management_account(sandbox: Sandbox) -> None:
    with role_client(sandbox) as client:
        directory = call(client, "GetResourceDirectory")["ResourceDirectory"]
    assert directory["MasterAccountId"] == str(MANAGEMENT_ACCOUNT_ID)
