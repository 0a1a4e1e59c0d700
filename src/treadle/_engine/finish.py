"""Pure result assembly: from an Execution and its Outcome to a WorkflowResult."""

from __future__ import annotations

from typing import Any, cast

from ..results import WorkflowResult
from .error_json import serialize_error
from .execution import Execution
from .nested import child_suspended_paths
from .outcome import EMPTY, Outcome

__all__ = ["build_result", "run_status"]


def run_status(outcome: Outcome) -> str:
    return "success" if outcome.status == "bailed" else outcome.status


def build_result(
    ex: Execution, outcome: Outcome, *, include_state: bool, include_resume_labels: bool
) -> WorkflowResult:
    status = run_status(outcome)
    values: dict[str, Any] = {
        "status": status,
        "input": ex.context.get("input"),
        "step_execution_path": list(ex.path),
        "run_id": ex.run_id,
    }
    if status == "success":
        values["result"] = outcome.output
    elif status == "failed":
        values["error"] = _error_of(ex, outcome)
    elif status == "suspended":
        values["suspended"] = child_suspended_paths(ex)
        values["suspend_payload"] = {
            sid: ex.context.get(sid, EMPTY).get("suspendPayload", EMPTY)
            for sid in ex.suspended_paths
        }
        if include_resume_labels:
            values["resume_labels"] = dict(ex.resume_labels)
    if include_state:
        values["state"] = dict(ex.state)
    return WorkflowResult.from_engine(values, ex.context, outcome.exc)


def _error_of(ex: Execution, outcome: Outcome) -> dict[str, Any]:
    if outcome.exc is not None:
        return serialize_error(outcome.exc)
    records: list[Any] = list(ex.context.values())
    for record in records:
        if isinstance(record, dict) and "error" in record:
            typed = cast(dict[str, Any], record)
            if typed.get("status") == "failed":
                return cast(dict[str, Any], typed["error"])
    return {"name": "Error", "message": "workflow failed"}
