"""The walker: runs a workflow level's entries in order (step, map, parallel, branch, loops,
for_each, sleeps, wait-for-event), starting fresh or from a resume point."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from .._graph.nodes import (
    ConditionalEntry,
    Entry,
    ForEachEntry,
    LoopEntry,
    MappingEntry,
    ParallelEntry,
    SleepEntry,
    SleepUntilEntry,
    StepEntry,
    WaitForEventEntry,
)
from .._schema import format_issues, issues_of
from ..context import ConditionContext
from ..errors import ConditionError, SchemaValidationError, StepExecutionError
from ..step import Step
from .aggregate import aggregate_children, entry_output
from .eager import gather_eager
from .error_json import serialize_error
from .execution import Execution
from .foreach import run_foreach
from .outcome import EMPTY, Outcome, ResumeArgs
from .steps import fresh_record, resumed_record, run_step

__all__ = ["call_user_fn", "run_entries"]

_FROM_CONTEXT: Any = object()


async def call_user_fn(fn: Any, arg: Any) -> Any:
    """Conditions, map and sleep functions: `def` or `async def`, called inline."""
    value = fn(arg)
    if inspect.isawaitable(value):
        value = await value
    return value


async def run_entries(
    ex: Execution, start: int = 0, resume: ResumeArgs | None = None, prev: Any = _FROM_CONTEXT
) -> Outcome:
    """Run entries from `start`; `prev` (default: derived from stored results) feeds the first."""
    if ex.tracer is not None and ex.span is None:  # traced: the run span opens, then we walk
        return await ex.tracer.run(ex, run_entries(ex, start, resume, prev))
    entries = ex.workflow.entries
    if prev is _FROM_CONTEXT:
        prev = ex.context["input"] if start == 0 else entry_output(entries[start - 1], ex.context)
    abort = ex.abort
    last = len(entries) - 1
    for idx in range(start, len(entries)):
        if abort.aborted:
            return Outcome("canceled")
        entry = entries[idx]
        if type(entry) is StepEntry and (resume is None or idx != start):
            # the common case, direct; the last step's record rides the run's final head write
            outcome = await _single(ex, idx, entry.step, prev, None, idx == last)
        else:
            outcome = await _run_entry(ex, idx, entry, prev, resume if idx == start else None)
        if outcome.status != "success":
            return outcome
        prev = outcome.output
    if ex.abort.aborted:
        return Outcome("canceled")
    return _checked_result(ex, prev)


def _checked_result(ex: Execution, value: Any) -> Outcome:
    """Deviation 1: the workflow's own `output_schema` is validated too."""
    workflow = ex.workflow
    schema = workflow._out  # pyright: ignore[reportPrivateUsage]
    if schema.is_any:
        return Outcome("success", value)
    last = workflow.entries[-1]
    if type(last) is StepEntry and last.step._out is schema:  # pyright: ignore[reportPrivateUsage]
        return Outcome("success", value)  # already validated as that step's output
    try:
        return Outcome("success", schema.dump(schema.validate(value)))
    except PydanticValidationError as exc:
        issues = issues_of(exc)
        error = SchemaValidationError(
            f"Workflow '{ex.workflow.id}' output validation failed: \n{format_issues(issues)}",
            issues=issues,
            code="WORKFLOW_OUTPUT_VALIDATION_FAILED",
        )
        return Outcome("failed", None, error)


