"""Credentials: the official variable names, clear refusals, no secret in any text."""

from __future__ import annotations

import dataclasses

import pytest

from commands.credentials import (
    Credentials,
    CredentialsProvider,
    EnvironmentCredentialsProvider,
    StaticCredentialsProvider,
)
from commands.errors import CredentialsError

ENV = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tEnvKey",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "env-secret-value",
}


def test_environment_provider_reads_the_official_names() -> None:
    creds = EnvironmentCredentialsProvider(ENV).get()
    assert creds == Credentials("LTAI5tEnvKey", "env-secret-value", None)


def test_environment_provider_reads_an_sts_token_and_trims() -> None:
    env = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": " STS.key ",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s\n",
        "ALIBABA_CLOUD_SECURITY_TOKEN": "token-value",
    }
    assert EnvironmentCredentialsProvider(env).get() == Credentials("STS.key", "s", "token-value")


def test_environment_provider_rereads_the_mapping_on_each_get() -> None:
    env = dict(ENV)
    provider = EnvironmentCredentialsProvider(env)
    env["ALIBABA_CLOUD_SECURITY_TOKEN"] = "rotated"
    assert provider.get().security_token == "rotated"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are not set"),
        (
            {"ALIBABA_CLOUD_ACCESS_KEY_ID": "k"},
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set",
        ),
        (
            {"ALIBABA_CLOUD_ACCESS_KEY_ID": "  ", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sv"},
            "ALIBABA_CLOUD_ACCESS_KEY_ID is not set",
        ),
    ],
)
def test_environment_provider_names_what_is_missing(env: dict[str, str], named: str) -> None:
    with pytest.raises(CredentialsError) as info:
        EnvironmentCredentialsProvider(env).get()
    assert str(info.value) == named


def test_environment_provider_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "from-os")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "os-secret")
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    assert EnvironmentCredentialsProvider().get().access_key_id == "from-os"


def test_secret_and_token_never_in_repr_or_str() -> None:
    creds = Credentials("LTAI5tKey", "very-secret", "sts-token")
    for text in (repr(creds), str(creds), repr(StaticCredentialsProvider(creds)), f"{creds}"):
        assert "very-secret" not in text and "sts-token" not in text
        assert "LTAI5tKey" in text
    assert "very-secret" not in repr(EnvironmentCredentialsProvider(ENV))


def test_credentials_are_frozen_and_complete() -> None:
    creds = Credentials("k", "s")
    with pytest.raises(dataclasses.FrozenInstanceError):
        creds.access_key_id = "other"  # type: ignore[misc]
    with pytest.raises(CredentialsError):
        Credentials("", "s")
    with pytest.raises(CredentialsError):
        Credentials("k", "")
    assert Credentials("k", "s", "").security_token is None


def test_providers_satisfy_the_protocol() -> None:
    static = StaticCredentialsProvider.of("k", "s", "t")
    assert isinstance(static, CredentialsProvider)
    assert isinstance(EnvironmentCredentialsProvider(ENV), CredentialsProvider)
    assert static.get() == Credentials("k", "s", "t")
