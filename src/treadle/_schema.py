"""Schemas: a thin, cached wrapper over pydantic's TypeAdapter that validates and dumps to JSON."""

from __future__ import annotations

from typing import Any, cast

from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from .errors import SchemaValidationError, ValidationIssue

__all__ = ["Schema", "format_issues", "issues_of"]

_cache: dict[Any, Schema] = {}


class Schema:
    """Validates python values against a type and dumps them to plain JSON values.

    `Schema.of(None)` (and `Any`) accepts everything and passes values through untouched.
    """

    __slots__ = ("_adapter", "_model", "_serializer", "_validator", "is_any", "type")

    def __init__(self, tp: Any) -> None:
        self.type = tp
        self.is_any = tp is None or tp is Any
        self._model: type[BaseModel] | None = (
            cast(type[BaseModel], tp)
            if isinstance(tp, type) and issubclass(cast(type, tp), BaseModel)
            else None
        )
        self._adapter: TypeAdapter[Any] | None = (
            None if self.is_any or self._model is not None else TypeAdapter(cast(Any, tp))
        )
        # The core validator/serializer directly: the BaseModel wrappers cost 2-3x as much.
        if self._model is not None:
            self._validator: Any = self._model.__pydantic_validator__
            self._serializer: Any = self._model.__pydantic_serializer__
        elif self._adapter is not None:
            self._validator = self._adapter.validator
            self._serializer = self._adapter.serializer
        else:
            self._validator = self._serializer = None

    @classmethod
    def of(cls, tp: Any) -> Schema:
        if isinstance(tp, Schema):
            return tp
        try:
            found = _cache.get(tp)
        except TypeError:  # unhashable annotation: build it each time
            return cls(tp)
        if found is None:
            found = _cache[tp] = cls(tp)
        return found

    def validate(self, value: Any) -> Any:
        """Return the validated (parsed) value; raise pydantic's ValidationError."""
        if self.is_any:
            return value
        model = self._model
        if model is not None and type(value) is not dict:
            if type(value) is model:
                return value
            if isinstance(value, BaseModel):
                value = value.model_dump()
        return self._validator.validate_python(value)

    def dump(self, value: Any) -> Any:
        """Plain JSON-compatible value (dicts, lists, str, numbers, bool, None)."""
        if self._serializer is not None:
            model = self._model
            if model is not None and type(value) is not model and not isinstance(value, model):
                return to_plain(value)
            return self._serializer.to_python(value, mode="json")
        return to_plain(value)

    def json_schema(self) -> dict[str, Any]:
        if self.is_any:
            return {}
        if self._model is not None:
            return self._model.model_json_schema()
        assert self._adapter is not None
        return self._adapter.json_schema()

    def validate_or_raise(self, value: Any, message: str, **kwargs: Any) -> Any:
        """Validate; on failure raise SchemaValidationError with `message` and every field path."""
        try:
            return self.validate(value)
        except PydanticValidationError as exc:
            issues = issues_of(exc)
            raise SchemaValidationError(
                f"{message}: \n{format_issues(issues)}", issues=issues, **kwargs
            ) from None


_any_adapter: TypeAdapter[Any] = TypeAdapter(Any)


def to_plain(value: Any) -> Any:
    """JSON-compatible copy of a value of unknown type (models, dataclasses, datetimes...)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return _any_adapter.dump_python(value, mode="json")


def issues_of(exc: PydanticValidationError) -> list[ValidationIssue]:
    out: list[ValidationIssue] = []
    for err in exc.errors(include_url=False):
        loc = cast(tuple[Any, ...], err.get("loc", ()))
        out.append(
            ValidationIssue(
                path=".".join(str(p) for p in loc) or "(root)",
                message=str(err.get("msg", "")),
                type=str(err.get("type", "")),
            )
        )
    return out


def format_issues(issues: list[ValidationIssue]) -> str:
    return "\n".join(f"- {i['path']}: {i['message']}" for i in issues)