async def _run_entry(
    ex: Execution,
    idx: int,
    entry: Entry,
    prev: Any,
    resume: ResumeArgs | None,
    in_span: bool = False,
) -> Outcome:
    if isinstance(entry, StepEntry | MappingEntry):
        return await _single(ex, idx, entry.step, prev, resume)
    if ex.tracer is not None and not in_span:  # a block's span around its steps' spans
        return await ex.tracer.entry(ex, entry, _run_entry(ex, idx, entry, prev, resume, True))
    if isinstance(entry, ParallelEntry):
        return await _parallel(ex, idx, entry.steps, prev, resume, entry.steps)
    if isinstance(entry, ConditionalEntry):
        return await _conditional(ex, idx, entry, prev, resume)
    if isinstance(entry, LoopEntry):
        return await _loop(ex, idx, entry, prev, resume)
    if isinstance(entry, ForEachEntry):
        outcome = await run_foreach(ex, idx, entry, prev, resume)
        if ex.persist is not None:
            await ex.persist(entry.step.id, ex.context[entry.step.id], None)
        return outcome
    if isinstance(entry, SleepEntry | SleepUntilEntry):
        return await _sleep(ex, entry, prev)
    return await _wait_for_event(ex, idx, entry, prev, resume)


def _start_record(
    ex: Execution, step: Step[Any, Any], prev: Any, resume: ResumeArgs | None
) -> tuple[dict[str, Any], Any, Any]:
    """(record, input, suspend_data) for a step that starts now or is being resumed."""
    if resume is not None:
        prior = ex.context.get(step.id) or EMPTY
        return (
            resumed_record(prior, resume.data, ex.clock.now_ms()),
            prior.get("payload", prev),
            prior.get("suspendPayload"),
        )
    return fresh_record(prev, ex.clock.now_ms()), prev, None


async def _single(
    ex: Execution,
    idx: int,
    step: Step[Any, Any],
    prev: Any,
    resume: ResumeArgs | None,
    final: bool = False,
) -> Outcome:
    """Run one step. `final`: it is the last entry of the run's top level, so whatever its
    outcome the run's final head write comes next, and stores its record with the head (one
    durable write instead of two)."""
    sid = step.id
    if resume is None:  # the common case, kept inline: this runs once per step
        ex.path.append(sid)
        record: dict[str, Any] = {
            "status": "running",
            "payload": prev,
            "startedAt": ex.clock.now_ms(),
        }
        ex.context[sid] = record
        if sid in ex.suspended_paths:
            del ex.suspended_paths[sid]
        outcome = await run_step(ex, step, prev, record)
        if outcome.status == "suspended":
            ex.suspended_paths[sid] = [idx]
        if ex.persist is not None and not final:
            await ex.persist(sid, record, sid)
        return outcome
    record, value, suspend_data = _start_record(ex, step, prev, resume)
    ex.context[sid] = record
    ex.suspended_paths.pop(sid, None)
    outcome = await run_step(ex, step, value, record, _below(resume), suspend_data)
    if outcome.status == "suspended":
        ex.suspended_paths[step.id] = [idx]
    if ex.persist is not None:
        await ex.persist(sid, record, None)
    return outcome


async def _parallel(
    ex: Execution,
    idx: int,
    to_run: tuple[Step[Any, Any], ...],
    prev: Any,
    resume: ResumeArgs | None,
    children: tuple[Step[Any, Any], ...],
) -> Outcome:
    """Run `to_run` concurrently (all of a parallel block, or the chosen branch arms); the entry's
    outcome aggregates every child of the block that has a record."""
    positions = {child.id: i for i, child in enumerate(children)}
    if resume is not None:
        to_run = tuple(child for child in to_run if child.id == resume.rest[0])
        resume = _below(resume)

    async def one(child: Step[Any, Any]) -> Outcome:
        record, value, suspend_data = _start_record(ex, child, prev, resume)
        ex.context[child.id] = record
        ex.suspended_paths.pop(child.id, None)
        outcome = await run_step(ex, child, value, record, resume, suspend_data)
        if outcome.status == "suspended":
            ex.suspended_paths[child.id] = [idx, positions[child.id]]
        if ex.persist is not None:
            await ex.persist(child.id, record, None)
        return outcome

    if len(to_run) == 1:
        outcomes = {to_run[0].id: await one(to_run[0])}
    else:
        results = await gather_eager([one(child) for child in to_run])
        outcomes = {child.id: out for child, out in zip(to_run, results, strict=True)}
    return aggregate_children(ex.context, children, outcomes)


