"""Stored runs: list (filtered, paged), get (Mastra's WorkflowState), delete, and run logs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BeforeValidator, Field

from .._creation import load_settled
from ..workflow import Workflow
from .bodies import ID_PATTERN
from .context import Ctx, RunIdPath, WorkflowIdPath, iso_dates
from .errors import ApiError
from .framing import json_response
from .responses import LogsBody, MessageBody, RunList, WorkflowStateBody, errors

__all__ = ["router"]

router = APIRouter(tags=["Runs"])

RunStatus = Literal[
    "running", "waiting", "suspended", "success", "failed", "canceled", "pending", "bailed",
    "tripwire", "paused", "skipped",
]  # fmt: skip
LogLevel = Literal["debug", "info", "warn", "warning", "error", "critical", "fatal"]
_LEVEL = {"warn": "WARNING", "fatal": "CRITICAL"}

MAX_PAGE_SIZE = 10_000
MAX_PAGE = 10**9  # so page * perPage stays a 64-bit SQL offset
MAX_INDEX = 2**53  # JavaScript's safe integers (seqs, offsets)


def _iso_only(value: Any) -> Any:
    """Dates are ISO 8601 text (as Mastra's client sends them), not bare numbers."""
    if isinstance(value, str) and "-" not in value:
        raise ValueError("expected an ISO 8601 date-time, e.g. 2025-01-31T12:00:00Z")
    return value


Date = Annotated[datetime, BeforeValidator(_iso_only)]


def _ms(value: datetime | None) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:  # a date without a zone is UTC, as JavaScript's Date reads it
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


@router.get(
    "/workflows/{workflowId}/runs",
    responses={200: {"model": RunList}, **errors(400, 404)},
)
async def list_runs(
    ctx: Ctx,
    workflowId: WorkflowIdPath,
    fromDate: Annotated[Date | None, Query(description="Created at or after (ISO 8601).")] = None,
    toDate: Annotated[Date | None, Query(description="Created at or before (ISO 8601).")] = None,
    page: Annotated[int | None, Query(ge=0, le=MAX_PAGE, description="0-based.")] = None,
    perPage: Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE)] = None,
    limit: Annotated[
        Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] | Literal["false"] | None,
        Query(description="Page size (Mastra's client sends 'false' for all)."),
    ] = None,
    offset: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
    resourceId: Annotated[str | None, Query(max_length=256, pattern=ID_PATTERN)] = None,
    status: RunStatus | None = None,
) -> Any:
    """The workflow's stored runs, newest first: `{runs, total}` (`total` before paging).
    Page with `page` + `perPage` (or `limit` + `offset`)."""
    workflow = ctx.workflow(workflowId)
    per_page = perPage if perPage is not None else (limit if isinstance(limit, int) else None)
    if page is None and offset is not None and per_page is not None:
        page = offset // per_page
    listed = await workflow.list_workflow_runs(
        status=status, resource_id=resourceId, from_date=_ms(fromDate), to_date=_ms(toDate),
        page=page, per_page=per_page,
    )  # fmt: skip
    return json_response(
        {"runs": [iso_dates(row) for row in listed["runs"]], "total": listed["total"]}
    )


async def _state(
    ctx: Ctx, workflowId: str, runId: str, fields: str | None, nested: str
) -> dict[str, Any]:
    workflow: Workflow[Any, Any, Any] = ctx.workflow(workflowId)
    wanted = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
    state = await workflow.get_workflow_run_by_id(runId, wanted)
    if state is None:
        raise ApiError(
            404,
            f"Workflow run '{runId}' of workflow '{workflow.id}' not found",
            code="WORKFLOW_RUN_NOT_FOUND",
        )
    if nested == "false" and isinstance(state.get("steps"), dict):
        state["steps"] = {k: v for k, v in state["steps"].items() if "." not in k}
    return iso_dates(state)


