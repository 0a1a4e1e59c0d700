"""`.map(...)` configs: `map_variable`, constants, request-context keys, functions and templates,
compiled into a plain step function at definition time (so mistakes fail early)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from pydantic import ValidationError as PydanticValidationError

from .._schema import Schema, format_issues, issues_of
from ..errors import StepExecutionError, WorkflowDefinitionError

if TYPE_CHECKING:
    from ..context import StepContext
    from ..step import Step

__all__ = ["compile_mapping", "map_variable"]


def map_variable(*, step: Any = None, init_data: Any = None, path: str = ".") -> dict[str, Any]:
    """`{"step": s, "path": p}` (or `{"init_data": wf, "path": p}`): a value from a step's output
    (a list of steps: the first that ran) or from the workflow input, at a dotted path."""
    if (step is None) == (init_data is None):
        raise WorkflowDefinitionError("map_variable() takes exactly one of step= or init_data=")
    return (
        {"step": step, "path": path} if step is not None else {"init_data": init_data, "path": path}
    )


_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_ROOTS = ("inputData", "initData", "state", "requestContext", "stepResults")


def _walk(value: Any, path: str, where: str) -> Any:
    if path in ("", "."):
        return value
    for part in path.split("."):
        if isinstance(value, Mapping):
            if part not in value:
                return None
            value = value[part]  # pyright: ignore[reportUnknownVariableType]
        elif isinstance(value, list | tuple) and part.isdigit():
            items: Any = value  # pyright: ignore[reportUnknownVariableType]
            value = items[int(part)] if int(part) < len(items) else None
        elif value is None:
            return None
        else:
            raise StepExecutionError(f"Invalid path {path} in {where}")
    return value  # pyright: ignore[reportUnknownVariableType]


def _parse_template(template: str, key: str) -> list[tuple[str, str]]:
    """Validate placeholders now; return (root, path) for each."""
    found: list[tuple[str, str]] = []
    for match in _PLACEHOLDER.finditer(template):
        inner = match.group(1)
        if not inner or inner != inner.strip() or any(c.isspace() for c in inner):
            raise WorkflowDefinitionError(
                f"map key '{key}': template placeholder '${{{inner}}}' is empty or has whitespace"
            )
        root, _, rest = inner.partition(".")
        if root not in _ROOTS:
            raise WorkflowDefinitionError(
                f"map key '{key}': unknown template namespace '{root}' (use one of {', '.join(_ROOTS)})"
            )
        if root == "stepResults" and not rest:
            raise WorkflowDefinitionError(f"map key '{key}': '${{stepResults}}' needs a step id")
        found.append((root, rest))
    return found


def _render(value: Any) -> str:
    import json

    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def _template_value(ctx: StepContext[Any], root: str, path: str) -> Any:
    if root == "inputData":
        return _walk(ctx.input_data, path, "inputData")
    if root == "initData":
        return _walk(ctx.get_init_data(), path, "initData")
    if root == "state":
        return _walk(ctx._ex.state, path, "state")  # pyright: ignore[reportPrivateUsage]
    if root == "requestContext":
        return ctx.request_context.get(path)
    step_id, _, rest = path.partition(".")
    record = ctx._ex.context.get(step_id)  # pyright: ignore[reportPrivateUsage]
    if record is None:
        raise StepExecutionError(f"Template references step '{step_id}', which has no result")
    return _walk(record.get("output"), rest, f"step {step_id}")


Resolver = Callable[["StepContext[Any]"], Any]


def _compile_value(key: str, spec: Any, step_id: str) -> Resolver:
    """A resolver for one output key; with `"schema"`, its value is validated against it."""
    resolver = _compile_source(key, spec)
    schema_type = cast(Mapping[str, Any], spec).get("schema")
    if schema_type is None:
        return resolver
    schema = Schema.of(schema_type)
    where = f"map '{step_id}' key '{key}'"
    if "value" in spec:  # a constant: check it now, at definition time
        try:
            checked = schema.dump(schema.validate(spec["value"]))
        except PydanticValidationError as exc:
            raise WorkflowDefinitionError(
                f"{where}: the constant does not match its schema: \n"
                f"{format_issues(issues_of(exc))}"
            ) from None
        return lambda _ctx: checked

    async def validated(ctx: StepContext[Any]) -> Any:
        value = resolver(ctx)
        if inspect.isawaitable(value):
            value = await value
        if value is _ABSENT:
            return value
        return schema.dump(
            schema.validate_or_raise(value, f"{where} validation failed", step_id=step_id)
        )

    return validated


def _compile_source(key: str, spec: Any) -> Resolver:
    if not isinstance(spec, Mapping):
        raise WorkflowDefinitionError(f"map key '{key}': expected a dict spec, got {spec!r}")
    spec_map: Mapping[str, Any] = spec  # pyright: ignore[reportUnknownVariableType]
    if "value" in spec_map:
        constant = spec_map["value"]
        return lambda _ctx: constant
    if "fn" in spec_map:
        fn = spec_map["fn"]
        return lambda ctx: fn(ctx)
    if "template" in spec_map:
        template = str(spec_map["template"])
        parts = _parse_template(template, key)

        def render(ctx: StepContext[Any]) -> Any:
            values = iter([_render(_template_value(ctx, r, p)) for r, p in parts])
            return _PLACEHOLDER.sub(lambda _m: next(values), template)

        return render
    if "request_context_path" in spec_map or "requestContextPath" in spec_map:
        name = spec_map.get("request_context_path", spec_map.get("requestContextPath"))
        return lambda ctx: ctx.request_context.get(str(name), _ABSENT)
    path = str(spec_map.get("path", "."))
    if "init_data" in spec_map or "initData" in spec_map:
        return lambda ctx: _walk(ctx.get_init_data(), path, "init data")
    if "step" in spec_map:
        raw = spec_map["step"]
        steps: list[Any] = list(raw) if isinstance(raw, list | tuple) else [raw]  # pyright: ignore[reportUnknownArgumentType]

        def from_step(ctx: StepContext[Any]) -> Any:
            for s in steps:
                sid = s if isinstance(s, str) else s.id
                record = ctx._ex.context.get(sid)  # pyright: ignore[reportPrivateUsage]
                if record is not None and record.get("status") == "success":
                    return _walk(record.get("output"), path, f"step {sid}")
            return None

        return from_step
    raise WorkflowDefinitionError(
        f"map key '{key}': unknown spec {sorted(spec_map)}; use map_variable(), value, fn, "
        "template or request_context_path"
    )


_ABSENT: Any = object()


def compile_mapping(config: Mapping[str, Any], step_id: str) -> Callable[[StepContext[Any]], Any]:
    resolvers = [(key, _compile_value(key, spec, step_id)) for key, spec in config.items()]

    async def run_mapping(ctx: StepContext[Any]) -> dict[str, Any]:
        import inspect

        out: dict[str, Any] = {}
        for key, resolve in resolvers:
            value = resolve(ctx)
            if inspect.isawaitable(value):
                value = await value
            if value is not _ABSENT:
                out[key] = value
        return out

    return run_mapping


def mapping_steps(config: Mapping[str, Any]) -> list[Step[Any, Any]]:
    """Steps a mapping dict refers to (for definition checks)."""
    from ..step import Step as StepCls

    found: list[Step[Any, Any]] = []
    for spec in config.values():
        if isinstance(spec, Mapping):
            raw: Any = cast(Mapping[str, Any], spec).get("step")
            candidates: list[Any] = (
                list(cast(Sequence[Any], raw)) if isinstance(raw, list | tuple) else [raw]
            )
            found.extend(cast("Step[Any, Any]", s) for s in candidates if isinstance(s, StepCls))
    return found
