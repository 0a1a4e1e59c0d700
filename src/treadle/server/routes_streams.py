"""Streaming routes: stream (start), resume-stream, time-travel-stream and observe. The run is a
server task; the response only follows it, and can be resumed from any `seq`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request
from starlette.responses import StreamingResponse

from ..events import WorkflowEvent
from ..run import Run
from ..stream import WorkflowStream
from .bodies import ResumeBody, StreamBody, TimeTravelBody
from .context import Ctx, RunIdQuery, ServerContext, WorkflowIdPath
from .drives import (
    READ_BUFFER,
    begin,
    close_events,
    launch_resume,
    launch_start,
    launch_time_travel,
)
from .errors import ApiError, issue
from .framing import Framing, framing_for
from .responses import STREAM_RESPONSE, errors
from .routes_queries import MAX_INDEX
from .routes_runs import not_suspended

__all__ = ["router"]

router = APIRouter(tags=["Streams"])

_RESPONSES: dict[int | str, dict[str, Any]] = {**STREAM_RESPONSE, **errors(400, 404, 409)}
LastEventId = Annotated[
    str | None,
    Header(
        alias="Last-Event-ID",
        description="Re-attach: the events after this seq.",
        pattern=r"^[0-9]{1,16}$",
    ),
]


def _seq_from_header(value: str) -> int:
    text = value.strip()
    if text.isdigit() and int(text) <= MAX_INDEX:
        return int(text)
    raise ApiError(
        400,
        f"Last-Event-ID must be an event seq (a non-negative integer), got {value!r}",
        issues=[issue(["Last-Event-ID"], "expected a non-negative integer", "header")],
    )


async def _next(events: AsyncIterator[WorkflowEvent]) -> WorkflowEvent | None:
    try:
        return await anext(events)
    except StopAsyncIteration:
        return None


async def _frames(
    ctx: ServerContext,
    stream: WorkflowStream,
    first: WorkflowEvent | None,
    events: AsyncIterator[WorkflowEvent],
    framing: Framing,
) -> AsyncIterator[bytes]:
    """The events as bytes, with a keep-alive when the run is quiet (proxies drop idle
    connections; a write also tells us the client has gone). Leaving early detaches the
    stream; the run itself goes on."""
    pending: asyncio.Task[WorkflowEvent | None] | None = None
    try:
        if first is not None:
            yield framing.encode(first)
        while True:
            if pending is None:
                pending = asyncio.ensure_future(_next(events))
            done, _ = await asyncio.wait((pending,), timeout=ctx.heartbeat_s)
            if not done:
                yield framing.heartbeat
                continue
            event = pending.result()
            pending = None
            if event is None:
                break
            yield framing.encode(event)
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
            with suppress(BaseException):
                await pending
        await close_events(events)
        await ctx.live.detach(stream)


def _respond(
    ctx: ServerContext,
    stream: WorkflowStream,
    framing: Framing,
    begun: tuple[WorkflowEvent, AsyncIterator[WorkflowEvent]] | None = None,
) -> StreamingResponse:
    first, events = begun if begun is not None else (None, aiter(stream))
    return StreamingResponse(
        _frames(ctx, stream, first, events, framing),
        media_type=framing.media_type,
        # No caching, and no buffering in nginx-style proxies: events must arrive as they happen.
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _observe(
    ctx: ServerContext, run: Run[Any, Any], after: int, close_on_suspend: bool, framing: Framing
) -> StreamingResponse:
    if run.status == "pending":  # nothing to follow yet, and maybe never: say so now
        raise ApiError(
            409,
            f"Workflow run '{run.run_id}' has not started; start it (and stream it) with "
            f"POST /api/workflows/{run.workflow_id}/stream?runId={run.run_id}",
            code="WORKFLOW_RUN_NOT_STARTED",
        )
    stream = run.observe_stream(after=after, close_on_suspend=close_on_suspend)
    return _respond(ctx, stream, framing)


@router.post("/workflows/{workflowId}/stream", responses=_RESPONSES)
@router.post("/workflows/{workflowId}/streamVNext", responses=_RESPONSES, deprecated=True)
async def stream_run(
    ctx: Ctx, request: Request, workflowId: WorkflowIdPath, runId: RunIdQuery,
    body: Annotated[StreamBody | None, Body()] = None, last_event_id: LastEventId = None,
) -> Any:  # fmt: skip
    """Start the run (created if new) and stream its events. 409 if it has already started:
    follow it with `/observe`, or send `Last-Event-ID` to re-attach here."""
    body = body or StreamBody()
    framing = framing_for(request.headers.get("accept"))
    workflow = ctx.workflow(workflowId)
    async with ctx.live.lock(workflow.id, runId):
        run = await workflow.create_run(run_id=runId, resource_id=body.resourceId)
        if last_event_id is not None and run.status != "pending":
            after = _seq_from_header(last_event_id)
            return _observe(ctx, run, after, body.closeOnSuspend is not False, framing)
        if run.status != "pending":
            raise ApiError(
                409,
                f"Workflow run '{runId}' has already started (status: {run.status}); to follow "
                f"it, POST /api/workflows/{workflow.id}/observe?runId={runId}",
                code="WORKFLOW_RUN_ALREADY_STARTED",
            )
        stream = launch_start(
            ctx, run, body, close_on_suspend=body.closeOnSuspend is not False,
            buffer_size=READ_BUFFER,
        )  # fmt: skip
        begun = await begin(stream)
    return _respond(ctx, stream, framing, begun)


@router.post("/workflows/{workflowId}/resume-stream", responses=_RESPONSES)
async def resume_stream(
    ctx: Ctx, request: Request, workflowId: WorkflowIdPath, runId: RunIdQuery,
    body: Annotated[ResumeBody | None, Body()] = None, last_event_id: LastEventId = None,
) -> Any:  # fmt: skip
    """Resume a suspended run and stream its events (409 if it is not suspended)."""
    body = body or ResumeBody()
    framing = framing_for(request.headers.get("accept"))
    workflow = ctx.workflow(workflowId)
    close_on_suspend = body.closeOnSuspend is not False
    async with ctx.live.lock(workflow.id, runId):
        record = await ctx.record(workflow, runId)
        run = await workflow.create_run(run_id=runId)
        if last_event_id is not None:
            return _observe(ctx, run, _seq_from_header(last_event_id), close_on_suspend, framing)
        if record.status != "suspended":
            raise not_suspended(record)
        stream = launch_resume(
            ctx, run, body, close_on_suspend=close_on_suspend, buffer_size=READ_BUFFER
        )
        begun = await begin(stream)
    return _respond(ctx, stream, framing, begun)


@router.post("/workflows/{workflowId}/time-travel-stream", responses=_RESPONSES)
async def time_travel_stream(
    ctx: Ctx, request: Request, workflowId: WorkflowIdPath, runId: RunIdQuery,
    body: TimeTravelBody, last_event_id: LastEventId = None,
) -> Any:  # fmt: skip
    """Run a stored run again from a step and stream its events."""
    framing = framing_for(request.headers.get("accept"))
    workflow = ctx.workflow(workflowId)
    close_on_suspend = body.closeOnSuspend is not False
    async with ctx.live.lock(workflow.id, runId):
        run = await ctx.existing_run(workflow, runId)
        if last_event_id is not None:
            return _observe(ctx, run, _seq_from_header(last_event_id), close_on_suspend, framing)
        stream = launch_time_travel(
            ctx, run, body, close_on_suspend=close_on_suspend, buffer_size=READ_BUFFER
        )
        begun = await begin(stream)
    return _respond(ctx, stream, framing, begun)


@router.post("/workflows/{workflowId}/observe", responses=_RESPONSES)
@router.get("/workflows/{workflowId}/observe", responses=_RESPONSES)
@router.post("/workflows/{workflowId}/observe-stream", responses=_RESPONSES, deprecated=True)
@router.post("/workflows/{workflowId}/observe-streamVNext", responses=_RESPONSES, deprecated=True)
async def observe(
    ctx: Ctx,
    request: Request,
    workflowId: WorkflowIdPath,
    runId: RunIdQuery,
    offset: Annotated[
        int | None, Query(ge=0, le=MAX_INDEX, description="Skip this many events (Mastra's).")
    ] = None,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_INDEX, description="The events after this seq.")
    ] = None,
    closeOnSuspend: Annotated[
        bool, Query(description="End the stream when the run suspends.")
    ] = True,
    last_event_id: LastEventId = None,
) -> Any:
    """Follow a run without driving it: its logged events (all, or after `Last-Event-ID` /
    `after` / `offset`), then the live ones until it ends or suspends."""
    framing = framing_for(request.headers.get("accept"))
    workflow = ctx.workflow(workflowId)
    run = await ctx.existing_run(workflow, runId)
    if last_event_id is not None:
        start_after = _seq_from_header(last_event_id)
    else:
        start_after = after if after is not None else (offset or 0)
    return _observe(ctx, run, start_after, closeOnSuspend, framing)
