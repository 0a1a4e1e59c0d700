"""Runs the stores' journal tests write alike (on the store under test and on the reference
store): a loop that ends, one key journaled 50 times, and a run that ends with no key
journaled twice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from treadle.storage import RunRecord, WorkflowStore

WF = "wf"
T0 = 1_700_000_000_000


def _running(run_id: str) -> RunRecord:
    snapshot = {"runId": run_id, "status": "running", "context": {"input": 1}}
    return RunRecord(WF, run_id, "running", snapshot, created_at=T0, updated_at=T0)


async def end_a_loop(store: WorkflowStore, final_steps: Mapping[str, Any]) -> None:
    """Run "loop": "body" journaled 50 times, then "after", then its `success` head write
    (given `final_steps`)."""
    await store.save_run(_running("loop"), steps={})
    for i in range(50):
        await store.save_step(WF, "loop", "body", {"i": i}, path_entry="body", updated_at=T0 + i)
    await store.save_step(WF, "loop", "after", {"done": True}, path_entry="after")
    loaded = await store.load_run(WF, "loop")
    assert loaded is not None
    loaded.status = loaded.snapshot["status"] = "success"
    await store.save_run(loaded, steps=dict(final_steps))


async def end_a_flat_run(store: WorkflowStore, final_steps: Mapping[str, Any]) -> None:
    """Run "flat": "x" journaled once, then its `failed` head write (given `final_steps`)."""
    record = _running("flat")
    await store.save_run(record, steps={})
    await store.save_step(WF, "flat", "x", {"n": 1}, path_entry="x")
    record.status = record.snapshot["status"] = "failed"
    record.snapshot["stepExecutionPath"] = ["x"]
    await store.save_run(record, steps=dict(final_steps))
