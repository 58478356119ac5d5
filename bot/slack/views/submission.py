"""What comes back from the ``/offboard`` modal: its ids, and reading a submission.

Ids are an interface (docs/INTERFACE.md, "Slack identifiers"): the picker's
``block_id``/``action_id`` are ``operation``;
each parameter input's are the API parameter's own name; the reason is ``reason``. Both
views share :data:`CALLBACK_ID`, so one ``view_submission`` listener serves them.

:func:`parse_submission` reads only ``view.state.values``, whatever else the payload
holds; :func:`field_errors_for_slack` turns a :class:`~commands.errors.ParameterError`
into the ``errors`` object, keyed by the ``block_id`` of input blocks that exist in the
submitted view (Slack: errors go to "the block_id of an input block").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.slack.views.text import truncate
from commands.errors import ParameterError

CALLBACK_ID = "offboard_request"
OPERATION = "operation"  # block_id and action_id of the picker (docs/INTERFACE.md)
REASON = "reason"  # block_id and action_id of the reason input (docs/INTERFACE.md)
MAX_ERROR = 500


@dataclass(frozen=True)
class Submission:
    """What the user submitted: raw strings, validated later by the catalog."""

    action: str
    raw_params: dict[str, str]
    reason: str | None
    private_metadata: str = ""


def parse_submission(view: Mapping[str, Any]) -> Submission:
    """Read a ``view_submission`` (or ``block_actions``) view's state.

    Empty inputs are left out of ``raw_params``; values are stripped of surrounding
    whitespace. Raises :class:`ParameterError` (keyed ``operation``) when no operation
    is chosen or the payload is not a view state at all.
    """
    try:
        state: Mapping[str, Mapping[str, Mapping[str, Any]]] = view["state"]["values"]
        values = {block_id: _element_value(elements) for block_id, elements in state.items()}
    except (KeyError, TypeError, AttributeError) as exc:
        raise ParameterError({OPERATION: "The form could not be read; open it again."}) from exc
    action = values.pop(OPERATION, None)
    if not action:
        raise ParameterError({OPERATION: "Pick an operation."})
    reason = values.pop(REASON, None)
    raw = {name: value for name, value in values.items() if value}
    metadata = view.get("private_metadata")
    return Submission(
        action=action,
        raw_params=raw,
        reason=reason or None,
        private_metadata=metadata if isinstance(metadata, str) else "",
    )


def selected_operation(body: Mapping[str, Any]) -> str | None:
    """The operation chosen in a picker ``block_actions`` payload, if any."""
    for act in body.get("actions") or []:
        if isinstance(act, Mapping) and act.get("action_id") == OPERATION:
            option = act.get("selected_option")
            if isinstance(option, Mapping) and isinstance(option.get("value"), str):
                return str(option["value"])
    return None


def is_picker(view: Mapping[str, Any]) -> bool:
    """True for the picker view (no parameter or reason inputs yet), as submitted."""
    return all(block_id == OPERATION for block_id in _input_block_ids(view))


def field_errors_for_slack(
    error: ParameterError, view: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """The ``errors`` object for ``ack(response_action="errors", errors=...)``.

    Slack keys errors by "the ``block_id`` of an input block". When ``view`` (the
    submitted view, with its ``blocks``) is given, an error on a parameter that has no
    input there (a cross-field rule, a stale form) is moved to the ``operation`` picker,
    or to the first input, prefixed with the parameter's name. Without ``view`` every key
    is assumed to exist. Messages are plain text, cut to a readable length.
    """
    inputs = None if view is None else _input_block_ids(view)
    errors: dict[str, list[str]] = {}
    for name, message in error.field_errors.items():
        if inputs is None or name in inputs:
            errors.setdefault(name, []).append(message)
            continue
        fallback = OPERATION if OPERATION in inputs else (inputs[0] if inputs else OPERATION)
        errors.setdefault(fallback, []).append(f"{name}: {message}")
    return {key: truncate(" ".join(msgs), MAX_ERROR) for key, msgs in errors.items()}


def _element_value(elements: Mapping[str, Mapping[str, Any]]) -> str | None:
    # One element per input block; the key is its action_id (same as block_id here).
    for element in elements.values():
        option = element.get("selected_option")
        if isinstance(option, Mapping):
            return str(option.get("value") or "") or None
        value = element.get("value")
        return value.strip() if isinstance(value, str) else None
    return None


def _input_block_ids(view: Mapping[str, Any]) -> list[str]:
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return []
    return [
        str(b["block_id"])
        for b in blocks
        if isinstance(b, Mapping) and b.get("type") == "input" and b.get("block_id")
    ]
