"""The ``/offboard`` modal: the operation picker and one operation's parameters.

Ids are an interface (docs/INTERFACE.md, "Slack identifiers"): the picker's
``block_id``/``action_id`` are ``operation``;
each parameter input's ``block_id``/``action_id`` is the API parameter's own name
(``AccountId``, ``Hosts``...); the reason is ``reason``. Both views share
:data:`CALLBACK_ID`, so one ``view_submission`` listener serves them.

The picker is an *input* block with ``dispatch_action: true``: choosing an operation
sends ``block_actions`` (the app answers with ``views.update`` to
:func:`build_operation_modal`), and, unlike an actions block, it can carry a
``response_action: errors`` message ("Only input blocks can carry them"). Reusing the
same block and action ids across ``views.update`` keeps what the user typed (Slack:
"Preserving input entry").

Reading what comes back (:func:`parse_submission`, :func:`field_errors_for_slack`) and
the ids live in :mod:`bot.slack.views.submission`; they are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.slack.bounds import too_deep
from bot.slack.views.plan_modals import MEMBER, MEMBER_LABEL

# Re-exported: callers build views and read them back through this one module.
from bot.slack.views.submission import CALLBACK_ID as CALLBACK_ID
from bot.slack.views.submission import MAX_ERROR as MAX_ERROR
from bot.slack.views.submission import OPERATION as OPERATION
from bot.slack.views.submission import REASON as REASON
from bot.slack.views.submission import Submission as Submission
from bot.slack.views.submission import field_errors_for_slack as field_errors_for_slack
from bot.slack.views.submission import is_picker as is_picker
from bot.slack.views.submission import parse_submission as parse_submission
from bot.slack.views.submission import selected_operation as selected_operation
from bot.slack.views.text import (
    MAX_MODAL_TITLE,
    MAX_OPTION_TEXT,
    MAX_OPTION_VALUE,
    MAX_PLACEHOLDER,
    MAX_PRIVATE_METADATA,
    mrkdwn_safe,
    plain_text,
    section,
)
from commands.catalog import REQUESTABLE_ACTIONS, FieldSpec, OperationSpec, validate_params
from commands.errors import ParameterError

TITLE = "Offboard request"
SUBMIT = "Request approval"
PICKER_SUBMIT = "Next"
CLOSE = "Cancel"

# Slack: plain_text_input initial_value/max_length are at most 3000; labels 2000.
MAX_INPUT = 3000
MAX_LABEL = 2000
MAX_REASON = 1000


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
    an operation the catalog classes as destructive, a required ``reason`` input (prefilled
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
    options.append(_option(MEMBER, MEMBER_LABEL))  # the member plan: a modal of its own
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