async def _conditional(
    ex: Execution, idx: int, entry: ConditionalEntry, prev: Any, resume: ResumeArgs | None
) -> Outcome:
    if resume is not None:  # conditions are not evaluated again on resume
        ran = tuple(s for s in entry.steps if s.id in ex.context)
        return await _parallel(ex, idx, ran, prev, resume, ran)
    chosen: list[Step[Any, Any]] = []
    tracer = ex.tracer
    for position, (condition, step) in enumerate(zip(entry.conditions, entry.steps, strict=True)):
        evaluation = None if tracer is None else tracer.condition(ex, position, step.id)
        try:
            matched = await call_user_fn(condition, ConditionContext(ex, prev))
        except Exception as exc:
            if evaluation is not None:
                evaluation.end(None, exc)
            error = ConditionError(
                f"Branch condition #{position + 1} (for step '{step.id}') raised: {exc}",
                details={"stepId": step.id, "condition": position},
            )
            error.__cause__ = exc
            return Outcome("failed", None, error)
        if evaluation is not None:
            evaluation.end(bool(matched))
        if matched:
            chosen.append(step)
    if not chosen:
        return Outcome("success", {})
    ran = tuple(chosen)
    return await _parallel(ex, idx, ran, prev, None, ran)


def _below(resume: ResumeArgs | None) -> ResumeArgs | None:
    """The resume as seen by the target step: the path below it (inside a nested workflow)."""
    if resume is None:
        return None
    return ResumeArgs(resume.data, resume.rest[1:], resume.foreach_index)


async def _loop(
    ex: Execution, idx: int, entry: LoopEntry, prev: Any, resume: ResumeArgs | None
) -> Outcome:
    step = entry.step
    meta = ex.meta.setdefault(step.id, {})
    iteration = int(meta.get("iterationCount", 0)) if resume is not None else 0
    value = prev
    condition = entry.condition
    continue_while = entry.loop_type == "dowhile"
    now = ex.clock.now_ms
    while True:
        if ex.abort.aborted:
            return Outcome("canceled")
        if resume is None:
            record: dict[str, Any] = {"status": "running", "payload": value, "startedAt": now()}
            step_input, suspend_data = value, None
        else:
            record, step_input, suspend_data = _start_record(ex, step, value, resume)
        # As in Mastra, a later iteration still sees the previous iteration's result through
        # get_step_result(step): the new record replaces it when the step ends.
        if iteration == 0 or resume is not None:
            ex.context[step.id] = record
        ex.suspended_paths.pop(step.id, None)
        outcome = await run_step(ex, step, step_input, record, _below(resume), suspend_data)
        ex.context[step.id] = record
        resume = None
        if outcome.status != "success":
            if outcome.status == "suspended":
                ex.suspended_paths[step.id] = [idx]
            if ex.persist is not None:
                await ex.persist(step.id, record, None)
            return outcome
        iteration += 1
        meta["iterationCount"] = iteration
        record["metadata"] = {"iterationCount": iteration}
        if ex.persist is not None:
            ex.dirty = True
            await ex.persist(step.id, record, None)
        value = outcome.output
        try:
            verdict = condition(ConditionContext(ex, value, iteration))
            if verdict is not True and verdict is not False and inspect.isawaitable(verdict):
                verdict = await verdict
        except Exception as exc:
            error = ConditionError(
                f"Loop condition of '{step.id}' ({entry.loop_type}) raised on iteration "
                f"{iteration}: {exc}",
                details={"stepId": step.id, "iteration": iteration},
            )
            error.__cause__ = exc
            return Outcome("failed", None, error)
        if bool(verdict) != continue_while:
            return Outcome("success", value)
        if ex.abort.aborted:
            return Outcome("canceled")


