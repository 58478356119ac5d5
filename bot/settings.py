"""Settings from the environment, by the names docs/INTERFACE.md documents.

Loaded lazily (by the CLI verb that needs them), never at import time, so `--help` and
tests need no environment.

Each setting is read under its documented name only, exactly as spelled there
(``OFFBOARD_*``, ``SLACK_*``, ``ALIBABA_CLOUD_*``): an unprefixed ``approvers`` or
``database_url`` in the environment, left there for some other program, sets nothing.
Code that builds settings by field name (the local stack) uses :meth:`Settings.from_fields`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from commands.endpoints import check_override


class Settings(BaseSettings):
    """Everything the bot reads from its environment."""

    # No populate_by_name: with it, the field name (``approvers``) is read from the
    # environment too. extra="forbid" makes a field name given to the constructor an
    # error instead of a silently ignored value (only the environment's variables that
    # name a field are read, so unrelated ones are no extras).
    model_config = SettingsConfigDict(env_prefix="", extra="forbid", case_sensitive=True)

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
    # No ge=1 here: the validator below says why 0 is refused, not just that it is.
    required_write_approvals: int = Field(
        default=1, le=10, alias="OFFBOARD_REQUIRED_WRITE_APPROVALS"
    )
    requesters: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(), alias="OFFBOARD_REQUESTERS"
    )
    requester_usergroup: str | None = Field(default=None, alias="OFFBOARD_REQUESTER_USERGROUP")
    request_ttl_seconds: int = Field(default=86400, ge=60, alias="OFFBOARD_REQUEST_TTL_SECONDS")
    execution_window_seconds: int = Field(
        default=900, ge=10, alias="OFFBOARD_EXECUTION_WINDOW_SECONDS"
    )
    # Approval step-up: "totp" makes every approval carry a code from the approver's
    # authenticator; "off" keeps Slack-only approvals (and every card says so).
    step_up: Literal["totp", "off"] = Field(default="totp", alias="OFFBOARD_STEP_UP")
    # Socket Mode has no HTTP server for Slack: /metrics (and /healthz) get this port of
    # their own, on serve's --host. Unset: no metrics port. HTTP mode serves /metrics on
    # its own port and ignores this.
    metrics_port: int | None = Field(default=None, ge=1, le=65535, alias="OFFBOARD_METRICS_PORT")
    # base64 of 32 bytes: the AES-GCM key that seals step-up secrets at rest.
    secret_key: SecretStr | None = Field(default=None, alias="OFFBOARD_SECRET_KEY")

    @classmethod
    def from_fields(cls, **values: Any) -> Settings:
        """Settings given by field name (``database_url=...``), each passed under its alias.

        What is not given is still read from the environment; an unknown name is refused.
        """
        aliases = {name: field.alias or name for name, field in cls.model_fields.items()}
        return cls(**{aliases.get(name, name): value for name, value in values.items()})

    @field_validator("alibaba_endpoint")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        # The same check the cloud client makes, so a bad override stops start-up.
        # Empty means unset, as for the client.
        if value:
            check_override(value)
        return value

    @field_validator("approvers", "requesters", mode="before")
    @classmethod
    def _split_user_ids(cls, value: object) -> object:
        # "U1, U2,,U3" -> {"U1", "U2", "U3"}: a comma-separated list of Slack user IDs.
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("required_write_approvals")
    @classmethod
    def _writes_are_always_approved(cls, value: int) -> int:
        if value < 1:
            raise ValueError(
                "must be at least 1: every write changes the cloud and is approved by "
                "someone other than the requester (reads need no approval and never "
                "become requests)"
            )
        return value
