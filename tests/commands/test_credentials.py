"""Credentials and the official chain's wrapper: masking, translation, no secret in any text.

The default chain itself reads the environment once, when the package is imported, so it
is driven for real in fresh processes (``tests/bot/test_credential_sources.py``); here the
package's providers are built with explicit arguments, as the chain builds them.
"""

from __future__ import annotations

import dataclasses
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from alibabacloud_credentials.exceptions import CredentialException
from alibabacloud_credentials.provider import ProfileCredentialsProvider, URLCredentialsProvider

from commands.credential_chain import OfficialCredentialsProvider
from commands.credential_words import describe_failure, describe_source
from commands.credentials import Credentials, CredentialsProvider, StaticCredentialsProvider
from commands.errors import CredentialsError
from tests.support.credentials_uri import CredentialsUri, credentials_body

LEAKED_SECRET = "uri-secret-must-not-leak-1234"
LEAKED_TOKEN = "uri-token-must-not-leak-5678"


def test_secret_and_token_never_in_repr_or_str() -> None:
    creds = Credentials("LTAI5tKey", "very-secret", "sts-token", source="default/env")
    for text in (repr(creds), str(creds), repr(StaticCredentialsProvider(creds)), f"{creds}"):
        assert "very-secret" not in text and "sts-token" not in text
        assert "LTAI5tKey" in text and "default/env" in text


def test_credentials_are_frozen_and_complete() -> None:
    creds = Credentials("k", "s")
    with pytest.raises(dataclasses.FrozenInstanceError):
        creds.access_key_id = "other"  # type: ignore[misc]
    with pytest.raises(CredentialsError):
        Credentials("", "s")
    with pytest.raises(CredentialsError):
        Credentials("k", "")
    assert Credentials("k", "s", "").security_token is None
    assert Credentials("k", "s", source="a") == Credentials("k", "s", source="b")


def test_providers_satisfy_the_protocol() -> None:
    static = StaticCredentialsProvider.of("k", "s", "t")
    assert isinstance(static, CredentialsProvider)
    assert isinstance(OfficialCredentialsProvider(lambda: None, source="x"), CredentialsProvider)
    assert static.get() == Credentials("k", "s", "t")


def test_a_credentials_file_profile_is_read(tmp_path: Path) -> None:
    ini = tmp_path / "credentials.ini"
    ini.write_text(
        "[default]\ntype = access_key\naccess_key_id = LTAI5tDefault\naccess_key_secret = d\n"
        "[offboard]\ntype = access_key\naccess_key_id = LTAI5tFromFile\n"
        "access_key_secret = file-secret\n"
    )
    provider = OfficialCredentialsProvider(
        lambda: ProfileCredentialsProvider(profile_file=str(ini), profile_name="offboard"),
        source="the credentials file",
    )
    found = provider.get()
    assert found == Credentials("LTAI5tFromFile", "file-secret")
    assert found.source == "profile/static_ak"
    assert describe_source(found.source) == "the credentials file via an AccessKey"


def test_a_credentials_uri_is_read_with_its_token() -> None:
    with CredentialsUri(credentials_body("STS.FromUri", "uri-secret", "uri-token")) as uri:
        provider = OfficialCredentialsProvider(
            lambda: URLCredentialsProvider(uri=uri.url), source="ALIBABA_CLOUD_CREDENTIALS_URI"
        )
        found = provider.get()
        provider.get()
    assert found == Credentials("STS.FromUri", "uri-secret", "uri-token")
    assert found.source == "credential_uri"
    assert uri.hits == 1  # an hour-long session is cached, not fetched per request


def test_a_uri_answer_quoting_a_secret_never_reaches_errors_or_logs(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    # No Expiration: the package refuses it, and its message quotes the whole body.
    body = credentials_body("STS.Leaky", LEAKED_SECRET, LEAKED_TOKEN)
    del body["Expiration"]
    with CredentialsUri(body) as uri:
        provider = OfficialCredentialsProvider(
            lambda: URLCredentialsProvider(uri=uri.url), source="ALIBABA_CLOUD_CREDENTIALS_URI"
        )
        with caplog.at_level(logging.DEBUG), pytest.raises(CredentialsError) as refused:
            provider.get()
    assert str(refused.value) == (
        "ALIBABA_CLOUD_CREDENTIALS_URI: the answer holds no complete credentials"
    )
    assert refused.value.__context__ is None and refused.value.__cause__ is None
    out, err = capfd.readouterr()
    for text in (caplog.text, out, err, repr(refused.value)):
        assert LEAKED_SECRET not in text and LEAKED_TOKEN not in text
    assert "its text is withheld" in caplog.text  # the package did log; we withheld it


def test_the_package_loggers_write_nothing_of_their_own() -> None:
    from alibabacloud_credentials.provider import StaticAKCredentialsProvider

    def key() -> StaticAKCredentialsProvider:
        return StaticAKCredentialsProvider(access_key_id="k", access_key_secret="s")

    assert OfficialCredentialsProvider(key, source="x").get() == Credentials("k", "s")
    for name in ("credentials", "alibabacloud-tea"):
        logger = logging.getLogger(name)
        assert logger.handlers == [] and logger.propagate and logger.filters


def test_a_chain_failure_names_each_link_and_quotes_none() -> None:
    # The package's own wording: class names, then each link's message.
    message = (
        "unable to load credentials from any of the providers in the chain: ["
        "'EnvironmentVariableCredentialsProvider: Environment variable accessKeyId cannot "
        "be empty', 'CLIProfileCredentialsProvider: unable to open credentials file: "
        "/home/x/.aliyun/config.json', 'URLCredentialsProvider: error refreshing credentials "
        f'from http://10.0.0.1/c?token={LEAKED_TOKEN},  http_code=500, result: {{"Code": '
        f'"Busy", "AccessKeySecret": "{LEAKED_SECRET}"}}\']'
    )
    said = describe_failure(CredentialException(message))
    assert said == (
        "no link of the chain found credentials; tried the environment "
        "(ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET): not set; the aliyun "
        "CLI profile (~/.aliyun/config.json, ALIBABA_CLOUD_PROFILE): no such file; "
        "ALIBABA_CLOUD_CREDENTIALS_URI: answered HTTP 500 Busy"
    )


def test_an_unknown_failure_is_named_by_its_type_only() -> None:
    assert describe_failure(KeyError(LEAKED_SECRET)) == "it failed (KeyError)"


def test_the_package_is_imported_only_when_credentials_are_needed() -> None:
    # About 15 MB (requests, aiohttp, APScheduler) that an idle `serve` must not carry.
    script = (
        "import sys\n"
        "from bot.cloud import make_cloud_client\n"
        "client = make_cloud_client('http://127.0.0.1:9')\n"
        "print(sorted(m for m in sys.modules if m.startswith(('alibabacloud', 'Tea'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
