"""What an operation is: its spec, its parameter model, its modal fields.

An operation is data (botocore's service model is the pattern): product, API version,
action, a pydantic parameter model whose field names are the API parameter names,
a one-line summary for people, why it is dangerous, and how the official SDK puts
its parameters on the wire. ``commands.catalog.registry`` collects the specs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError, PydanticUndefined

from commands.catalog.error_codes import ErrorCode, fill_next_step
from commands.catalog.quirks import NO_QUIRKS, Quirks

# The wire helpers moved to commands.catalog.wire; still importable from here.
from commands.catalog.wire import flat as flat
from commands.catalog.wire import json_list as json_list
from commands.catalog.wire import repeat_list as repeat_list
from commands.catalog.wire import scalar as scalar
from commands.endpoints import Product

FieldKind = Literal["text", "select", "multiline"]


class OperationClass(StrEnum):
    """What a call does to the cloud. Every spec declares it; nothing is inferred.

    "Not destructive" never means "read": a write changes the cloud and is approved by
    someone other than the requester, just by fewer people than a destructive call.
    """

    READ = "read"  # looks only: runs without approval (pre-checks, look-ups, the CLI)
    WRITE = "write"  # changes the cloud: OFFBOARD_REQUIRED_WRITE_APPROVALS (at least 1)
    DESTRUCTIVE = "destructive"  # OFFBOARD_REQUIRED_APPROVALS

    @property
    def changes_cloud(self) -> bool:
        return self is not OperationClass.READ


class OperationParams(BaseModel):
    """Base of every parameter model: immutable, unknown parameters refused.

    ``requires_one_of`` declares "either X, or all of Y and Z" rules the API pages
    state across fields: ``(error_key, message, ((X,), (Y, Z)))``. They are checked
    here (for models built directly) and by ``validate_params`` on the raw input,
    so such an error is reported together with every other field error.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    requires_one_of: ClassVar[tuple[tuple[str, str, tuple[tuple[str, ...], ...]], ...]] = ()

    @model_validator(mode="after")
    def _check_requires_one_of(self) -> OperationParams:
        present = {name for name in type(self).model_fields if getattr(self, name) is not None}
        for key, message in self.presence_errors(present).items():
            raise PydanticCustomError("requires_one_of", message, {"field": key})
        return self

    @classmethod
    def presence_errors(cls, present: set[str]) -> dict[str, str]:
        """The ``requires_one_of`` rules broken by a set of given parameter names."""
        errors: dict[str, str] = {}
        for key, message, groups in cls.requires_one_of:
            if not any(set(group) <= present for group in groups):
                errors.setdefault(key, message)
        return errors


class ResponseModel(BaseModel):
    """Base of response models: lenient, the cloud may add fields at any time."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


def param(
    label: str,
    *,
    example: str,
    hint: str = "",
    required: bool = True,
    kind: FieldKind | None = None,
    refused: str = "",
) -> Any:
    """A pydantic ``Field`` carrying what the modal shows: label, hint, the page's example.

    ``refused``: people may not give this parameter (Offboard sets it, or the page says
    it cannot be used); it has no modal input and ``validate_params`` refuses it at its
    field with this message.
    """
    extra: dict[str, Any] = {"kind": kind} if kind else {}
    if refused:
        extra["refused"] = refused
    return Field(
        default=PydanticUndefined if required else None,
        title=label,
        description=hint,
        examples=[example],
        json_schema_extra=extra or None,
    )


@dataclass(frozen=True)
class FieldSpec:
    """One input of an operation's modal. ``name`` is the API parameter name."""

    name: str
    label: str
    required: bool
    hint: str
    placeholder: str
    kind: FieldKind
    options: tuple[str, ...] = ()
    multiple: bool = False  # a list parameter: JSON array or comma-separated text


def _literal_options(annotation: Any) -> tuple[tuple[str, ...], bool]:
    """(enum options, is a list) for ``Literal[...]``, ``list[Literal[...]]`` and Optionals."""
    origin = get_origin(annotation)
    if origin is Literal:
        return tuple(str(a) for a in get_args(annotation)), False
    if origin is list:
        options, _ = _literal_options(get_args(annotation)[0])
        return options, True
    for arg in get_args(annotation):
        if arg is type(None):
            continue
        options, multiple = _literal_options(arg)
        if options or multiple:
            return options, multiple
    return (), False


