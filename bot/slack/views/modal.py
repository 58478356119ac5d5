"""The ``/offboard`` modal: the operation picker and one operation's parameters.

Ids are fixed by DESIGN.md: the picker's ``block_id``/``action_id`` are ``operation``;
each parameter input's ``block_id``/``action_id`` is the API parameter's own name
(``AccountId``, ``Hosts``...); the reason is ``reason``. Both views share
:data:`CALLBACK_ID`, so one ``view_submission`` listener serves them.

The picker is an *input* block with ``dispatch_action: true``: choosing an operation
sends ``block_actions`` (the app answers with ``views.update`` to
:func:`build_operation_modal`), and, unlike an actions block, it can carry a
``response_action: errors`` message ("Only input blocks can carry them"). Reusing the
same block and action ids across ``views.update`` keeps what the user typed (Slack:
"Preserving input entry").

:func:`parse_submission` reads only ``view.state.values``; :func:`field_errors_for_slack`
turns a :class:`~commands.errors.ParameterError` into the ``errors`` object, keyed by the
``block_id`` of input blocks that exist in the submitted view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.slack.bounds import too_deep
from bot.slack.views.text import (
    MAX_MODAL_TITLE,
    MAX_OPTION_TEXT,
    MAX_OPTION_VALUE,
    MAX_PLACEHOLDER,
    MAX_PRIVATE_METADATA,
    mrkdwn_safe,
    plain_text,
    section,
    truncate,
)
from commands.catalog import REQUESTABLE_ACTIONS, FieldSpec, OperationSpec, validate_params
from commands.errors import ParameterError

CALLBACK_ID = "offboard_request"
OPERATION = "operation"  # block_id and action_id of the picker (DESIGN.md)
REASON = "reason"  # block_id and action_id of the reason input (DESIGN.md)

TITLE = "Offboard request"
SUBMIT = "Request approval"
PICKER_SUBMIT = "Next"
CLOSE = "Cancel"

# Slack: plain_text_input initial_value/max_length are at most 3000; labels 2000.
MAX_INPUT = 3000
MAX_LABEL = 2000
MAX_REASON = 1000
MAX_ERROR = 500


@dataclass(frozen=True)
class Submission:
    """What the user submitted: raw strings, validated later by the catalog."""

    action: str
    raw_params: dict[str, str]
    reason: str | None
    private_metadata: str = ""


def build_picker(
    initial_values: Mapping[str, str] | None = None,
    *,
    private_metadata: str = "",
    actions: Sequence[str] = REQUESTABLE_ACTIONS,
) -> dict[str, Any]:
    """The first view: only the operation picker.

    ``initial_values.get("operation")`` preselects an operation when it is one of
    ``actions`` (default: the catalog's destructive operations).
    """
    chosen = (initial_values or {}).get(OPERATION)
    blocks = [
        section("Pick the operation to request. Its parameters appear once you choose."),
        _picker_block(actions, chosen),
    ]
    return _view(blocks, private_metadata, submit=PICKER_SUBMIT)


def build_operation_modal(
    spec: OperationSpec,
    *,
    values: Mapping[str, str],
    private_metadata: str,
    actions: Sequence[str] = REQUESTABLE_ACTIONS,
) -> dict[str, Any]:
    """The modal for one operation, filled with ``values`` (raw strings by parameter name).

    Holds the picker (preselected), one input per ``spec.fields()``, a plain statement of
    what will happen (``spec.summary`` once ``values`` validate, ``spec.danger``) and, for
    an operation DESIGN.md lists as destructive, a required ``reason`` input (prefilled
    from ``values["reason"]``).
    """
    blocks: list[dict[str, Any]] = [_picker_block(actions, spec.action)]
    blocks.append(section(_statement(spec, values)))
    blocks.extend(_input_block(f, values.get(f.name)) for f in spec.fields())
    if spec.op_class.changes_cloud:
        blocks.append(
            {
                "type": "input",
                "block_id": REASON,
                "label": plain_text("Reason", MAX_LABEL),
                "hint": plain_text(
                    "Shown to approvers and kept in the audit log. A few real words.", MAX_LABEL
                ),
                "element": _text_input(
                    REASON, values.get(REASON), multiline=True, max_length=MAX_REASON
                ),
            }
        )
    return _view(blocks, private_metadata, submit=SUBMIT)


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


def _statement(spec: OperationSpec, values: Mapping[str, str]) -> str:
    lines = [f"*This asks for `{spec.action}` ({spec.product} API {spec.version}).*"]
    summary = _summary(spec, values)
    if summary:
        lines.append(mrkdwn_safe(summary, 1000))
    if spec.danger:
        lines.append(f":warning: {mrkdwn_safe(spec.danger, 1200)}")
    lines.append(
        "Nothing runs when you submit: the request is posted for approval, and the call "
        "is made only after enough other people approve it."
    )
    return "\n".join(lines)


def _summary(spec: OperationSpec, values: Mapping[str, str]) -> str | None:
    """``spec.summary`` of the prefilled values, when they are already valid."""
    raw = {name: value for name, value in values.items() if name != REASON}
    if not raw or any(too_deep(value) for value in raw.values()):
        return None  # a value nested too deep is refused at submission, never decoded
    try:
        return spec.summary(validate_params(spec, raw))
    except ParameterError:
        return None  # the user fixes it in the form; errors come back on submit


def _view(blocks: list[dict[str, Any]], private_metadata: str, *, submit: str) -> dict[str, Any]:
    if len(private_metadata) > MAX_PRIVATE_METADATA:
        # Slack refuses views.open with more; silently cutting would corrupt it.
        raise ValueError("private_metadata is longer than Slack's 3000 characters")
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain_text(TITLE, MAX_MODAL_TITLE),
        "submit": plain_text(submit, MAX_MODAL_TITLE),
        "close": plain_text(CLOSE, MAX_MODAL_TITLE),
        "blocks": blocks,
    }
    if private_metadata:
        view["private_metadata"] = private_metadata
    return view


def _picker_block(actions: Sequence[str], chosen: str | None) -> dict[str, Any]:
    options = [_option(action, action) for action in actions]
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": OPERATION,
        "placeholder": plain_text("Choose an operation", MAX_PLACEHOLDER),
        "options": options,
    }
    if chosen in actions:
        element["initial_option"] = _option(str(chosen), str(chosen))
    return {
        "type": "input",
        "block_id": OPERATION,
        "dispatch_action": True,
        "label": plain_text("Operation", MAX_LABEL),
        "element": element,
    }


def _input_block(f: FieldSpec, value: str | None) -> dict[str, Any]:
    element: dict[str, Any]
    if f.kind == "select" and f.options and not f.multiple:
        element = {
            "type": "static_select",
            "action_id": f.name,
            "options": [_option(option, option) for option in f.options],
        }
        if value in f.options:
            element["initial_option"] = _option(str(value), str(value))
    else:
        # A list parameter is typed as comma-separated text or a JSON array (catalog).
        element = _text_input(f.name, value, multiline=f.kind == "multiline")
    if f.placeholder:
        element["placeholder"] = plain_text(f.placeholder, MAX_PLACEHOLDER)
    block: dict[str, Any] = {
        "type": "input",
        "block_id": f.name,
        "label": plain_text(f.label or f.name, MAX_LABEL),
        "optional": not f.required,
        "element": element,
    }
    if f.hint:
        block["hint"] = plain_text(f.hint, MAX_LABEL)
    return block


def _text_input(
    action_id: str, value: str | None, *, multiline: bool, max_length: int | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
    }
    if max_length is not None:
        element["max_length"] = max_length
    # A form value is sent back as typed, never rendered: it is not escaped. One longer
    # than the input allows (Slack: at most 3000) is dropped rather than cut, so nothing
    # is ever submitted silently altered.
    if value and len(value) <= (max_length or MAX_INPUT):
        element["initial_value"] = value
    return element


def _option(value: str, label: str) -> dict[str, Any]:
    if len(value) > MAX_OPTION_VALUE:
        raise ValueError(f"option value longer than Slack's {MAX_OPTION_VALUE}: {value[:40]}…")
    return {"text": plain_text(label, MAX_OPTION_TEXT), "value": value}


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
