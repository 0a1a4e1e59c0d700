"""Durable runs in one process: the persistence policy, storage faults, time travel and the
scheduler, against the in-memory and SQLite stores (cross-process tests: tests/durability)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from treadle import StepContext, Treadle, create_step, create_workflow
from treadle.errors import StorageError
from treadle.storage import InMemoryStore, SQLiteStore


class N(BaseModel):
    n: int


def chain(calls: list[str], wid: str = "chain") -> Any:
    def make(name: str) -> Any:
        async def run(ctx: StepContext[N]) -> N:
            calls.append(name)
            return N(n=ctx.input_data.n + 1)

        return create_step(id=name, input_schema=N, output_schema=N, execute=run)

    wf = create_workflow(id=wid, input_schema=N, output_schema=N)
    for name in ("s1", "s2", "s3", "s4"):
        wf = wf.then(make(name))
    return wf.commit()


class CountingStore(InMemoryStore):
    """Counts step writes; can be told to fail the n-th one."""

    def __init__(self, fail_on_step_write: int | None = None) -> None:
        super().__init__()
        self.step_writes = 0
        self.fail_on = fail_on_step_write

    async def save_step(
        self, workflow_name: str, run_id: str, key: str, record: dict[str, Any], **kw: Any
    ) -> None:
        self.step_writes += 1
        if self.fail_on is not None and self.step_writes == self.fail_on:
            raise StorageError("disk full (injected)")
        await super().save_step(workflow_name, run_id, key, record, **kw)


async def test_step_policy_writes_each_step_and_finish_policy_writes_none() -> None:
    store = CountingStore()
    wf = chain([])
    Treadle(workflows={"c": wf}, storage=store)
    run = await wf.create_run(persistence="step")
    await run.start(input_data={"n": 0})
    # s1..s3 each written when they end; s4, the last, is stored by the finish's head write
    assert store.step_writes == 3
    stored = await store.load_run("chain", run.run_id)
    assert stored is not None and stored.snapshot["context"]["s4"]["output"] == {"n": 4}
    await (await wf.create_run(persistence="finish")).start(input_data={"n": 0})
    assert store.step_writes == 3  # nothing more: only the head at start and finish
    await (await wf.create_run()).start(input_data={"n": 0})
    assert store.step_writes == 3  # the in-memory store's default is "finish"


async def test_a_storage_failure_stops_the_run_and_leaves_it_restartable() -> None:
    calls: list[str] = []
    store = CountingStore(fail_on_step_write=3)  # the write of s3's result fails
    wf = chain(calls)
    Treadle(workflows={"c": wf}, storage=store)
    run = await wf.create_run(persistence="step")
    with pytest.raises(StorageError, match="disk full"):
        await run.start(input_data={"n": 0})
    stored = await store.load_run("chain", run.run_id)
    assert stored is not None and stored.status == "running"
    assert [k for k in stored.snapshot["context"] if k != "input"] == ["s1", "s2"]

    result = await run.restart()
    assert result.status == "success"
    assert result.result == {"n": 4}
    assert calls == ["s1", "s2", "s3", "s3", "s4"]  # s3's result was never stored: it runs again


async def test_time_travel_on_a_stored_run_from_another_handle(tmp_path: Path) -> None:
    calls: list[str] = []
    first = chain(calls)
    store = SQLiteStore(tmp_path / "runs.db")
    Treadle(workflows={"c": first}, storage=store)
    run = await first.create_run()
    assert (await run.start(input_data={"n": 0})).result == {"n": 4}

    # A fresh definition of the same workflow, as another process would have.
    again = chain(calls)
    Treadle(workflows={"c": again}, storage=store)
    handle = await again.create_run(run_id=run.run_id)
    result = await handle.time_travel(step="s3", input_data={"n": 100})
    assert result.status == "success"
    assert result.result == {"n": 102}
    assert calls == ["s1", "s2", "s3", "s4", "s3", "s4"]
    stored = await store.load_run("chain", run.run_id)
    assert stored is not None
    assert stored.snapshot["context"]["s3"]["payload"] == {"n": 100}
    assert stored.snapshot["result"] == {"n": 102}
    await store.close()


async def test_the_scheduler_continues_a_sleeping_run_whose_process_went_away(
    tmp_path: Path,
) -> None:
    async def inc(ctx: StepContext[N]) -> N:
        return N(n=ctx.input_data.n + 1)

    def build() -> Any:
        return (
            create_workflow(id="sleepy", input_schema=N, output_schema=N)
            .then(create_step(id="a", input_schema=N, output_schema=N, execute=inc))
            .sleep(1)
            .then(create_step(id="b", input_schema=N, output_schema=N, execute=inc))
            .commit()
        )

    store = SQLiteStore(tmp_path / "runs.db")
    wf = build()
    Treadle(workflows={"s": wf}, storage=store)
    run = await wf.create_run()
    result = await run.start(input_data={"n": 0})
    assert result.status == "success"  # the normal case: the process sleeps and carries on

    # Simulate a process that stored a run as waiting and died: write such a run directly.
    stored = await store.load_run("sleepy", run.run_id)
    assert stored is not None
    snapshot = stored.snapshot
    sleep_id = snapshot["stepExecutionPath"][1]
    snapshot["context"] = {
        "input": {"n": 0},
        "a": snapshot["context"]["a"],
        sleep_id: {"status": "waiting", "payload": {"n": 1}, "startedAt": 1},
    }
    snapshot["stepExecutionPath"] = ["a", sleep_id]
    snapshot["status"] = "waiting"
    stored.run_id = "orphan"
    stored.status = "waiting"
    stored.wake_at = 1  # long past
    stored.lease_owner, stored.lease_until = "dead-process", 2  # expired
    stored.version = 0
    await store.save_run(stored, replace_steps=True)

    other = build()
    app = Treadle(workflows={"s": other}, storage=store)
    assert await app.scheduler.tick() == 1
    await app.scheduler.wait_idle()
    done = await store.load_run("sleepy", "orphan")
    assert done is not None and done.status == "success"
    assert done.snapshot["result"] == {"n": 2}
    assert done.snapshot["stepExecutionPath"] == ["a", sleep_id, "b"]
    await store.close()
