"""Workflow routes: the registry (WorkflowInfo), run counts per workflow, and the graph."""

from __future__ import annotations

import importlib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

from .._creation import settle_creations
from ..workflow import Workflow
from .context import Ctx, WorkflowIdPath
from .errors import ApiError, issue
from .framing import json_response
from .responses import RunCount, WorkflowInfoBody, errors
from .workflow_info import workflow_info

__all__ = ["router"]

router = APIRouter(tags=["Workflows"])


@router.get(
    "/workflows",
    responses={200: {"model": dict[str, WorkflowInfoBody]}, **errors(400)},
)
async def list_workflows(
    ctx: Ctx,
    partial: Annotated[
        str | None, Query(description="'true': names and graphs only, no schemas.")
    ] = None,
) -> Any:
    """Every registered workflow by its key: `{key: WorkflowInfo}`."""
    brief = partial == "true"
    return json_response(
        {key: workflow_info(wf, partial=brief) for key, wf in ctx.app.list_workflows().items()}
    )


async def _count(workflow: Workflow[Any, Any, Any], *statuses: str) -> int:
    total = 0
    await settle_creations(workflow)
    for status in statuses:
        _rows, found = await workflow.store.list_runs(
            workflow.id, status=status, page=0, per_page=1
        )
        total += found
    return total


@router.get("/workflows/run-counts", responses={200: {"model": dict[str, RunCount]}})
async def run_counts(ctx: Ctx) -> Any:
    """Per workflow key: `{running, suspended}` (running counts runs waiting on a sleep or an
    event too)."""
    counts: dict[str, dict[str, int]] = {}
    for key, workflow in ctx.app.list_workflows().items():
        counts[key] = {
            "running": await _count(workflow, "running", "waiting"),
            "suspended": await _count(workflow, "suspended"),
        }
    return json_response(counts)


@router.get(
    "/workflows/{workflowId}",
    responses={200: {"model": WorkflowInfoBody}, **errors(400, 404)},
)
async def get_workflow(ctx: Ctx, workflowId: WorkflowIdPath) -> Any:
    """One workflow: steps (with superjson-wrapped JSON Schemas), nested steps, the graph."""
    return json_response(workflow_info(ctx.workflow(workflowId)))


def _expand(expand: str | None) -> bool | list[str]:
    if expand is None or expand.strip() in ("", "none", "false"):
        return False
    if expand.strip() == "all":
        return True
    return [part.strip() for part in expand.split(",") if part.strip()]


_GRAPH_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The laid-out graph (json), an SVG image, or Mermaid text.",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "image/svg+xml": {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}},
        },
    },
    **errors(400, 404, 501),
}


@router.get("/workflows/{workflowId}/graph", responses=_GRAPH_RESPONSES)
async def graph(
    ctx: Ctx,
    workflowId: WorkflowIdPath,
    format: Annotated[Literal["json", "svg", "mermaid"], Query()] = "json",
    expand: Annotated[
        str | None,
        Query(description="'all', or comma-separated nested step ids to draw opened."),
    ] = None,
) -> Any:
    """The workflow's graph, drawn by `treadle.render` (a Treadle extension)."""
    workflow = ctx.workflow(workflowId)
    try:
        render: Any = importlib.import_module("treadle.render")
    except ImportError as exc:
        raise ApiError(
            501, f"graph rendering is not available: {exc}", code="RENDER_UNAVAILABLE"
        ) from None
    opened = _expand(expand)
    try:
        if format == "svg":
            return Response(render.to_svg(workflow, expand=opened), media_type="image/svg+xml")
        if format == "mermaid":
            return Response(
                render.to_mermaid(workflow, expand=opened), media_type="text/plain; charset=utf-8"
            )
        return json_response(render.to_json(workflow, expand=opened))
    except (ValueError, KeyError) as exc:  # e.g. an expand id that is not a nested workflow
        raise ApiError(
            400, f"cannot draw workflow '{workflow.id}': {exc}",
            issues=[issue(["expand"], str(exc), "query")],
        ) from None  # fmt: skip
