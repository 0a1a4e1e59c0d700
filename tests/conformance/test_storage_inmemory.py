"""Conformance twin of oracle case storage-inmemory: list_workflow_runs, get_workflow_run_by_id
(whole and with fields), delete_workflow_run_by_id, records of success/failed/suspended/pending
runs, on an app with an InMemoryStore."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from treadle import Treadle, create_step, create_workflow
from treadle.storage import InMemoryStore

try:
    from ._twin import attempt, canon, golden
except ImportError:
    from _twin import attempt, canon, golden  # type: ignore[no-redef]


class Mode(BaseModel):
    mode: str


def build_workflows() -> Any:
    async def step_exec(ctx: Any) -> Any:
        if ctx.input_data.mode == "fail":
            raise Exception("failed on purpose")  # the twin of JS `new Error(...)`
        if ctx.input_data.mode == "suspend" and not ctx.resume_data:
            await ctx.suspend({"why": "waiting"})
        return ctx.input_data

    step = create_step(id="step", input_schema=Mode, output_schema=Mode, execute=step_exec)
    return create_workflow(id="stored", input_schema=Mode).then(step).commit()


async def exercise(wf: Any) -> dict[str, Any]:
    ids: dict[str, str] = {}
    for mode in ("ok", "fail", "suspend"):
        run = await wf.create_run(run_id=f"run-{mode}", resource_id=f"res-{mode}")
        ids[mode] = run.run_id
        await run.start(input_data={"mode": mode})
    pending_run = await wf.create_run(run_id="run-pending")
    listed = await wf.list_workflow_runs()
    list_shape = {"keys": sorted(listed), "total": listed["total"], "count": len(listed["runs"])}
    runs_sorted = sorted(listed["runs"], key=lambda r: r["runId"])
    by_resource = await wf.list_workflow_runs(resource_id="res-ok")
    paged = await wf.list_workflow_runs(per_page=2, page=0)
    get_missing = await wf.get_workflow_run_by_id("no-such-run")

    async def delete_then_get() -> Any:
        await wf.delete_workflow_run_by_id("run-ok")
        return await wf.get_workflow_run_by_id("run-ok")

    out = {
        "ids": ids,
        "pendingRunId": pending_run.run_id,
        "listShape": list_shape,
        "runsSorted": runs_sorted,
        "byResource": {
            "total": by_resource["total"],
            "runIds": [r["runId"] for r in by_resource["runs"]],
        },
        "paged": {"total": paged["total"], "count": len(paged["runs"])},
        "getOk": await wf.get_workflow_run_by_id("run-ok"),
        "getFailed": await wf.get_workflow_run_by_id("run-fail"),
        "getSuspended": await wf.get_workflow_run_by_id("run-suspend"),
        "getPending": await wf.get_workflow_run_by_id("run-pending"),
        "getWithFields": await wf.get_workflow_run_by_id("run-ok", fields=["status", "result"]),
        "getMissing": "<null>" if get_missing is None else get_missing,
    }
    out["deleteThenGet"] = await attempt(delete_then_get)
    after_delete = await wf.list_workflow_runs()
    out["afterDeleteRunIds"] = sorted(r["runId"] for r in after_delete["runs"])
    return out


async def test_storage_inmemory() -> None:
    wf = build_workflows()
    app = Treadle(workflows={"stored": wf}, storage=InMemoryStore())
    obs = await exercise(wf)
    obs["storageClass"] = type(app.storage).__name__
    expected = golden("storage-inmemory")
    # language: JS-only API surface -- Mastra's default store is an anonymous proxy class
    expected["storageClass"] = "InMemoryStore"
    failed_row = next(r for r in expected["runsSorted"] if r["runId"] == "run-fail")
    for error in (expected["getFailed"]["error"], failed_row["snapshot"]["error"]):
        # language: Python exception class names (`raise Exception(...)` for JS `new Error(...)`)
        error["name"] = "Exception"
    for error in (
        expected["getFailed"]["steps"]["step"]["error"],
        failed_row["snapshot"]["context"]["step"]["error"],
    ):
        # language: Python exception class names; and Mastra's in-memory store hands back live
        # (hydrated) Error objects, canonicalized with "$error"; Treadle stores JSON
        del error["$error"]
        error["name"] = "Exception"
    for row in expected["runsSorted"]:
        # language: JS-only API surface -- the raw snake_case aliases of Mastra's in-memory rows
        del row["run_id"], row["workflow_name"]
        # DIFFERS FROM MASTRA: Treadle's snapshot has no `activePaths` (the engine's position
        # pointer) nor `tracingContext` (Mastra tracing, which Treadle does not have).
        del row["snapshot"]["activePaths"]
        row["snapshot"].pop("tracingContext", None)
    assert canon(obs) == expected
