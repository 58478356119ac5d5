"""Parse the text after ``/offboard`` into a typed command.

Grammar (words split like a POSIX shell, so ``"..."`` keeps spaces)::

    (empty)                          -> Open(action=None)
    <Action> [Name=Value ...]        -> Open(action, values)   e.g. DeleteAccount AccountId=1699…
    member [Name=Value ...]          -> Open("member", values)  the member plan's modal
    help                             -> Help()
    list                             -> List()
    status <request id>              -> Status(id)
    cancel <request id>              -> Cancel(id)
    anything else                    -> Usage(message)

Parsing is pure and never raises; the ``Usage`` message is plain words, safe to show
after :func:`bot.slack.views.text.escape` (it may quote what the user typed).
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from commands.catalog import Catalog, OperationParams

REASON_KEY = "reason"
MEMBER = "member"
MEMBER_FIELDS = ("AccountId", "BastionhostUsers")

# Request ids are ours (uuid-like); anything else is a typo, not something to look up.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_PARAM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,63}$")


@dataclass(frozen=True)
class Open:
    """Open the modal; with ``action`` set, already on that operation and filled."""

    action: str | None = None
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Help:
    """Show the help text."""


@dataclass(frozen=True)
class Status:
    """Show one request."""

    request_id: str


@dataclass(frozen=True)
class List:
    """List pending requests."""


@dataclass(frozen=True)
class Cancel:
    """Cancel one of the caller's own pending requests."""

    request_id: str


@dataclass(frozen=True)
class Usage:
    """The text did not parse; ``message`` says why (unescaped)."""

    message: str


Command = Open | Help | Status | List | Cancel | Usage


def parse_command(
    text: str,
    operations: Mapping[str, Collection[str]] | None = None,
    *,
    catalog: Catalog | None = None,
) -> Command:
    """Parse ``/offboard`` text.

    ``operations`` maps each operation name to the parameter names its modal has; by
    default it is read from ``catalog`` (the bot's, ``Deps.catalog``; the product's when
    none is given): every operation people may request, and its fields.
    Operation names match case-insensitively and come back in their canonical spelling;
    parameter names must be the API's own (``AccountId``), plus ``reason``.
    """
    try:
        words = shlex.split(text)
    except ValueError as exc:  # unbalanced quotes
        return Usage(f"Could not read the command: {exc}.")
    if not words:
        return Open()
    verb, args = words[0], words[1:]
    keyword = verb.lower()
    if keyword in {"help", "-h", "--help"}:
        return Help() if not args else Usage("`help` takes no arguments.")
    if keyword == "list":
        return List() if not args else Usage("`list` takes no arguments.")
    if keyword in {"status", "cancel"}:
        if len(args) != 1 or not _REQUEST_ID.fullmatch(args[0]):
            return Usage(f"`{keyword}` needs one request id, e.g. `/offboard {keyword} ID`.")
        # Ids are issued upper-case (OB-7K3Q2X9M); people type them in any case.
        request_id = args[0].upper()
        return Status(request_id) if keyword == "status" else Cancel(request_id)
    if catalog is None:
        # Imported here so parsing "help" never needs the catalog loaded.
        from commands.catalog import DEFAULT_CATALOG

        catalog = DEFAULT_CATALOG
    if keyword == MEMBER:  # the member plan (docs/INTERFACE.md, "Member plans")
        return _parse_open(MEMBER, args, {MEMBER: MEMBER_FIELDS}, catalog)
    if operations is None:
        operations = _operations(catalog)
    return _parse_open(verb, args, operations, catalog)


def _parse_open(
    verb: str, args: list[str], operations: Mapping[str, Collection[str]], catalog: Catalog
) -> Command:
    canonical = {name.lower(): name for name in operations}
    action = canonical.get(verb.lower())
    if action is None:
        read = _read_operation(verb, catalog)
        if read is not None:
            return Usage(
                f"`{read}` only reads: it needs no approval and is never a request. "
                f"Run it with `offboard-bot call {read} ...` on the bot's host."
            )
        known = ", ".join(sorted(operations))
        return Usage(f"Unknown operation or command `{verb}`. Operations: {known}.")
    allowed = set(operations[action]) | {REASON_KEY}
    values: dict[str, str] = {}
    for arg in args:
        name, sep, value = arg.partition("=")
        if not sep or not _PARAM_NAME.fullmatch(name):
            return Usage(f"Expected `Name=Value`, got `{arg}`.")
        if name not in allowed:
            return Usage(
                f"{action} has no parameter `{name}`. It takes: {', '.join(sorted(allowed))}."
            )
        if name in values:
            return Usage(f"`{name}` is given twice.")
        values[name] = value
    return Open(action, values)


def _operations(catalog: Catalog) -> dict[str, tuple[str, ...]]:
    return {
        action: _field_names(catalog.get(action).params_model) for action in catalog.requestable
    }


@functools.cache
def _field_names(model: type[OperationParams]) -> tuple[str, ...]:
    # Parsing runs before the ack, and deriving the fields of every operation from its
    # parameter model costs about 0.5 ms; a model class does not change, so they are kept.
    from commands.catalog.base import fields_of

    return tuple(f.name for f in fields_of(model))


def _read_operation(verb: str, catalog: Catalog) -> str | None:
    """The catalog's name of a read operation spelled ``verb`` (any case), if there is one."""
    found = [a for a, spec in catalog.specs.items() if a.lower() == verb.lower()]
    if found and not catalog.specs[found[0]].op_class.changes_cloud:
        return found[0]
    return None
