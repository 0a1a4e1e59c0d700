"""A committed workflow used as a step: a child Execution with the parent's run id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from pydantic import ValidationError as PydanticValidationError

from .._ids import new_call_id
from .._schema import format_issues, issues_of
from ..errors import SchemaValidationError
from .error_json import serialize_error
from .execution import Emit, Execution
from .outcome import EMPTY, Outcome, ResumeArgs

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from ..step import Step
    from ..tracing import StepSpan
    from ..workflow import Workflow

__all__ = ["child_suspended_paths", "run_nested"]


def _prefixed(emit: Emit | None, prefix: str) -> Emit | None:
    if emit is None:
        return None
    parent = emit

    def child_emit(kind: str, payload: dict[str, Any]) -> None:
        parent(kind, {**payload, "id": f"{prefix}.{payload.get('id', '')}"})

    return child_emit


def child_suspended_paths(child: Execution) -> list[list[str]]:
    """Every suspended step of a workflow level, as full paths through nested workflows."""
    paths: list[list[str]] = []
    for step_id in child.suspended_paths:
        inner = child.meta.get(step_id, EMPTY).get("paths")
        if inner:
            paths.extend([step_id, *p] for p in inner)
        else:
            paths.append([step_id])
    return paths


async def run_nested(
    ex: Execution,
    step: Step[Any, Any],
    input_value: Any,
    record: dict[str, Any],
    resume: ResumeArgs | None,
    emit_events: bool,
    holder: dict[str, Any] | None = None,
    foreach_index: int | None = None,
) -> Outcome:
    from .flow import run_entries

    wf = cast("Workflow[Any, Any, Any]", step)
    tracer = ex.tracer
    span = None if tracer is None else tracer.step(ex, wf, foreach_index)
    emit = ex.emit if emit_events else None
    call_id = new_call_id() if emit is not None else ""
    if emit is not None:
        emit("workflow-step-start", {"id": wf.id, "stepCallId": call_id, **record})
    child = Execution(
        wf,
        run_id=ex.run_id,
        resource_id=ex.resource_id,
        input_value=input_value,
        state=dict(ex.state),
        request_context=ex.request_context,
        abort=ex.abort,
        clock=ex.clock,
        app=ex.app,
        emit=_prefixed(emit, wf.id),
        emit_output=ex.emit_output,
        events=ex.events,
    )
    child.validate_inputs = ex.validate_inputs
    child.tracer = tracer
    outcome: Outcome
    if holder is None:
        holder = ex.meta.setdefault(wf.id, {})
    if resume is not None:
        child.restore(holder.get("nested") or EMPTY)
        child.state = dict(ex.state)
        if not resume.rest:  # resumed by the workflow's own id: its (first) suspended step
            paths = child_suspended_paths(child)
            resume = ResumeArgs(resume.data, list(paths[0]) if paths else [], resume.foreach_index)
        start = child.suspended_paths[resume.rest[0]][0]
        outcome = await _walk(child, run_entries(child, start, resume), span)
    else:
        try:
            if ex.validate_inputs:
                child.context["input"] = wf.input_adapter.dump(
                    wf.input_adapter.validate(input_value)
                )
        except PydanticValidationError as exc:
            issues = issues_of(exc)
            outcome = Outcome(
                "failed",
                None,
                SchemaValidationError(
                    f"Nested workflow '{wf.id}' input validation failed: \n{format_issues(issues)}",
                    issues=issues,
                    code="WORKFLOW_STEP_INPUT_VALIDATION_FAILED",
                    step_id=wf.id,
                ),
            )
        else:
            outcome = await _walk(child, run_entries(child), span)
    ex.state.update(child.state)
    ex.dirty = True
    meta: dict[str, Any] = {"nested": child.snapshot()}
    now = ex.clock.now_ms()
    status = outcome.status
    if status in ("success", "bailed"):
        record.update(status="success", output=outcome.output, endedAt=now)
        outcome = Outcome("success", outcome.output)
    elif status == "failed":
        assert outcome.exc is not None
        record.update(status="failed", error=serialize_error(outcome.exc), endedAt=now)
    elif status == "suspended":
        meta["paths"] = child_suspended_paths(child)
        record["status"] = "suspended"
        if outcome.output is not None:
            record["suspendPayload"] = outcome.output
        record["suspendedAt"] = now
        for label, target in child.resume_labels.items():
            ex.resume_labels[label] = {
                "stepId": wf.id,
                "path": [target["stepId"]],
                **{k: v for k, v in target.items() if k != "stepId"},
            }
    else:
        record.update(status="canceled", endedAt=now)
    holder.pop("paths", None)  # the holder may also carry a loop's counter: keep other keys
    holder.update(meta)
    if span is not None:
        span.end(record, outcome, 0)
    if emit is not None:
        if status == "suspended":
            emit("workflow-step-suspended", {"id": wf.id, "stepCallId": call_id, **record})
        else:
            emit("workflow-step-result", {"id": wf.id, "stepCallId": call_id, **record})
            emit("workflow-step-finish", {"id": wf.id, "stepCallId": call_id, "metadata": {}})
    return outcome


async def _walk(
    child: Execution, walk: Coroutine[Any, Any, Outcome], span: StepSpan | None
) -> Outcome:
    """The nested level's entries, inside its own run span when traced."""
    if span is None or child.tracer is None:
        return await walk
    return await child.tracer.run(child, walk, span)
