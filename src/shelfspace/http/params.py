"""Path and query parameters of the hot routes: read, validated and documented from one declaration.

A hot endpoint (`http/fast_lane.py`) takes the request alone, so FastAPI no longer reads
its parameters from the signature. Each `Param` validates with pydantic as FastAPI would
(the same 422 naming `query.img` or `path.event`, the same messages) and gives its OpenAPI
parameter object, so the document stays what it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request

T = TypeVar("T")
MISSING: Any = object()


@dataclass(frozen=True)
class Param(Generic[T]):
    where: Literal["path", "query"]
    name: str
    kind: Any  # a type pydantic validates, e.g. `bool` or `Annotated[str, Field(max_length=10)]`
    description: str
    default: Any = MISSING  # path parameters are always required
    adapter: TypeAdapter[T] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "adapter", TypeAdapter(self.kind))

    def read(self, request: Request) -> T:
        raw = (request.path_params if self.where == "path" else request.query_params).get(self.name)
        if raw is None:
            if self.default is MISSING:
                raise RequestValidationError(
                    [{"type": "missing", "loc": (self.where, self.name), "msg": "Field required", "input": None}]
                )
            return self.default  # type: ignore[no-any-return]
        try:
            return self.adapter.validate_python(raw)
        except ValidationError as invalid:
            raise RequestValidationError(
                [error | {"loc": (self.where, self.name, *error["loc"])} for error in invalid.errors(include_url=False)]
            ) from None

    def openapi(self) -> dict[str, Any]:
        schema = _inline(self.adapter.json_schema()) | {"title": self.name.replace("_", " ").title()}
        if self.default is not MISSING:
            schema["default"] = self.default
        return {
            "name": self.name,
            "in": self.where,
            "required": self.default is MISSING,
            "description": self.description,
            "schema": schema,
        }


def read_all(request: Request, *params: Param[Any]) -> list[Any]:
    """Every parameter's value; if any is bad, one 422 that names each bad one, as FastAPI does."""
    values: list[Any] = []
    errors: list[Any] = []
    for param in params:
        try:
            values.append(param.read(request))
        except RequestValidationError as invalid:
            errors.extend(invalid.errors())
    if errors:
        raise RequestValidationError(errors)
    return values


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its `$defs` written in place (an enum's), so that no reference in
    the OpenAPI document points inside a parameter."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(schema)  # type: ignore[no-any-return]


def documented_params(*params: Param[Any]) -> dict[str, Any]:
    """A route's `openapi_extra`: its parameters are `params`."""
    return {"parameters": [p.openapi() for p in params]}
