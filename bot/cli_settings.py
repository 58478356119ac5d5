"""Settings for a CLI verb: loaded when the verb runs, refused in words (exit 2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from bot.settings import Settings


class SettingsError(click.ClickException):
    """Settings the bot cannot run with: exit 2, like any other bad input."""

    exit_code = 2


def load_settings() -> Settings:
    """The settings from the environment; SettingsError naming what is wrong (no values)."""
    from pydantic import ValidationError

    from bot.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        # Name the variable and the rule, never echo the value (it may be a secret).
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from None
