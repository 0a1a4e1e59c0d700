"""Running one step: input validation, retries, suspend/bail/cancel signals, output validation,
the step record, and its events. This is the engine's hot path: keep it lean."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticSerializationError

from .._ids import new_call_id
from .._schema import format_issues, issues_of
from ..context import StepContext
from ..errors import NonRetryableError, SchemaValidationError, StepExecutionError
from ..events import StepEvents, step_events
from ..logs import current_step
from ..step import Step
from .error_json import serialize_error
from .execution import Execution
from .outcome import Outcome, ResumeArgs
from .signals import BailSignal, SuspendSignal

__all__ = ["fresh_record", "resumed_record", "run_step"]

_PRIOR_RESULT_KEYS = frozenset(
    {"suspendPayload", "suspendedAt", "output", "error", "endedAt", "resumePayload", "resumedAt"}
)


def fresh_record(payload: Any, now: int) -> dict[str, Any]:
    return {"status": "running", "payload": payload, "startedAt": now}


def resumed_record(prior: dict[str, Any], data: Any, now: int) -> dict[str, Any]:
    """A resumed step keeps its startedAt and payload and drops the previous attempt's results."""
    record = {k: v for k, v in prior.items() if k not in _PRIOR_RESULT_KEYS}
    record["status"] = "running"
    record["resumePayload"] = data
    record["resumedAt"] = now
    return record


def _validation_error(step: Step[Any, Any], exc: PydanticValidationError, what: str, code: str):
    issues = issues_of(exc)
    return SchemaValidationError(
        f"Step '{step.id}' {what} validation failed: \n{format_issues(issues)}",
        issues=issues,
        code=code,
        step_id=step.id,
    )


