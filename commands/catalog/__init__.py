"""The operation catalog: one declarative spec per Alibaba Cloud API operation.

    CATALOG              every operation by action (destructive and read-only)
    DESTRUCTIVE_ACTIONS  the five destructive operations of DESIGN.md, in its order
    get_spec(action)     the spec, or ParameterError({"operation": ...})
    validate_params      raw modal/CLI input -> the operation's parameter model
    prepare_params       fills BssOpenApi's RequestId from our own request id

A new operation is one spec (in the module of its product) and its tests.
"""

from commands.catalog.base import FieldSpec, OperationParams, OperationSpec, ResponseModel
from commands.catalog.registry import (
    CATALOG,
    DESTRUCTIVE_ACTIONS,
    get_spec,
    prepare_params,
    validate_params,
)

__all__ = [
    "CATALOG",
    "DESTRUCTIVE_ACTIONS",
    "FieldSpec",
    "OperationParams",
    "OperationSpec",
    "ResponseModel",
    "get_spec",
    "prepare_params",
    "validate_params",
]
