"""The error codes an API page documents, as data on the operation's spec.

Each ``ErrorCode`` holds what the page's "Error codes" table gives (the HTTP status and
the error message, verbatim) and one line Offboard adds: the next step for people, shown
in the thread under Code, Message and RequestId. ``commands.responses.error_for`` takes
the page's status over its generic rules for a documented code, so a 409
``AccountNotExist.DeleteAccount`` is a ``ConflictError``, not a not-found.

A next step may name request parameters as ``{AccountId}``; they are filled from the
request. ``{ServicePrincipal}`` may also come from a trusted service the cloud's Message
names. When a name cannot be filled, ``otherwise`` is used (it may only name parameters
the operation requires).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ErrorCode", "fill_next_step", "named_service"]


@dataclass(frozen=True)
class ErrorCode:
    """One row of a page's error table, and what people should do about it."""

    status: int  # the page's "HTTP status code"
    message: str  # the page's "Error message", verbatim
    next_step: str  # one line for people; ``{Name}`` filled from the request
    otherwise: str = ""  # the next step when a ``{Name}`` of ``next_step`` is unknown

    def names(self) -> tuple[set[str], set[str]]:
        """The ``{Name}`` placeholders of ``next_step`` and of ``otherwise``."""
        return _placeholders(self.next_step), _placeholders(self.otherwise)


# A trusted service identifier in a cloud Message, e.g. "cloudfw.aliyuncs.com".
_SERVICE = re.compile(
    r"(?<![A-Za-z0-9.-])[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9-]{1,63})*"
    r"\.aliyuncs\.com(?![A-Za-z0-9-]|\.[A-Za-z0-9])"
)


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def named_service(message: str | None) -> str | None:
    """The one trusted service a cloud Message names, or ``None`` (none, or several)."""
    found = set(_SERVICE.findall(message or ""))
    return found.pop() if len(found) == 1 else None


def _plain(value: Any) -> str | None:
    # Only scalars the catalog validated go into a command line (ids, service names).
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text if re.fullmatch(r"[A-Za-z0-9._-]{1,128}", text) else None


def fill_next_step(entry: ErrorCode, params: Mapping[str, Any], message: str | None = None) -> str:
    """``entry``'s next step with the request's ``params`` (and the Message) filled in."""
    values = {name: text for name, value in params.items() if (text := _plain(value))}
    service = named_service(message)
    if service is not None:
        values.setdefault("ServicePrincipal", service)
    for template in (entry.next_step, entry.otherwise):
        if template and _placeholders(template) <= values.keys():
            return template.format_map(values)
    # Only reached with parameters the operation requires missing: say it without them.
    return re.sub(r"\{(\w+)\}", r"<\1>", entry.otherwise or entry.next_step)
