"""Errors as closed sets: one tree per layer, drawn in its root module's docstring, and
the Slack error handler mapping the three roots in one place.

Every exception class a layer defines (found by importing all of its modules) is under
that layer's root and named in the drawing, or private to its module, or one of the two
kept outside on purpose (each root's docstring says why).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from types import ModuleType

import pytest

import bot.errors
import commands.errors
import storage.errors
from bot.errors import BotError, PolicyError
from bot.slack.listeners.errors import words_for
from commands.errors import OffboardError, ParameterError
from storage.errors import GuardLost, RequestNotFound, StorageError

ROOTS: dict[str, tuple[type[Exception], ModuleType]] = {
    "bot": (BotError, bot.errors),
    "commands": (OffboardError, commands.errors),
    "storage": (StorageError, storage.errors),
}
OUTSIDE = {
    "commands.sandbox.errors.SandboxError",  # the sandbox's error answers, never raised out
    "bot.cli_settings.SettingsError",  # click's way to end a command with a message
}


def modules(package: str) -> list[ModuleType]:
    root = importlib.import_module(package)
    found = [root]
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        if info.name.endswith("__main__") or ".migrations" in info.name:
            continue  # running, not defining: __main__ starts the CLI; migrations define none
        found.append(importlib.import_module(info.name))
    return found


def defined_errors(package: str) -> list[type[BaseException]]:
    return [
        cls
        for module in modules(package)
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == module.__name__
    ]


def problems(errors: list[type[BaseException]], root: type[Exception], drawing: str) -> list[str]:
    """Why each of ``errors`` breaks the closed tree of ``root`` drawn in ``drawing``."""
    others = tuple(r for r, _ in ROOTS.values() if r is not root)
    found = []
    for cls in errors:
        name = f"{cls.__module__}.{cls.__qualname__}"
        if cls.__name__.startswith("_") or name in OUTSIDE:
            continue
        if not issubclass(cls, root):
            found.append(f"{name} is not under {root.__name__}")
        elif issubclass(cls, others):
            found.append(f"{name} hangs off another layer's root")
        if not re.search(rf"^[\s│├└─]*{cls.__name__}\b", drawing, re.MULTILINE):
            found.append(f"{name} is not drawn")
    return found


@pytest.mark.parametrize("package", sorted(ROOTS))
def test_every_error_a_layer_defines_is_in_its_drawn_tree(package: str) -> None:
    root, home = ROOTS[package]
    errors = defined_errors(package)
    assert root in errors
    assert problems(errors, root, home.__doc__ or "") == []


def test_the_check_notices_an_error_outside_the_tree() -> None:
    class Stray(Exception):
        pass

    class Hidden(BotError):
        pass

    drawing = bot.errors.__doc__ or ""
    assert problems([Stray, Hidden, PolicyError], BotError, drawing) == [
        f"{__name__}.{Stray.__qualname__} is not under BotError",
        f"{__name__}.{Stray.__qualname__} is not drawn",
        f"{__name__}.{Hidden.__qualname__} is not drawn",
    ]
    assert problems([OffboardError], BotError, drawing)[0].endswith("is not under BotError")


def test_policy_errors_are_bots_own() -> None:
    assert issubclass(PolicyError, BotError) and not issubclass(PolicyError, OffboardError)


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (ParameterError({"AccountId": "Required."}), "Some values are not valid: AccountId"),
        (RequestNotFound("OB-1"), "There is no request OB-1."),
        (GuardLost("totp_step"), "guard 'totp_step' lost"),
        (PolicyError("OFFBOARD_APPROVERS is empty."), "OFFBOARD_APPROVERS is empty."),
    ],
)
def test_the_handler_tells_each_root_in_words(error: Exception, words: str) -> None:
    text, reference = words_for(error)
    assert words in text and reference is None


def test_anything_else_gets_a_reference() -> None:
    text, reference = words_for(KeyError("x"))
    assert reference is not None and reference in text
