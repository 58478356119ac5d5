"""How the official SDKs put parameters on the wire, for the specs' ``serialize``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel


def scalar(value: Any) -> str:
    """Tea's ``Utils.query`` renders scalars with ``str()`` (so a bool is ``True``)."""
    return str(value)


def repeat_list(name: str, values: Sequence[Any]) -> dict[str, str]:
    """A list passed straight to ``Utils.query``: ``Name.1``, ``Name.2``, ..."""
    return {f"{name}.{index}": scalar(value) for index, value in enumerate(values, start=1)}


def json_list(values: Sequence[Any]) -> str:
    """``array_to_string_with_specified_style(..., 'json')``: compact JSON, UTF-8 kept."""
    return json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))


def flat(params: BaseModel, *, lists: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every set field as the SDK sends it; ``lists`` maps list fields to "repeat"/"json"."""
    out: dict[str, str] = {}
    styles = lists or {}
    for name in type(params).model_fields:
        value = getattr(params, name)
        if value is None:
            continue
        style = styles.get(name)
        if style == "repeat":
            out.update(repeat_list(name, value))
        elif style == "json":
            out[name] = json_list(value)
        else:
            out[name] = scalar(value)
    return out
