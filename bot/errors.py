"""The errors ``bot/`` raises on purpose: one closed tree, next to commands' and storage's.

    BotError
     ├── PolicyError            the configured approval policy cannot work; the message
     │    │                     says what to change (bot.approvals.policy)
     │    ├── SecretKeyProblem  OFFBOARD_SECRET_KEY missing or not base64 of 32 bytes
     │    └── SealBroken        a sealed step-up secret does not open with this key
     ├── LeaseLost              this worker no longer holds the execution: send nothing,
     │                          write nothing more (bot.execution.lease)
     ├── WorkProcessError       the work process could not be started (bot.slack.handoff)
     ├── NotYetDeliverable      a plan's announcement that cannot go out yet (its card
     │                          has no ts): the announcer retries it later
     │                          (bot.slack.plan_announcer)
     └── TooDeep                JSON nested deeper than the gate allows (bot.slack.bounds;
                                also a ValueError, as ``json.loads`` callers expect)

The three roots, ``commands.errors.OffboardError``, ``storage.errors.StorageError`` and
:class:`BotError`, are told to people in one place: the Slack error handler,
``bot.slack.listeners.errors.words_for``. Outside the tree on purpose: errors private to
one module (a leading underscore, never raised out of it) and
``bot.cli_settings.SettingsError``, click's own way to end a command with a message.
``tests/test_errors.py`` keeps the tree closed: every exception class a layer defines is
under its root and drawn here.
"""

from __future__ import annotations


class BotError(Exception):
    """Base of every error ``bot/`` raises on purpose."""


class PolicyError(BotError):
    """The configured policy cannot work; the message says what to change."""


class SecretKeyProblem(PolicyError):
    """``OFFBOARD_SECRET_KEY`` is missing or not base64 of 32 bytes (never echoes it)."""


class SealBroken(PolicyError):
    """A sealed secret does not open with this key (another key, or tampered with)."""


class LeaseLost(BotError):
    """This worker no longer holds the execution: send nothing, write nothing more."""


class WorkProcessError(BotError):
    """The work process could not be started."""


class NotYetDeliverable(BotError):
    """An announcement of a member plan that cannot be delivered yet; retried later."""


class TooDeep(BotError, ValueError):
    """JSON nested deeper than the gate's limit (``bot.slack.bounds.MAX_JSON_DEPTH``)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nested deeper than {limit} levels")
        self.limit = limit
