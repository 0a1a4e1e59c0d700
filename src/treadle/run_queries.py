"""Reading stored runs of a workflow: list, get (Mastra's WorkflowState), delete, active runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._creation import load_settled, settle_creations
from .storage.base import RunRecord

if TYPE_CHECKING:
    from .workflow import Workflow
from ._engine.outcome import EMPTY

__all__ = [
    "delete_workflow_run_by_id",
    "get_workflow_run_by_id",
    "list_active_workflow_runs",
    "list_workflow_runs",
    "restart_all_active_workflow_runs",
]


def _ms(value: datetime | int | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    return int(value.timestamp() * 1000)


def _row(record: RunRecord, workflow: Workflow[Any, Any, Any] | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "workflowName": record.workflow_name,
        "runId": record.run_id,
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
        "snapshot": _public_snapshot(record, workflow),
    }
    if record.resource_id is not None:  # Mastra's in-memory rows have no key then
        row["resourceId"] = record.resource_id
    return row


def _public_snapshot(record: RunRecord, workflow: Workflow[Any, Any, Any] | None) -> dict[str, Any]:
    """The stored snapshot in Mastra's WorkflowRunState shape: its bookkeeping keys present
    (empty when Treadle has nothing for them), Treadle's internal `meta` left out."""
    snap = {k: v for k, v in record.snapshot.items() if k != "meta"}
    snap.setdefault("activeStepsPath", {})
    snap.setdefault("waitingPaths", {})
    snap.setdefault("resumeLabels", {})
    snap.setdefault("suspendedPaths", {})
    snap.setdefault("timestamp", record.updated_at)
    if workflow is not None:
        snap.setdefault("serializedStepGraph", workflow.serialized_step_graph)
    return snap


async def list_workflow_runs(
    workflow: Workflow[Any, Any, Any],
    *,
    status: str | None = None,
    resource_id: str | None = None,
    from_date: datetime | int | None = None,
    to_date: datetime | int | None = None,
    page: int | None = None,
    per_page: int | None = None,
) -> dict[str, Any]:
    await settle_creations(workflow)
    rows, total = await workflow.store.list_runs(
        workflow.id,
        status=status,
        resource_id=resource_id,
        from_date=_ms(from_date),
        to_date=_ms(to_date),
        page=page,
        per_page=per_page,
    )
    return {"runs": [_row(r, workflow) for r in rows], "total": total}


def _flatten_steps(
    context: dict[str, Any], meta: dict[str, Any], prefix: str = ""
) -> dict[str, Any]:
    steps: dict[str, Any] = {}
    for key, record in context.items():
        if key == "input":
            continue
        steps[prefix + key] = record
        nested = (meta.get(key) or EMPTY).get("nested")
        if nested:
            inner = _flatten_steps(
                nested.get("context") or EMPTY, nested.get("meta") or EMPTY, f"{prefix}{key}."
            )
            steps.update(inner)
    return steps


async def get_workflow_run_by_id(
    workflow: Workflow[Any, Any, Any], run_id: str, fields: Sequence[str] | None = None
) -> dict[str, Any] | None:
    record = await load_settled(workflow, run_id)
    if record is None:
        return None
    snap = record.snapshot
    state: dict[str, Any] = {
        "runId": record.run_id,
        "workflowName": record.workflow_name,
        "resourceId": record.resource_id,
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
        "status": record.status,
    }
    if record.resource_id is None:
        del state["resourceId"]  # Mastra's in-memory store has no resourceId key then
    full: dict[str, Any] = {
        "result": snap.get("result"),
        "error": snap.get("error"),
        "payload": (snap.get("context") or EMPTY).get("input"),
        "steps": _flatten_steps(snap.get("context") or EMPTY, snap.get("meta") or EMPTY),
        "activeStepsPath": {},
        "serializedStepGraph": workflow.serialized_step_graph,
        "suspendedPaths": snap.get("suspendedPaths") or EMPTY,
        "resumeLabels": snap.get("resumeLabels") or EMPTY,
        "waitingPaths": {},
    }
    if snap.get("value"):
        full["initialState"] = snap["value"]
    wanted = full if fields is None else {k: v for k, v in full.items() if k in fields}
    state.update({k: v for k, v in wanted.items() if v is not None})
    return state


async def delete_workflow_run_by_id(workflow: Workflow[Any, Any, Any], run_id: str) -> None:
    await settle_creations(workflow, run_id)
    await workflow.store.delete_run(workflow.id, run_id)
    workflow._runs.pop(run_id, None)  # pyright: ignore[reportPrivateUsage]


async def list_active_workflow_runs(workflow: Workflow[Any, Any, Any]) -> dict[str, Any]:
    await settle_creations(workflow)
    running, _ = await workflow.store.list_runs(workflow.id, status="running")
    waiting, _ = await workflow.store.list_runs(workflow.id, status="waiting")
    rows = [_row(r, workflow) for r in running + waiting]
    return {"runs": rows, "total": len(rows)}


async def restart_all_active_workflow_runs(workflow: Workflow[Any, Any, Any]) -> None:
    """Restart, concurrently, the workflow's runs left `running` whose lease has expired (their
    process died). Runs a live process holds are left alone, and `waiting` runs are the
    scheduler's (it continues them when their wake time passes or their event arrives)."""
    import asyncio
    import logging

    from ._engine.clock import SYSTEM_CLOCK

    clock = workflow.app.clock if workflow.app is not None else SYSTEM_CLOCK
    now = clock.now_ms()
    rows, _ = await workflow.store.list_runs(workflow.id, status="running")
    stale = [r for r in rows if r.lease_owner is None or (r.lease_until or 0) < now]

    async def restart(run_id: str) -> None:
        try:
            await (await workflow.create_run(run_id=run_id)).restart()
        except Exception:  # one bad run must not stop the others
            logging.getLogger("treadle").exception("restart of run '%s' failed", run_id)

    await asyncio.gather(*(restart(r.run_id) for r in stale))
