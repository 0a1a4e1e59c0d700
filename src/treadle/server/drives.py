"""Launching drives of a run from request bodies: start, resume and time travel as server tasks
that report through a stream, with the run's refusals (bad input, wrong state) raised at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from ..events import WorkflowEvent
from ..run import Run
from ..stream import WorkflowStream
from ..workflow import Workflow
from .bodies import ResumeBody, StartBody, TimeTravelBody
from .context import ServerContext
from .errors import ApiError, issue

__all__ = [
    "READ_BUFFER",
    "UNREAD_BUFFER",
    "Begun",
    "begin",
    "check_common",
    "close_events",
    "launch_resume",
    "launch_start",
    "launch_time_travel",
]

UNREAD_BUFFER = 1
"""Buffer of a stream nobody reads (fire-and-forget, *-async): the run never waits for a
reader, and an unread stream holds almost nothing."""

READ_BUFFER = 1024
"""Buffer of a stream a client reads: past it, a slow client's events are read back from the
run's event log (the run never waits for the client)."""

Begun = tuple[WorkflowEvent, AsyncIterator[WorkflowEvent]]


def check_common(body: StartBody | ResumeBody | TimeTravelBody) -> None:
    """Options Treadle does not have are refused by name, not silently ignored."""
    if body.perStep:
        raise ApiError(
            400,
            "perStep (step-by-step debug runs) is not supported by Treadle",
            code="UNSUPPORTED_OPTION",
            issues=[issue(["perStep"], "must be false or absent")],
        )


def _path(step: str | list[str]) -> list[str]:
    return list(step) if isinstance(step, list) else step.split(".")


def _step_arg(workflow: Workflow[Any, Any, Any], step: str | list[str] | None) -> Any:
    """The step as the engine takes it; its first id must be a step of the workflow."""
    if step is None:
        return None
    path = _path(step)
    if not path:
        raise ApiError(400, "step: empty path", issues=[issue(["step"], "give at least one id")])
    if path[0] not in workflow.steps:
        known = ", ".join(workflow.steps) or "none"
        raise ApiError(
            400,
            f"step '{'.'.join(path)}' is not a step of workflow '{workflow.id}' (steps: {known})",
            code="WORKFLOW_STEP_NOT_FOUND",
            issues=[issue(["step"], f"'{path[0]}' is not a step of workflow '{workflow.id}'")],
        )
    return step


async def begin(stream: WorkflowStream) -> Begun:
    """Wait until the drive has begun: its first event. A run refused before it began (bad
    input, not suspended, already started...) raises that error here instead."""
    events = aiter(stream)
    first = await anext(events)
    result = stream.result
    if first.seq is None and result.done() and not result.cancelled():
        failure = result.exception()
        if failure is not None:
            await close_events(events)
            raise failure
    return first, events


async def close_events(events: AsyncIterator[WorkflowEvent]) -> None:
    """Stop reading a stream's iterator (an async generator) before its end."""
    closer = getattr(events, "aclose", None)
    if closer is not None:
        await closer()


def launch_start(
    ctx: ServerContext, run: Run[Any, Any], body: StartBody, *, close_on_suspend: bool = True,
    buffer_size: int = UNREAD_BUFFER,
) -> WorkflowStream:  # fmt: skip
    check_common(body)
    call = partial(run.start, body.inputData, body.initialState, body.requestContext)
    return ctx.live.launch(run, call, close_on_suspend=close_on_suspend, buffer_size=buffer_size)


def launch_resume(
    ctx: ServerContext, run: Run[Any, Any], body: ResumeBody, *, close_on_suspend: bool = True,
    buffer_size: int = UNREAD_BUFFER,
) -> WorkflowStream:  # fmt: skip
    check_common(body)
    step = _step_arg(run.workflow, body.step)
    call = partial(
        run.resume, step, body.resumeData, body.label, body.forEachIndex, body.requestContext
    )
    return ctx.live.launch(run, call, close_on_suspend=close_on_suspend, buffer_size=buffer_size)


def launch_time_travel(
    ctx: ServerContext, run: Run[Any, Any], body: TimeTravelBody, *,
    close_on_suspend: bool = True, buffer_size: int = UNREAD_BUFFER,
) -> WorkflowStream:  # fmt: skip
    check_common(body)
    if body.nestedStepsContext:
        raise ApiError(
            400,
            "nestedStepsContext is not supported by Treadle (time travel restarts a top-level "
            "step; give earlier outputs in `context`)",
            code="UNSUPPORTED_OPTION",
            issues=[issue(["nestedStepsContext"], "must be empty or absent")],
        )
    _step_arg(run.workflow, body.step)
    path = _path(body.step)
    if len(path) > 1:
        raise ApiError(
            400,
            f"time travel starts from a top-level step; '{'.'.join(path)}' is nested",
            code="UNSUPPORTED_OPTION",
            issues=[issue(["step"], "give a top-level step id")],
        )
    call = partial(
        run.time_travel, path[0], body.inputData, body.resumeData, body.context,
        body.initialState, body.requestContext,
    )  # fmt: skip
    return ctx.live.launch(run, call, close_on_suspend=close_on_suspend, buffer_size=buffer_size)
