"""Pure result assembly: from an Execution and its Outcome to a WorkflowResult."""

from __future__ import annotations

from typing import Any, cast

from ..results import WorkflowResult, step_result_from_record
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
    steps = {k: step_result_from_record(v) for k, v in ex.context.items() if k != "input"}
    values: dict[str, Any] = {
        "status": status,
        "steps": steps,
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
    result = WorkflowResult.model_construct(_fields_set=set(values), **values)
    result._exception = outcome.exc  # pyright: ignore[reportPrivateUsage]
    return result


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
