"""A :class:`~commands.catalog.quirks.Reader` over ``CloudClient``: reads by action name.

Each read is validated by its catalog spec (the same door as the modal and the CLI) and
sent through the client, so it is retried as every read is (throttling, 5xx, network).
Anything that changes the cloud is refused before it is built: a Reader cannot write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import BaseModel

from commands.catalog import get_spec, validate_params
from commands.errors import ParameterError
from commands.responses import CallResult


class _Calls(Protocol):
    def call(self, spec: Any, params: BaseModel, /) -> CallResult: ...


class CloudReader:
    """Read-only calls through ``client`` (a ``CloudClient``); safe to share across threads
    as the client is."""

    def __init__(self, client: _Calls) -> None:
        self._client = client

    def read(self, action: str, params: Mapping[str, Any], /) -> CallResult:
        """The answer of read-only ``action``; ``ParameterError`` for a write or bad input,
        a ``CloudError`` when the cloud refuses or cannot be reached."""
        spec = get_spec(action)
        if spec.op_class.changes_cloud:
            raise ParameterError({"operation": f"{action} changes the cloud: a Reader only reads."})
        return self._client.call(spec, validate_params(spec, params))
