"""Settings are read under their documented names only, and a bad endpoint stops start-up.

The attack: a variable under a plain name (``approvers``, ``database_url``), set for some
other program or slipped into a service's environment, must not add an approver, lower
the approvals a call needs or move the database. Only the names docs/INTERFACE.md documents count.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from bot.cli import main
from bot.settings import Settings

PLAIN_NAMES = {
    "approvers": "U0MALLORY",
    "approver_usergroup": "S0EVERYONE",
    "required_approvals": "1",
    "database_url": "sqlite:////tmp/elsewhere.db",
    "alibaba_endpoint": "https://attacker.example",
    "slack_api_url": "https://attacker.example/api/",
    "slack_bot_token": "xoxb-planted",
    "execution_window_seconds": "99999",
}


def test_unprefixed_variables_set_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PLAIN_NAMES.items():
        monkeypatch.setenv(name, value)
        if not name.startswith("slack_"):  # SLACK_BOT_TOKEN is a documented name
            monkeypatch.setenv(name.upper(), value)
    settings = Settings()
    assert settings.approvers == frozenset()
    assert settings.approver_usergroup is None
    assert settings.required_approvals == 2
    assert settings.database_url == "sqlite:///offboard.db"
    assert settings.alibaba_endpoint is None
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.slack_bot_token is None
    assert settings.execution_window_seconds == 900


def test_documented_names_are_read_exactly_as_spelled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("offboard_approvers", "U0MALLORY")  # not the documented spelling
    monkeypatch.setenv("offboard_required_approvals", "1")
    assert Settings().approvers == frozenset() and Settings().required_approvals == 2
    monkeypatch.setenv("OFFBOARD_APPROVERS", "U0BOB, U0CAROL")
    monkeypatch.setenv("OFFBOARD_REQUIRED_APPROVALS", "3")
    settings = Settings()
    assert settings.approvers == {"U0BOB", "U0CAROL"} and settings.required_approvals == 3


def test_a_field_name_in_code_is_refused_not_silently_ignored() -> None:
    with pytest.raises(ValidationError, match="approvers"):
        Settings(approvers="U0BOB")
    settings = Settings.from_fields(approvers=frozenset({"U0BOB"}), required_approvals=3)
    assert settings.approvers == {"U0BOB"} and settings.required_approvals == 3
    with pytest.raises(ValidationError, match="approverz"):
        Settings.from_fields(approverz=frozenset({"U0BOB"}))


@pytest.mark.parametrize(
    "endpoint", ["http://10.0.0.5:9000", "http://sandbox.internal", "http://127.0.0.1.nip.io"]
)
def test_a_plain_http_endpoint_off_this_machine_stops_settings_load(
    monkeypatch: pytest.MonkeyPatch, endpoint: str
) -> None:
    monkeypatch.setenv("OFFBOARD_ALIBABA_ENDPOINT", endpoint)
    with pytest.raises(ValidationError) as refused:
        Settings()
    message = str(refused.value)
    assert "OFFBOARD_ALIBABA_ENDPOINT" in message and "only to this machine" in message


@pytest.mark.parametrize(
    "endpoint", ["http://127.0.0.1:9000", "http://[::1]:9000", "https://sandbox.internal", ""]
)
def test_loopback_http_and_any_https_endpoint_load(
    monkeypatch: pytest.MonkeyPatch, endpoint: str
) -> None:
    monkeypatch.setenv("OFFBOARD_ALIBABA_ENDPOINT", endpoint)
    assert Settings().alibaba_endpoint == endpoint


def test_the_cli_refuses_a_plain_http_endpoint_before_calling() -> None:
    env = {
        "OFFBOARD_ALIBABA_ENDPOINT": "http://10.0.0.5:9000",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tEXAMPLE",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "not-a-secret",
    }
    result = CliRunner().invoke(main, ["call", "GetAccount", "AccountId=1"], env=env)
    assert result.exit_code == 2  # bad settings are bad input
    assert "invalid settings: OFFBOARD_ALIBABA_ENDPOINT" in result.output
    assert "use https://" in result.output and "Traceback" not in result.output
