"""Errors as plain JSON, the way Mastra serializes them: `{name, message, cause?, ...attributes}`."""

from __future__ import annotations

from typing import Any

from .._schema import to_plain
from ..errors import SchemaValidationError, WorkflowError

__all__ = ["serialize_error"]

_SKIP = frozenset({"args", "with_traceback", "add_note", "__notes__"})


def serialize_error(exc: BaseException, _depth: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {"name": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, WorkflowError):
        out["message"] = exc.message
        out["code"] = exc.code
        out["domain"] = exc.domain
        out["category"] = exc.category
        out["details"] = to_plain(exc.details)  # MastraError.toJSON always has details
        if isinstance(exc, SchemaValidationError):
            out["issues"] = [dict(i) for i in exc.issues]
            if exc.step_id is not None:
                out["stepId"] = exc.step_id
    for key, value in vars(exc).items():
        if key.startswith("_") or key in _SKIP or key in out or callable(value):
            continue
        if key in ("code", "domain", "category", "details", "issues", "step_id"):
            continue
        try:
            out[key] = to_plain(value)
        except Exception:  # an attribute that has no JSON form is left out, not fatal
            out[key] = repr(value)
    cause = exc.__cause__
    if cause is not None and _depth < 8:
        out["cause"] = serialize_error(cause, _depth + 1)
    return out