def refusals_of(model: type[BaseModel]) -> dict[str, str]:
    """The parameters people may not give (``param(refused=...)``), with the reason."""
    refusals: dict[str, str] = {}
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if extra.get("refused"):
            refusals[name] = str(extra["refused"])
    return refusals


def fields_of(model: type[BaseModel]) -> list[FieldSpec]:
    """The modal inputs of a parameter model, in declaration order (refused ones left out)."""
    specs: list[FieldSpec] = []
    refused = refusals_of(model)
    for name, info in model.model_fields.items():
        if name in refused:
            continue
        options, multiple = _literal_options(info.annotation)
        if info.annotation in (bool, bool | None):
            options = ("true", "false")
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        kind: FieldKind = "select" if options and not multiple else "text"
        if extra.get("kind") == "multiline":
            kind = "multiline"
        hint = info.description or ""
        if multiple and options:
            hint = (hint + " " if hint else "") + "Comma-separated, any of: " + ", ".join(options)
        elif multiple:
            hint = (hint + " " if hint else "") + "Comma-separated or a JSON array."
        specs.append(
            FieldSpec(
                name=name,
                label=info.title or name,
                required=info.is_required(),
                hint=hint,
                placeholder=str(info.examples[0]) if info.examples else "",
                kind=kind,
                options=options,
                multiple=multiple,
            )
        )
    return specs


@dataclass(frozen=True)
class OperationSpec:
    """One API operation as data. See docs/ARCHITECTURE.md "catalog"."""

    action: str
    product: Product
    version: str
    params_model: type[OperationParams]
    summary: Callable[[Any], str]
    serialize: Callable[[Any], dict[str, str]]
    response_model: type[ResponseModel]
    # The declared class: the most this operation can do to the cloud. Required, so a new
    # operation cannot be read-only by omission.
    op_class: OperationClass
    # When the class depends on the parameters (ModifyAccountRelation: DELETE is
    # destructive, ADD a write): never more than ``op_class``.
    class_when: Callable[[Any], OperationClass] | None = None
    danger: str = ""
    idempotency_param: str | None = None
    regional: bool = False
    # The page's error table: code -> status, message and Offboard's next step.
    errors: Mapping[str, ErrorCode] = field(default_factory=dict)
    # Pre-checks, follow-up, settling an unknown outcome, per-item failures (quirks.py).
    quirks: Quirks = NO_QUIRKS

    def classify(self, params: BaseModel) -> OperationClass:
        """The class of this call with these parameters."""
        if self.class_when is None:
            return self.op_class
        found = self.class_when(params)
        order = list(OperationClass)
        if order.index(found) > order.index(self.op_class):
            raise ValueError(f"{self.action}: {found} exceeds the declared {self.op_class}")
        return found

    def is_destructive(self, params: BaseModel) -> bool:
        """Whether this call needs OFFBOARD_REQUIRED_APPROVALS."""
        return self.classify(params) is OperationClass.DESTRUCTIVE

    def changes_cloud(self, params: BaseModel) -> bool:
        """Whether this call needs approval at all (every write does)."""
        return self.classify(params).changes_cloud

    def documented_status(self, code: str | None, /) -> int | None:
        """The HTTP status this operation's page gives ``code``; ``None`` if undocumented."""
        entry = self.errors.get(code or "")
        return entry.status if entry is not None else None

    def next_step(
        self, code: str | None, params: Mapping[str, Any], message: str | None = None
    ) -> str | None:
        """The next step for people after the cloud answered ``code``; ``None`` when the
        page does not document it. ``params`` are the request's, ``message`` the cloud's."""
        entry = self.errors.get(code or "")
        return fill_next_step(entry, params, message) if entry is not None else None

    def fields(self) -> list[FieldSpec]:
        """The modal inputs, one per API parameter, in the order of the API page."""
        return fields_of(self.params_model)

    def parse_response(self, body: Mapping[str, Any]) -> ResponseModel:
        """The lenient response model of a successful answer's body."""
        return self.response_model.model_validate(dict(body))


def spec_factory(
    product: Product, version: str, *, regional: bool = False
) -> Callable[..., OperationSpec]:
    """``OperationSpec(action, params_model, response_model, **rest)`` for one product."""

    def make(
        action: str, model: type[OperationParams], response: type[ResponseModel], **kw: Any
    ) -> OperationSpec:
        return OperationSpec(
            action=action,
            product=product,
            version=version,
            params_model=model,
            response_model=response,
            regional=regional,
            **kw,
        )

    return make
