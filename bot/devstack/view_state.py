"""A modal's ``view.state.values`` as Slack sends it when a person fills it in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def inputs(view: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every input element of ``view`` with its block_id, in order."""
    found: list[tuple[str, dict[str, Any]]] = []
    for block in view.get("blocks", []):
        if block.get("type") == "input" and "element" in block:
            found.append((block.get("block_id", ""), block["element"]))
        elif block.get("type") == "actions":
            found.extend((block.get("block_id", ""), e) for e in block.get("elements", []))
        elif block.get("type") == "section" and "accessory" in block:
            found.append((block.get("block_id", ""), block["accessory"]))
    return found


def input_element(view: Mapping[str, Any], block_id: str) -> dict[str, Any]:
    """The input element of block ``block_id``; KeyError when the view has none."""
    for found_id, element in inputs(view):
        if found_id == block_id:
            return element
    raise KeyError(f"the view has no input block {block_id!r}")


def option_of(element: Mapping[str, Any], value: str) -> dict[str, Any]:
    """The option of a select whose value is ``value`` (groups included)."""
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options.extend(group.get("options", []))
    for option in options:
        if option.get("value") == value:
            return dict(option)
    raise KeyError(f"no option {value!r} in {element.get('action_id')!r}")


def view_state(view: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """Slack's ``view.state.values`` for ``view`` with ``values`` typed in.

    Inputs not in ``values`` keep their initial value, as they would on screen.
    """
    state: dict[str, Any] = {}
    for block_id, element in inputs(view):
        kind = element.get("type", "")
        action_id = element.get("action_id", block_id)
        if kind == "plain_text_input":
            value = values.get(block_id, element.get("initial_value"))
            state[block_id] = {action_id: {"type": kind, "value": value}}
        elif kind in {"static_select", "radio_buttons"}:
            if block_id in values:
                selected: dict[str, Any] | None = option_of(element, values[block_id])
            else:
                selected = element.get("initial_option")
            state[block_id] = {action_id: {"type": kind, "selected_option": selected}}
    return state
