"""The `treadle resume` command to print for a suspended run, with sample data for its step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from .._schema import Schema
from ..step import Step
from ..workflow import Workflow
from .output import compact_json
from .session import AppSource

__all__ = ["resume_commands", "sample_of_schema", "suspended_leaf_paths"]


def resume_commands(
    source: AppSource,
    workflow_key: str,
    workflow: Workflow[Any, Any, Any],
    run_id: str,
    paths: Sequence[Sequence[str]],
) -> list[str]:
    """One `treadle resume ...` per suspended path, with `--data` shaped like the step's
    resume schema (the values are placeholders to edit)."""
    commands: list[str] = []
    for path in paths:
        step = _leaf_step(workflow, path)
        schema: Any = step.resume_schema if step is not None else None
        sample: Any = {} if schema is None else sample_of_schema(Schema.of(schema).json_schema())
        args = ["resume", workflow_key, run_id, "--step", ".".join(path)]
        commands.append(source.command(*args, "--data", compact_json(sample)))
    return commands


def suspended_leaf_paths(steps: Mapping[str, Any]) -> list[list[str]]:
    """The suspended steps of a stored run (`steps` keyed `outer.inner`) that are not the parent
    of another suspended step: the paths a resume names."""
    suspended = [
        key
        for key, record in steps.items()
        if isinstance(record, Mapping)
        and cast(Mapping[str, Any], record).get("status") == "suspended"
    ]
    leaves = [key for key in suspended if not any(o.startswith(key + ".") for o in suspended)]
    return [key.split(".") for key in leaves]


def _leaf_step(workflow: Workflow[Any, Any, Any], path: Sequence[str]) -> Step[Any, Any] | None:
    current: Step[Any, Any] = workflow
    for part in path:
        if not isinstance(current, Workflow):
            return None
        found = current.steps.get(part)
        if found is None:
            return None
        current = found
    return current


def sample_of_schema(schema: Mapping[str, Any], defs: Mapping[str, Any] | None = None) -> Any:
    """A value of the shape a JSON Schema describes: defaults where given, else a placeholder
    of the right type ("", 0, false, [], {}); only required properties when some are."""
    defs = defs if defs is not None else cast(Mapping[str, Any], schema.get("$defs") or {})
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return cast(list[Any], enum)[0]
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = defs.get(ref.removeprefix("#/$defs/"))
        return sample_of_schema(cast(Mapping[str, Any], target), defs) if target else {}
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list):
            typed = [
                cast(Mapping[str, Any], o)
                for o in cast(list[Any], options)
                if isinstance(o, Mapping) and cast(Mapping[str, Any], o).get("type") != "null"
            ]
            if typed:
                return sample_of_schema(typed[0], defs)
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in cast(list[Any], kind) if k != "null"]
        kind = kinds[0] if kinds else "null"
    if kind == "object" or "properties" in schema:
        props = cast(Mapping[str, Any], schema.get("properties") or {})
        required = cast(list[str], schema.get("required") or [])
        names = [name for name in props if name in required] or list(props)
        return {
            name: sample_of_schema(cast(Mapping[str, Any], props[name]), defs) for name in names
        }
    placeholders: dict[str, Any] = {
        "string": "",
        "integer": 0,
        "number": 0,
        "boolean": False,
        "array": [],
        "null": None,
    }
    return placeholders.get(str(kind))
