"""Run routes that answer with JSON: create, start, resume, restart, time travel, cancel, send an
event (each fire-and-forget or `-async`, as Mastra's)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from ..results import WorkflowResult
from ..run import Run
from ..storage.base import RunRecord
from ..stream import WorkflowStream
from ..workflow import Workflow
from .bodies import (
    ID_PATTERN,
    CreateRunBody,
    RestartBody,
    ResumeBody,
    SendEventBody,
    StartBody,
    TimeTravelBody,
)
from .context import Ctx, RunIdPath, RunIdQuery, ServerContext, WorkflowIdPath
from .drives import begin, close_events, launch_resume, launch_start, launch_time_travel
from .errors import ApiError
from .framing import json_response
from .responses import MessageBody, RunIdBody, WorkflowResultBody, errors

__all__ = ["router"]

router = APIRouter(tags=["Runs"])

_ENDED = ("success", "failed", "canceled")
_E = errors(400, 404, 409)

OptionalRunId = Annotated[
    str | None,
    Query(alias="runId", description="Use this run id (default: a new one).", min_length=1,
          max_length=256, pattern=ID_PATTERN),
]  # fmt: skip


def _message(text: str) -> Any:
    return json_response({"message": text})


def _result(result: WorkflowResult) -> Any:
    return json_response(result.model_dump(mode="json", by_alias=True, exclude_none=True))


def _not_pending(workflow: Workflow[Any, Any, Any], run: Run[Any, Any]) -> ApiError:
    return ApiError(
        409,
        f"Workflow run '{run.run_id}' has already started (status: {run.status}); to follow it, "
        f"POST /api/workflows/{workflow.id}/observe?runId={run.run_id}",
        code="WORKFLOW_RUN_ALREADY_STARTED",
    )


def not_suspended(record: RunRecord) -> ApiError:
    return ApiError(
        409,
        f"Workflow run '{record.run_id}' is not suspended (status: {record.status}); "
        "only a suspended run can be resumed",
        code="WORKFLOW_RUN_NOT_SUSPENDED",
    )


async def _launched(ctx: ServerContext, stream: WorkflowStream) -> WorkflowStream:
    """Wait for the drive to begin (raising its refusal), then leave it to run unread."""
    _first, events = await begin(stream)
    await close_events(events)
    await ctx.live.detach(stream)
    return stream


async def _start(ctx: ServerContext, workflow: Workflow[Any, Any, Any], run_id: str | None,
                 body: StartBody) -> WorkflowStream:  # fmt: skip
    run = await workflow.create_run(run_id=run_id, resource_id=body.resourceId)
    async with ctx.live.lock(workflow.id, run.run_id):
        if run.status != "pending":
            raise _not_pending(workflow, run)
        return await _launched(ctx, launch_start(ctx, run, body))


async def _resume(ctx: ServerContext, workflow: Workflow[Any, Any, Any], run_id: str,
                  body: ResumeBody) -> WorkflowStream:  # fmt: skip
    async with ctx.live.lock(workflow.id, run_id):
        record = await ctx.record(workflow, run_id)
        if record.status != "suspended":
            raise not_suspended(record)
        run = await workflow.create_run(run_id=run_id)
        return await _launched(ctx, launch_resume(ctx, run, body))


async def _time_travel(ctx: ServerContext, workflow: Workflow[Any, Any, Any], run_id: str,
                       body: TimeTravelBody) -> WorkflowStream:  # fmt: skip
    async with ctx.live.lock(workflow.id, run_id):
        run = await ctx.existing_run(workflow, run_id)
        return await _launched(ctx, launch_time_travel(ctx, run, body))


@router.post("/workflows/{workflowId}/create-run", responses={200: {"model": RunIdBody}, **_E})
async def create_run(
    ctx: Ctx, workflowId: WorkflowIdPath, runId: OptionalRunId = None,
    body: Annotated[CreateRunBody | None, Body()] = None,
) -> Any:  # fmt: skip
    """Create a run (or get the one with this `runId`); start it with `/stream` or `/start`."""
    workflow = ctx.workflow(workflowId)
    run = await workflow.create_run(run_id=runId, resource_id=(body or CreateRunBody()).resourceId)
    return json_response({"runId": run.run_id})


@router.post("/workflows/{workflowId}/start", responses={200: {"model": MessageBody}, **_E})
async def start(
    ctx: Ctx, workflowId: WorkflowIdPath, runId: RunIdQuery,
    body: Annotated[StartBody | None, Body()] = None,
) -> Any:  # fmt: skip
    """Start a created run and return at once (the run goes on in the server)."""
    workflow = ctx.workflow(workflowId)
    await ctx.record(workflow, runId)
    await _start(ctx, workflow, runId, body or StartBody())
    return _message("Workflow run started")


@router.post(
    "/workflows/{workflowId}/start-async", responses={200: {"model": WorkflowResultBody}, **_E}
)
async def start_async(
    ctx: Ctx, workflowId: WorkflowIdPath, runId: OptionalRunId = None,
    body: Annotated[StartBody | None, Body()] = None,
) -> Any:  # fmt: skip
    """Start a run (created now if `runId` is new or absent) and return its result."""
    workflow = ctx.workflow(workflowId)
    stream = await _start(ctx, workflow, runId, body or StartBody())
    return _result(await asyncio.shield(stream.result))


@router.post("/workflows/{workflowId}/resume", responses={200: {"model": MessageBody}, **_E})
async def resume(
    ctx: Ctx, workflowId: WorkflowIdPath, runId: RunIdQuery,
    body: Annotated[ResumeBody | None, Body()] = None,
) -> Any:  # fmt: skip
    """Resume a suspended run and return at once."""
    await _resume(ctx, ctx.workflow(workflowId), runId, body or ResumeBody())
    return _message("Workflow run resumed")


@router.post("/workflows/{workflowId}/resume-no-wait", responses={200: {"model": RunIdBody}, **_E})
async def resume_no_wait(
    ctx: Ctx, workflowId: WorkflowIdPath, runId: RunIdQuery,
    body: Annotated[ResumeBody | None, Body()] = None,
) -> Any:  # fmt: skip
    """Resume a suspended run and return `{runId}` at once."""
    await _resume(ctx, ctx.workflow(workflowId), runId, body or ResumeBody())
    return json_response({"runId": runId})


@router.post(
    "/workflows/{workflowId}/resume-async", responses={200: {"model": WorkflowResultBody}, **_E}
)
async def resume_async(
    ctx: Ctx, workflowId: WorkflowIdPath, runId: RunIdQuery,
    body: Annotated[ResumeBody | None, Body()] = None,
) -> Any:  # fmt: skip
    """Resume a suspended run and return its result."""
    stream = await _resume(ctx, ctx.workflow(workflowId), runId, body or ResumeBody())
    return _result(await asyncio.shield(stream.result))


@router.post("/workflows/{workflowId}/time-travel", responses={200: {"model": MessageBody}, **_E})
async def time_travel(
    ctx: Ctx, workflowId: WorkflowIdPath, runId: RunIdQuery, body: TimeTravelBody
) -> Any:
    """Run a stored run again from a step and return at once."""
    await _time_travel(ctx, ctx.workflow(workflowId), runId, body)
    return _message("Workflow run time travel started")


@router.post(
    "/workflows/{workflowId}/time-travel-async",
    responses={200: {"model": WorkflowResultBody}, **_E},
)
async def time_travel_async(
    ctx: Ctx, workflowId: WorkflowIdPath, runId: RunIdQuery, body: TimeTravelBody
) -> Any:
    """Run a stored run again from a step and return its result."""
    stream = await _time_travel(ctx, ctx.workflow(workflowId), runId, body)
    return _result(await asyncio.shield(stream.result))


async def _restart_task(ctx: ServerContext, workflow: Workflow[Any, Any, Any], run_id: str,
                        what: str | None) -> asyncio.Task[Any]:  # fmt: skip
    """Check the run can be restarted (the engine would refuse the same), then restart it as a
    server task."""
    async with ctx.live.lock(workflow.id, run_id):
        record = await ctx.record(workflow, run_id)
        run = await workflow.create_run(run_id=run_id)
        if ctx.live.driving(run):
            raise ApiError(409, f"Workflow run '{run_id}' is running in this server",
                           code="WORKFLOW_RUN_LEASED")  # fmt: skip
        if record.status not in ("running", "waiting", *_ENDED[:2]):
            raise ApiError(
                409,
                f"This workflow run was not active (status: {record.status})",
                code="WORKFLOW_RUN_NOT_ACTIVE",
            )
        leased = record.lease_owner is not None and (record.lease_until or 0) >= (
            ctx.app.clock.now_ms()
        )
        if record.status in ("running", "waiting") and leased:
            raise ApiError(
                409,
                f"Workflow run '{run_id}' is held by a live process until {record.lease_until}; "
                "restart it once that lease expires",
                code="WORKFLOW_RUN_LEASED",
            )
        return ctx.live.spawn(run.restart(), what, run)


@router.post("/workflows/{workflowId}/restart", responses={200: {"model": MessageBody}, **_E})
async def restart(
    ctx: Ctx, workflowId: WorkflowIdPath, runId: RunIdQuery,
    body: Annotated[RestartBody | None, Body()] = None,
) -> Any:  # fmt: skip
    """Continue a run whose process died (status running/waiting, lease expired); at once."""
    del body  # accepted for compatibility; a restart keeps the stored request context
    workflow = ctx.workflow(workflowId)
    await _restart_task(ctx, workflow, runId, f"restart of run '{runId}'")
    return _message("Workflow run restarted")


@router.post(
    "/workflows/{workflowId}/restart-async", responses={200: {"model": WorkflowResultBody}, **_E}
)
async def restart_async(
    ctx: Ctx, workflowId: WorkflowIdPath, runId: RunIdQuery,
    body: Annotated[RestartBody | None, Body()] = None,
) -> Any:  # fmt: skip
    """Continue a run whose process died, and return its result."""
    del body
    task = await _restart_task(ctx, ctx.workflow(workflowId), runId, None)
    return _result(await asyncio.shield(task))


@router.post(
    "/workflows/{workflowId}/restart-all-active-workflow-runs",
    responses={200: {"model": MessageBody}, **errors(404)},
)
async def restart_all(ctx: Ctx, workflowId: WorkflowIdPath) -> Any:
    """Restart every run of the workflow left running by a dead process; at once."""
    workflow = ctx.workflow(workflowId)
    ctx.live.spawn(workflow.restart_all_active_workflow_runs(), f"restart of '{workflow.id}' runs")
    return _message("All active workflow runs restarted")


@router.post(
    "/workflows/{workflowId}/restart-all-active-workflow-runs-async",
    responses={200: {"model": MessageBody}, **errors(404)},
)
async def restart_all_async(ctx: Ctx, workflowId: WorkflowIdPath) -> Any:
    """Restart every run of the workflow left running by a dead process, and wait for them."""
    workflow = ctx.workflow(workflowId)
    await asyncio.shield(ctx.live.spawn(workflow.restart_all_active_workflow_runs(), None))
    return _message("All active workflow runs restarted")


@router.post(
    "/workflows/{workflowId}/runs/{runId}/cancel",
    responses={200: {"model": MessageBody}, **errors(400, 404)},
)
async def cancel(ctx: Ctx, workflowId: WorkflowIdPath, runId: RunIdPath) -> Any:
    """Cancel a run: a running step is interrupted; a suspended or waiting run is marked
    canceled."""
    run = await ctx.existing_run(ctx.workflow(workflowId), runId)
    await run.cancel()
    return _message("Workflow run cancelled")


@router.post(
    "/workflows/{workflowId}/runs/{runId}/send-event",
    responses={200: {"model": MessageBody}, **_E},
)
async def send_event(
    ctx: Ctx, workflowId: WorkflowIdPath, runId: RunIdPath, body: SendEventBody
) -> Any:
    """Deliver an event to the run's `wait_for_event` (it continues in the server)."""
    workflow = ctx.workflow(workflowId)
    record = await ctx.record(workflow, runId)
    if record.status in _ENDED:
        raise ApiError(
            409,
            f"Workflow run '{runId}' has ended ({record.status}); it takes no events",
            code="WORKFLOW_RUN_ENDED",
        )
    run = await workflow.create_run(run_id=runId)
    if run.status == "pending":  # no process holds it: the event would have nowhere to wait
        raise ApiError(
            409,
            f"Workflow run '{runId}' has not started; start it before sending it events",
            code="WORKFLOW_RUN_NOT_STARTED",
        )
    ctx.live.spawn(run.send_event(body.event, body.data), f"event '{body.event}' to '{runId}'", run)
    return _message("Workflow run event sent")
