"""The catalog: every operation by action, and turning raw input into parameters.

``validate_params`` is the one door from a Slack modal or the CLI into a parameter
model: it reports every field error at once, keyed by API parameter name, in words
a person understands (they map straight onto the modal's ``response_action: errors``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from commands.catalog import (
    bastionhost,
    bastionhost_users,
    bss,
    directory,
    resourcemanager,
    resourcemanager_members,
    sts,
)
from commands.catalog.base import OperationSpec, refusals_of
from commands.errors import ParameterError

_ALL: tuple[OperationSpec, ...] = (
    resourcemanager.SPECS
    + directory.SPECS
    + bss.SPECS
    + bastionhost.SPECS
    + sts.SPECS
    + resourcemanager_members.SPECS
    + bastionhost_users.SPECS
)


class Catalog:
    """A set of operation specs by action: what ``bot/`` is given (``Deps.catalog``) and
    asks, never a module of its own. ``with_specs`` makes a larger one (a test's fake
    operation); the product's is :data:`DEFAULT_CATALOG`.

    ``plan_only``: writes that only undo a member plan's step, never in the picker.
    """

    def __init__(self, specs: Iterable[OperationSpec], plan_only: Iterable[str] = ()) -> None:
        self._specs: tuple[OperationSpec, ...] = tuple(specs)
        self.specs: Mapping[str, OperationSpec] = MappingProxyType(
            {spec.action: spec for spec in self._specs}
        )
        if len(self.specs) != len(self._specs):
            raise ValueError("two specs share an action")
        self.plan_only: tuple[str, ...] = tuple(plan_only)
        # The operations that can change the cloud, in the catalog's order: each is asked
        # for as a request and approved by others; the rest are reads and plan-only writes.
        self.requestable: tuple[str, ...] = tuple(
            s.action for s in self._specs if s.op_class.changes_cloud and s.action not in plan_only
        )

    def get(self, action: str) -> OperationSpec:
        """The spec of ``action``; ``ParameterError({"operation": ...})`` if there is none."""
        spec = self.specs.get(action)
        if spec is None:
            raise ParameterError({"operation": "Unknown operation. Pick one from the list."})
        return spec

    def __contains__(self, action: object) -> bool:
        return action in self.specs

    def with_specs(self, *specs: OperationSpec) -> Catalog:
        """This catalog and ``specs`` (new actions only)."""
        return Catalog(self._specs + specs, self.plan_only)


# Writes that only undo a member plan's step (RegisterDelegatedAdministrator,
# AttachHostAccountsToUser): filed by a plan's rollback, never picked in the modal, since
# giving access back is not what people come to Offboard for.
PLAN_ONLY_ACTIONS: tuple[str, ...] = resourcemanager_members.PLAN_ONLY + bastionhost_users.PLAN_ONLY

DEFAULT_CATALOG = Catalog(_ALL, PLAN_ONLY_ACTIONS)
CATALOG: Mapping[str, OperationSpec] = DEFAULT_CATALOG.specs
REQUESTABLE_ACTIONS: tuple[str, ...] = DEFAULT_CATALOG.requestable

# uuid5 namespace of the BssOpenApi RequestIds we derive from our own request ids.
# Fixed forever: changing it would change the RequestId a stored request is shown with
# on its card and sent with. (The BssOpenApi pages promise no de-duplication by it.)
BSS_REQUEST_ID_NAMESPACE = uuid.UUID("6f1f8a52-3c1e-5b7e-9d4a-0ffb0a4d0001")


def get_spec(action: str) -> OperationSpec:
    """The spec of ``action`` in :data:`DEFAULT_CATALOG` (``commands`` and tests; ``bot/``
    asks the catalog it was given)."""
    return DEFAULT_CATALOG.get(action)


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple):
        return bool(value)
    return True


def _message(error: ErrorDetails, action: str) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        text = "Required."
    elif kind == "extra_forbidden":
        text = f"Not a parameter of {action}."
    elif kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "")
        text = f"Must be one of {expected}." if "," in expected else f"Must be {expected}."
    elif kind == "value_error":
        text = error["msg"].removeprefix("Value error, ")
    elif kind in {"bool_parsing", "bool_type"}:
        text = "Must be true or false."
    elif kind in {"list_type"}:
        text = "Must be a list."
    elif kind in {"string_type"}:
        text = "Must be text."
    elif kind.startswith("int_"):
        text = "Must be a whole number."
    else:
        text = error["msg"]
    # An error inside a list names the item: ("PermissionCodes", 1) -> "Item 2: ...".
    rest = [part for part in error["loc"][1:] if isinstance(part, int)]
    if rest:
        text = f"Item {rest[0] + 1}: {text[0].lower()}{text[1:]}"
    return text


def _key(error: ErrorDetails) -> str:
    if error["loc"]:
        return str(error["loc"][0])
    ctx = error.get("ctx") or {}
    return str(ctx.get("field", "operation"))


def validate_params(spec: OperationSpec, raw: Mapping[str, Any]) -> BaseModel:
    """Raw strings (or a stored ``model_dump``) to ``spec``'s parameter model.

    Empty strings count as absent. Lists may be JSON arrays or comma-separated text.
    Raises ``ParameterError`` with every field error at once, keyed by API parameter
    name (a rule spanning fields is keyed on the field the API page names first).
    A parameter people may not give (``param(refused=...)``: BssOpenApi's RequestId,
    ModifyAccountRelation's RoleCodes) is refused at its field.
    """
    if not isinstance(raw, Mapping):
        raise ParameterError({"operation": "Parameters must be name=value pairs."})
    given = {str(name): value for name, value in raw.items() if _present(value)}
    model = spec.params_model
    errors = {name: why for name, why in refusals_of(model).items() if name in given}
    try:
        params = model.model_validate(given)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            errors.setdefault(_key(error), _message(error, spec.action))
        for key, message in model.presence_errors(set(given)).items():
            errors.setdefault(key, message)
    if errors:
        raise ParameterError(errors)
    return params


def prepare_params(
    spec: OperationSpec, params: BaseModel, *, offboard_request_id: str
) -> BaseModel:
    """Set the operation's own request key (BssOpenApi ``RequestId``); people never type it.

    The value is ``uuid5`` of our own request id, so the card shows the RequestId that
    is signed, and every attempt of the same Offboard request carries the same one.
    """
    name = spec.idempotency_param
    if name is None:
        return params
    value = str(uuid.uuid5(BSS_REQUEST_ID_NAMESPACE, offboard_request_id))
    return params.model_copy(update={name: value})
