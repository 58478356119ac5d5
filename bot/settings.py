"""Settings from the environment, with the names DESIGN.md fixes.

Loaded lazily (by the CLI verb that needs them), never at import time, so `--help` and
tests need no environment.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the bot reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")

    alibaba_endpoint: str | None = Field(default=None, alias="OFFBOARD_ALIBABA_ENDPOINT")
    bss_site: Literal["china", "international"] = Field(default="china", alias="OFFBOARD_BSS_SITE")

    database_url: str = Field(default="sqlite:///offboard.db", alias="OFFBOARD_DATABASE_URL")
    approval_channel: str | None = Field(default=None, alias="OFFBOARD_APPROVAL_CHANNEL")
    approvers: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(), alias="OFFBOARD_APPROVERS"
    )
    approver_usergroup: str | None = Field(default=None, alias="OFFBOARD_APPROVER_USERGROUP")
    required_approvals: int = Field(default=2, ge=1, le=10, alias="OFFBOARD_REQUIRED_APPROVALS")
    request_ttl_seconds: int = Field(default=86400, ge=60, alias="OFFBOARD_REQUEST_TTL_SECONDS")
    execution_window_seconds: int = Field(
        default=900, ge=10, alias="OFFBOARD_EXECUTION_WINDOW_SECONDS"
    )
    # Approval step-up: "totp" makes every approval carry a code from the approver's
    # authenticator; "off" keeps Slack-only approvals (and every card says so).
    step_up: Literal["totp", "off"] = Field(default="totp", alias="OFFBOARD_STEP_UP")
    # base64 of 32 bytes: the AES-GCM key that seals step-up secrets at rest.
    secret_key: SecretStr | None = Field(default=None, alias="OFFBOARD_SECRET_KEY")

    @field_validator("approvers", mode="before")
    @classmethod
    def _split_approvers(cls, value: object) -> object:
        # "U1, U2,,U3" -> {"U1", "U2", "U3"}: a comma-separated list of Slack user IDs.
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value
