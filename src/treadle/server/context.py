"""What every route needs: the Treadle app, the live runs, lookups that 404 with the ids named,
and the common path/query parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, cast

from fastapi import Depends, Path, Query, Request

from .._creation import load_settled
from ..app import Treadle
from ..run import Run
from ..storage.base import RunRecord
from ..workflow import Workflow
from .bodies import ID_PATTERN
from .errors import ApiError
from .live_runs import LiveRuns

__all__ = [
    "Ctx",
    "RunIdPath",
    "RunIdQuery",
    "ServerContext",
    "WorkflowIdPath",
    "iso_dates",
    "server_context",
]


@dataclass(slots=True)
class ServerContext:
    app: Treadle
    live: LiveRuns
    heartbeat_s: float | None

    def workflow(self, workflow_id: str) -> Workflow[Any, Any, Any]:
        """By registry key or workflow id (`WorkflowNotFoundError`, a 404, names it)."""
        return self.app.get_workflow(workflow_id)

    async def record(self, workflow: Workflow[Any, Any, Any], run_id: str) -> RunRecord:
        found = await load_settled(workflow, run_id)
        if found is None:
            raise ApiError(
                404,
                f"Workflow run '{run_id}' of workflow '{workflow.id}' not found",
                code="WORKFLOW_RUN_NOT_FOUND",
            )
        return found

    async def existing_run(self, workflow: Workflow[Any, Any, Any], run_id: str) -> Run[Any, Any]:
        """The handle of a stored run (the one driving it, if this server drives it); 404 for
        an unknown run (never creates one)."""
        await self.record(workflow, run_id)
        return await workflow.create_run(run_id=run_id)


def server_context(request: Request) -> ServerContext:
    return cast(ServerContext, request.app.state.treadle)


Ctx = Annotated[ServerContext, Depends(server_context)]

WorkflowIdPath = Annotated[
    str, Path(description="The workflow's registry key or id.", pattern=ID_PATTERN)
]
RunIdPath = Annotated[
    str, Path(description="The run id.", min_length=1, max_length=256, pattern=ID_PATTERN)
]
RunIdQuery = Annotated[
    str,
    Query(alias="runId", description="The run id.", min_length=1, max_length=256,
          pattern=ID_PATTERN),
]  # fmt: skip


def iso(ms: Any) -> Any:
    """Epoch ms as Mastra's dates go over the wire (`Date` -> ISO 8601 with ms, UTC)."""
    if isinstance(ms, bool) or not isinstance(ms, int | float):
        return ms
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_dates(row: dict[str, Any]) -> dict[str, Any]:
    """`createdAt`/`updatedAt` as ISO strings (the rest of the row as it is)."""
    out = dict(row)
    for key in ("createdAt", "updatedAt"):
        if key in out:
            out[key] = iso(out[key])
    return out
