"""The one :class:`~commands.catalog.quirks.Reader`: read-only calls by action name.

Each read is validated by its catalog spec (the same door as the modal and the CLI) and
sent through the client, so it is retried as every read is (throttling, 5xx, network).
Anything that is not a READ is refused before it is built: a Reader cannot write. Quirks
(pre-checks, follow-ups, settling), the member plan and the worker read through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import BaseModel

from commands.catalog import DEFAULT_CATALOG, Catalog, OperationClass, validate_params
from commands.errors import ParameterError
from commands.responses import CallResult


class _Calls(Protocol):
    def call(self, spec: Any, params: BaseModel, /) -> CallResult: ...


class CloudReader:
    """Read-only calls through ``client`` (a ``CloudClient``) to the operations of
    ``catalog``; safe to share across threads as the client is."""

    def __init__(self, client: _Calls, catalog: Catalog = DEFAULT_CATALOG) -> None:
        self._client = client
        self._catalog = catalog

    def read(self, action: str, params: Mapping[str, Any], /) -> CallResult:
        """The answer of read-only ``action``; ``ParameterError`` for anything but a READ
        or for bad input, a ``CloudError`` when the cloud refuses or cannot be reached."""
        spec = self._catalog.get(action)
        if spec.op_class is not OperationClass.READ:
            raise ParameterError({"operation": f"{action} changes the cloud: a Reader only reads."})
        return self._client.call(spec, validate_params(spec, params))