Fields = Annotated[
    str | None,
    Query(description="Comma-separated: result, error, payload, steps, activeStepsPath, "
          "serializedStepGraph... (ids, dates and status always come)."),
]  # fmt: skip
Nested = Annotated[
    Literal["true", "false"],
    Query(description="Include nested workflows' steps (as `outer.inner`)."),
]
_STATE = {200: {"model": WorkflowStateBody}, **errors(400, 404)}


@router.get("/workflows/{workflowId}/runs/{runId}", responses=_STATE)
@router.get("/workflows/{workflowId}/runs/{runId}/execution-result", responses=_STATE)
@router.get("/workflows/{workflowId}/runs/{runId}/result", responses=_STATE)
async def get_run(
    ctx: Ctx, workflowId: WorkflowIdPath, runId: RunIdPath, fields: Fields = None,
    withNestedWorkflows: Nested = "true",
) -> Any:  # fmt: skip
    """The stored run: status, result or error, input, every step (nested as `outer.inner`).
    `execution-result` (Mastra's older name) and `result` answer the same."""
    return json_response(await _state(ctx, workflowId, runId, fields, withNestedWorkflows))


@router.delete(
    "/workflows/{workflowId}/runs/{runId}",
    responses={200: {"model": MessageBody}, **errors(400, 404, 409)},
)
async def delete_run(ctx: Ctx, workflowId: WorkflowIdPath, runId: RunIdPath) -> Any:
    """Delete the stored run and its event log."""
    workflow = ctx.workflow(workflowId)
    await ctx.record(workflow, runId)
    run = await workflow.create_run(run_id=runId)
    if ctx.live.driving(run):
        raise ApiError(
            409,
            f"Workflow run '{runId}' is running in this server; cancel it before deleting it",
            code="WORKFLOW_RUN_ACTIVE",
        )
    await workflow.delete_workflow_run_by_id(runId)
    return json_response({"message": "Workflow run deleted"})


_WORKFLOW_OF_RUN = "The run's workflow (default: found by run id)."


@router.get("/logs/transports", tags=["Logs"])
async def log_transports() -> Any:
    """Mastra's list of log transports: Treadle keeps run logs in the run's event log."""
    return json_response({"transports": ["treadle"]})


@router.get(
    "/logs/{runId}", tags=["Logs"], responses={200: {"model": LogsBody}, **errors(400, 404)}
)
async def run_logs(
    ctx: Ctx,
    runId: RunIdPath,
    workflowId: Annotated[
        str | None, Query(description=_WORKFLOW_OF_RUN, pattern=ID_PATTERN)
    ] = None,
    level: Annotated[LogLevel | None, Query(description="This level and above.")] = None,
    logLevel: Annotated[LogLevel | None, Query(description="Mastra's name for `level`.")] = None,
    after: Annotated[int, Query(ge=0, le=MAX_INDEX, description="Records after this seq.")] = 0,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based, as Mastra's.")] = 1,
    perPage: Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE)] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE, description="= perPage.")] = None,
) -> Any:
    """The log records kept while the run executed (Python `logging`, any process), oldest
    first: `{logs, total, page, perPage, hasMore}`."""
    if workflowId is not None:
        candidates = [ctx.workflow(workflowId)]
    else:
        candidates = list({id(w): w for w in ctx.app.list_workflows().values()}.values())
    wanted = level or logLevel
    floor = _LEVEL.get(wanted, wanted.upper()) if wanted else None
    size = perPage or limit
    for workflow in candidates:
        if await load_settled(workflow, runId) is None:
            continue
        records = await workflow.get_run_logs(runId, after=after, level=floor)
        first = (page - 1) * size if size else 0
        shown = records[first : first + size] if size else records
        return json_response(
            {
                "logs": shown,
                "total": len(records),
                "page": page,
                "perPage": size,
                "hasMore": first + len(shown) < len(records),
            }
        )
    where = f"workflow '{workflowId}'" if workflowId else "any registered workflow"
    raise ApiError(
        404, f"Workflow run '{runId}' not found in {where}", code="WORKFLOW_RUN_NOT_FOUND"
    )
