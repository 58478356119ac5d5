"""Each credential source the official chain offers, driven for real through the CLI.

The package reads its variables once, on import, so each case is a fresh
``python -m bot call GetCallerIdentity`` with its own environment (and its own ``HOME``,
so nobody's real ``~/.aliyun`` leaks in). The sandbox verifies every signature and
records which AccessKey signed: that is what each test checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Sandbox
from commands.sandbox.seed import MANAGEMENT_ACCOUNT_ID
from commands.sandbox.world import RamRole, StsSession
from tests.support.credentials_uri import CredentialsUri, credentials_body
from tests.support.tls import LocalCA

KEYS = {
    "LTAI5tFromEnvironment": "environment-secret",
    "LTAI5tFromCliProfile": "cli-profile-secret",
    "LTAI5tCliCurrentProfile": "cli-current-secret",
    "LTAI5tFromCredentialsFile": "credentials-file-secret",
    DEMO_ACCESS_KEY_ID: DEMO_ACCESS_KEY_SECRET,
}
ROLE_ARN = f"acs:ram::{MANAGEMENT_ACCOUNT_ID}:role/offboard-bot"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(credentials=KEYS) as box:
        yield box


def bot_call(home: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``offboard-bot call GetCallerIdentity`` in a process that sees only ``env``."""
    home.mkdir(parents=True, exist_ok=True)
    clean = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        # Off ECS the metadata service would be tried (with 1 s timeouts) before a URI.
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "call", "GetCallerIdentity"],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def identity(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stdout + done.stderr
    head, _, body = done.stdout.partition("\n")
    assert head.startswith("HTTP 200")
    return dict(json.loads(body))


def signer(sandbox: Sandbox, action: str = "GetCallerIdentity") -> str | None:
    (call,) = [c for c in sandbox.calls if c.action == action]
    assert call.signature_ok and call.status == 200
    return call.access_key_id


def test_the_official_environment_variables(sandbox: Sandbox, tmp_path: Path) -> None:
    done = bot_call(
        tmp_path / "home",
        {
            "OFFBOARD_ALIBABA_ENDPOINT": sandbox.base_url,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tFromEnvironment",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "environment-secret",
        },
    )
    assert identity(done)["IdentityType"] == "RAMUser"
    assert signer(sandbox) == "LTAI5tFromEnvironment"


@pytest.mark.parametrize(
    ("profile", "expected"),
    [("offboard", "LTAI5tFromCliProfile"), (None, "LTAI5tCliCurrentProfile")],
)
def test_the_aliyun_cli_profile(
    sandbox: Sandbox, tmp_path: Path, profile: str | None, expected: str
) -> None:
    # ~/.aliyun/config.json as `aliyun configure` writes it; HOME points the chain at it.
    home = tmp_path / "home"
    (home / ".aliyun").mkdir(parents=True)
    profiles = [
        {"name": "default", "mode": "AK", "access_key_id": "LTAI5tCliCurrentProfile"},
        {"name": "offboard", "mode": "AK", "access_key_id": "LTAI5tFromCliProfile"},
    ]
    for entry in profiles:
        entry["access_key_secret"] = KEYS[entry["access_key_id"]]
    config = {"current": "default", "profiles": profiles}
    (home / ".aliyun" / "config.json").write_text(json.dumps(config))
    env = {"OFFBOARD_ALIBABA_ENDPOINT": sandbox.base_url}
    if profile:
        env["ALIBABA_CLOUD_PROFILE"] = profile
    identity(bot_call(home, env))
    assert signer(sandbox) == expected


def test_the_credentials_file(sandbox: Sandbox, tmp_path: Path) -> None:
    ini = tmp_path / "credentials.ini"
    ini.write_text(
        "[default]\ntype = access_key\naccess_key_id = LTAI5tFromCredentialsFile\n"
        "access_key_secret = credentials-file-secret\n"
    )
    env = {
        "OFFBOARD_ALIBABA_ENDPOINT": sandbox.base_url,
        "ALIBABA_CLOUD_CREDENTIALS_FILE": str(ini),
    }
    identity(bot_call(tmp_path / "home", env))
    assert signer(sandbox) == "LTAI5tFromCredentialsFile"


def test_a_credentials_uri_served_locally(sandbox: Sandbox, tmp_path: Path) -> None:
    # The URI hands out an STS session the sandbox issued (as a metadata service would).
    role = RamRole(ROLE_ARN)
    session = StsSession(
        "STS.FromUri0001", "uri-session-secret", "uri-session-token",
        datetime.now(UTC) + timedelta(hours=1), role, "from-uri",
    )  # fmt: skip
    sandbox.world.sessions[session.access_key_id] = session
    body = credentials_body(session.access_key_id, session.secret, session.token)
    with CredentialsUri(body) as uri:
        env = {
            "OFFBOARD_ALIBABA_ENDPOINT": sandbox.base_url,
            "ALIBABA_CLOUD_CREDENTIALS_URI": uri.url,
        }
        me = identity(bot_call(tmp_path / "home", env))
    assert me["IdentityType"] == "AssumedRoleUser" and me["Arn"] == f"{ROLE_ARN}/from-uri"
    assert signer(sandbox) == "STS.FromUri0001"


def test_a_ram_role_assumed_over_https(
    tls_sandbox: Sandbox, test_ca: LocalCA, tmp_path: Path
) -> None:
    tls_sandbox.world.roles[ROLE_ARN] = RamRole(ROLE_ARN)
    env = {
        "OFFBOARD_ALIBABA_ENDPOINT": tls_sandbox.base_url,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEMO_ACCESS_KEY_SECRET,
        "ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN,
        "SSL_CERT_FILE": str(test_ca.ca_file),  # the one way in for a private CA
    }
    me = identity(bot_call(tmp_path / "home", env))
    assert me["Arn"] == f"{ROLE_ARN}/offboard-bot"
    assert signer(tls_sandbox, "AssumeRole") == DEMO_ACCESS_KEY_ID
    assert str(signer(tls_sandbox)).startswith("STS.")


def test_no_source_at_all_is_named_and_nothing_is_sent(sandbox: Sandbox, tmp_path: Path) -> None:
    done = bot_call(tmp_path / "home", {"OFFBOARD_ALIBABA_ENDPOINT": sandbox.base_url})
    assert done.returncode == 2
    assert done.stdout.startswith(
        "error: the official credential chain: no link of the chain found credentials; "
        "tried the environment (ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET): "
        "not set; the aliyun CLI profile (~/.aliyun/config.json, ALIBABA_CLOUD_PROFILE): "
        "no such file; the credentials file"
    )
    assert sandbox.calls == []


def test_a_uri_answer_quoting_a_secret_leaks_nowhere(sandbox: Sandbox, tmp_path: Path) -> None:
    body = credentials_body("STS.Leaky", "leaky-secret-value-0001", "leaky-token-value-0001")
    del body["Expiration"]  # the package refuses it, quoting the whole body in its error
    with CredentialsUri(body) as uri:
        env = {
            "OFFBOARD_ALIBABA_ENDPOINT": sandbox.base_url,
            "ALIBABA_CLOUD_CREDENTIALS_URI": uri.url,
        }
        done = bot_call(tmp_path / "home", env)
    assert done.returncode == 2
    assert "ALIBABA_CLOUD_CREDENTIALS_URI: the answer holds no complete credentials" in done.stdout
    for text in (done.stdout, done.stderr):
        assert "leaky-secret-value-0001" not in text and "leaky-token-value-0001" not in text
    assert sandbox.calls == []
