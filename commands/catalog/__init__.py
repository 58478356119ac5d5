"""The operation catalog: one declarative spec per Alibaba Cloud API operation.

    Catalog              a set of specs by action: get, requestable, with_specs
    DEFAULT_CATALOG      the product's (``bot/`` is given one in ``Deps.catalog``)
    CATALOG              every operation by action (read, write and destructive)
    REQUESTABLE_ACTIONS  the operations that change the cloud (each is an approved request)
    PLAN_ONLY_ACTIONS    writes that only undo a member plan's step (never in the picker)
    OperationClass       read / write / destructive, declared by every spec
    get_spec(action)     the spec, or ParameterError({"operation": ...})
    validate_params      raw modal/CLI input -> the operation's parameter model
    prepare_params       fills BssOpenApi's RequestId from our own request id
    spec.errors          the API page's error codes: status, message, next step for people
    spec.next_step(code, params, message)   that next step, filled from the request
    spec.quirks          what one operation does beyond a call (quirks.py, <product>_quirks.py)

A new operation is one spec (in the module of its product) and its tests.
"""

from commands.catalog.base import (
    FieldSpec,
    OperationClass,
    OperationParams,
    OperationSpec,
    ResponseModel,
)
from commands.catalog.registry import (
    CATALOG,
    DEFAULT_CATALOG,
    PLAN_ONLY_ACTIONS,
    REQUESTABLE_ACTIONS,
    Catalog,
    get_spec,
    prepare_params,
    validate_params,
)

__all__ = [
    "CATALOG",
    "DEFAULT_CATALOG",
    "PLAN_ONLY_ACTIONS",
    "REQUESTABLE_ACTIONS",
    "Catalog",
    "FieldSpec",
    "OperationClass",
    "OperationParams",
    "OperationSpec",
    "ResponseModel",
    "get_spec",
    "prepare_params",
    "validate_params",
]