async def run_step(
    ex: Execution,
    step: Step[Any, Any],
    input_value: Any,
    record: dict[str, Any],
    resume: ResumeArgs | None = None,
    suspend_data: Any = None,
    emit_events: bool = True,
    foreach_index: int | None = None,
    meta: dict[str, Any] | None = None,
) -> Outcome:
    """Run `step` on `input_value`, filling `record` (Mastra's step result) in place. `meta`
    holds a nested workflow's own state (default: the run's `meta[step.id]`)."""
    if step.component == "WORKFLOW":
        from .nested import run_nested

        return await run_nested(
            ex, step, input_value, record, resume, emit_events, meta, foreach_index
        )

    tracer = ex.tracer
    span = None if tracer is None else tracer.step(ex, step, foreach_index)
    emit = ex.emit
    events: StepEvents | None = None
    if emit is not None and emit_events:
        events = step_events(emit)
    call_id = ""
    sid = step.id
    if events is not None:
        call_id = new_call_id()
        events.step_event("workflow-step-start", sid, call_id, record)

    workflow = ex.workflow
    retries = step._retries  # pyright: ignore[reportPrivateUsage]
    attempts = (retries if retries is not None else workflow.retry_config.attempts) + 1
    resume_data = resume.data if resume is not None else None
    fn = step._execute  # pyright: ignore[reportPrivateUsage]
    assert fn is not None
    in_schema = step._in  # pyright: ignore[reportPrivateUsage]
    out_schema = step._out  # pyright: ignore[reportPrivateUsage]
    outcome: Outcome
    attempt = 0
    while True:
        ctx: StepContext[Any] | None = None
        try:
            if ex.validate_inputs and not in_schema.is_any:
                try:
                    value = in_schema.validate(input_value)
                except PydanticValidationError as exc:
                    raise _validation_error(
                        step, exc, "input", "WORKFLOW_STEP_INPUT_VALIDATION_FAILED"
                    ) from None
            else:
                value = input_value
            rc_schema = step._request_context  # pyright: ignore[reportPrivateUsage]
            if rc_schema is not None and ex.validate_inputs:
                try:
                    rc_schema.validate(ex.request_context.to_dict())
                except PydanticValidationError as exc:
                    raise _validation_error(
                        step,
                        exc,
                        "request context",
                        "WORKFLOW_STEP_REQUEST_CONTEXT_VALIDATION_FAILED",
                    ) from None
            ctx = StepContext(ex, step, value, resume_data, suspend_data, attempt)
            # Log records made by the step name it. Restored by value, not by token: a step
            # started eagerly (parallel) begins in its parent's context and ends in its task's.
            outer_step = current_step.get()
            current_step.set(sid)
            try:
                if span is not None:
                    raw = await span.call(fn, ctx, step._is_async)  # pyright: ignore[reportPrivateUsage]
                elif step._is_async:  # pyright: ignore[reportPrivateUsage]
                    raw = await fn(ctx)
                else:
                    raw = await asyncio.to_thread(fn, ctx)
                    if inspect.isawaitable(raw):
                        raw = await raw
            finally:
                current_step.set(outer_step)
            if out_schema.is_any:
                output = _plain_output(step, out_schema, raw)
            else:
                try:
                    output = out_schema.dump(out_schema.validate(raw))
                except PydanticValidationError as exc:
                    raise _validation_error(
                        step, exc, "output", "WORKFLOW_STEP_OUTPUT_VALIDATION_FAILED"
                    ) from None
                except PydanticSerializationError as exc:
                    raise _not_json(step, exc) from None
            if ctx._state_update is not None:  # pyright: ignore[reportPrivateUsage]
                ex.state.update(ctx._state_update)  # pyright: ignore[reportPrivateUsage]
                ex.dirty = True
            record["status"] = "success"
            record["output"] = output
            record["endedAt"] = ex.clock.now_ms()
            outcome = Outcome("success", output)
            break
        except SuspendSignal as sig:
            if ctx is not None and ctx._state_update is not None:  # pyright: ignore[reportPrivateUsage]
                ex.state.update(ctx._state_update)  # pyright: ignore[reportPrivateUsage]
                ex.dirty = True
            record["status"] = "suspended"
            if sig.payload is not None:
                record["suspendPayload"] = sig.payload
            record["suspendedAt"] = ex.clock.now_ms()
            outcome = Outcome("suspended", sig.payload)
            for label in sig.labels:
                ex.resume_labels[label] = (
                    {"stepId": sid}
                    if foreach_index is None
                    else {"stepId": sid, "foreachIndex": foreach_index}
                )
            if events is not None:
                events.step_event("workflow-step-suspended", sid, call_id, record)
            if span is not None:
                span.end(record, outcome, attempt)
            return outcome
        except BailSignal as sig:
            record["status"] = "success"
            record["output"] = sig.value
            record["endedAt"] = ex.clock.now_ms()
            outcome = Outcome("bailed", sig.value)
            break
        except asyncio.CancelledError:
            if not ex.abort.aborted:
                raise
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            record["status"] = "canceled"
            record["endedAt"] = ex.clock.now_ms()
            outcome = Outcome("canceled")
            break
        except Exception as exc:
            attempt += 1
            if attempt < attempts and not isinstance(exc, NonRetryableError):
                if span is not None:
                    span.retry(exc, attempt)
                delay = workflow.retry_config.delay_ms
                if delay > 0:
                    await ex.clock.sleep(delay)
                continue
            record["status"] = "failed"
            record["error"] = serialize_error(exc)
            record["endedAt"] = ex.clock.now_ms()
            outcome = Outcome("failed", None, exc)
            break
    if span is not None:  # an exception escaping above leaves it to the run span to end it
        span.end(record, outcome, attempt)
    if events is not None:
        events.step_end(sid, call_id, record)
    return outcome


def _plain_output(step: Step[Any, Any], schema: Any, raw: Any) -> Any:
    try:
        return schema.dump(raw)
    except PydanticSerializationError as exc:
        raise _not_json(step, exc) from None


def _not_json(step: Step[Any, Any], exc: Exception) -> StepExecutionError:
    return StepExecutionError(
        f"Step '{step.id}' returned output that cannot be stored as JSON: {exc}",
        details={"stepId": step.id},
    )