async def _sleep(ex: Execution, entry: SleepEntry | SleepUntilEntry, prev: Any) -> Outcome:
    ex.path.append(entry.id)
    started = ex.clock.now_ms()
    record: dict[str, Any] = {"status": "waiting", "payload": prev, "startedAt": started}
    ex.context[entry.id] = record
    if ex.emit is not None:
        ex.emit("workflow-step-waiting", {"id": entry.id, **record})
    try:
        if isinstance(entry, SleepEntry):
            ms = entry.duration_ms
            if entry.fn is not None:
                ms = float(await call_user_fn(entry.fn, ConditionContext(ex, prev)))
        else:
            when = entry.date
            if entry.fn is not None:
                when = await call_user_fn(entry.fn, ConditionContext(ex, prev))
            ms = 0.0 if when is None else when.timestamp() * 1000.0 - started
    except Exception as exc:
        error = StepExecutionError(f"Sleep '{entry.id}': computing the duration raised: {exc}")
        error.__cause__ = exc
        record.update(status="failed", error=serialize_error(error), endedAt=ex.clock.now_ms())
        return Outcome("failed", None, error)
    waits = ex.waits
    if waits is not None:  # durable: the run is stored `waiting` with its wake time
        await waits.before_wait(ex, wake_at=int(started + max(ms or 0.0, 0.0)))
    try:
        if ms and ms > 0:
            await _abortable(ex, ex.clock.sleep(ms))
    except asyncio.CancelledError:
        if not ex.abort.aborted:
            raise
        _uncancel()
    if ex.abort.aborted:
        record.update(status="canceled", endedAt=ex.clock.now_ms())
        return Outcome("canceled")
    if waits is not None:
        await waits.after_wait(ex)
    record.update(status="success", output=prev, endedAt=ex.clock.now_ms())
    if ex.emit is not None:
        ex.emit(
            "workflow-step-result",
            {"id": entry.id, "status": "success", "output": prev, "endedAt": record["endedAt"]},
        )
        ex.emit("workflow-step-finish", {"id": entry.id, "metadata": {}})
    return Outcome("success", prev)


async def _abortable(ex: Execution, awaitable: Any) -> None:
    """Await `awaitable`, returning early when the run is canceled."""
    if ex.abort.aborted:
        return
    main = asyncio.ensure_future(awaitable)
    stop = asyncio.ensure_future(ex.abort.wait())
    try:
        await asyncio.wait((main, stop), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for fut in (main, stop):
            if not fut.done():
                fut.cancel()


def _uncancel() -> None:
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()


async def _wait_for_event(
    ex: Execution, idx: int, entry: WaitForEventEntry, prev: Any, resume: ResumeArgs | None
) -> Outcome:
    step = entry.step
    if resume is None:
        ex.path.append(step.id)
        record = fresh_record(prev, ex.clock.now_ms())
        record["status"] = "waiting"
        ex.context[step.id] = record
        if ex.emit is not None:
            ex.emit("workflow-step-waiting", {"id": step.id, **record})
        waits = ex.waits
        if waits is not None:  # durable: the run is stored `waiting` for the event
            await waits.before_wait(ex, event=entry.event)
        try:
            data = await ex.events.wait(entry.event, ex.abort)
        except asyncio.CancelledError:
            if not ex.abort.aborted:
                raise
            _uncancel()
            data = None
        if ex.abort.aborted:
            record.update(status="canceled", endedAt=ex.clock.now_ms())
            return Outcome("canceled")
        if waits is not None:
            await waits.after_wait(ex)
        record = resumed_record(record, data, ex.clock.now_ms())
        resume = ResumeArgs(data, [step.id])
    else:
        record, _, _ = _start_record(ex, step, prev, resume)
    ex.context[step.id] = record
    outcome = await run_step(ex, step, record.get("payload", prev), record, _below(resume))
    if outcome.status == "suspended":
        ex.suspended_paths[step.id] = [idx]
    if ex.persist is not None:
        await ex.persist(step.id, record, None)
    return outcome
