"""A new run's `pending` write: owed until the loop's next turn, skipped when the run starts
first, and never missing for a reader in this process."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import BaseModel

from treadle import StepContext, Treadle, create_step, create_workflow
from treadle.errors import RunStateError, StorageError
from treadle.storage import InMemoryStore, RunRecord


class N(BaseModel):
    n: int


class RecordingStore(InMemoryStore):
    """Records the status of every head write; can fail the first `fail` of them."""

    def __init__(self, fail: int = 0) -> None:
        super().__init__()
        self.heads: list[str] = []
        self.fail = fail

    async def save_run(self, record: RunRecord, **kw: Any) -> RunRecord:
        if self.fail:
            self.fail -= 1
            raise StorageError("store down (injected)")
        self.heads.append(record.status)
        return await super().save_run(record, **kw)


def _workflow(store: InMemoryStore) -> Any:
    async def inc(ctx: StepContext[N]) -> N:
        return N(n=ctx.input_data.n + 1)

    step = create_step(id="inc", input_schema=N, output_schema=N, execute=inc)
    wf = create_workflow(id="w", input_schema=N, output_schema=N).then(step).commit()
    Treadle(workflows={"w": wf}, storage=store)
    return wf


async def _next_turns() -> None:
    for _ in range(3):  # the callback, then the write's task
        await asyncio.sleep(0)


async def test_a_run_started_at_once_is_created_by_its_start() -> None:
    store = RecordingStore()
    wf = _workflow(store)
    run = await wf.create_run()
    result = await run.start(input_data={"n": 1})
    assert result.status == "success"
    assert store.heads == ["running", "success"]  # no `pending` write
    await _next_turns()
    assert store.heads == ["running", "success"]  # and none later, over the finished run


async def test_a_created_run_is_stored_pending_on_the_loops_next_turn() -> None:
    store = RecordingStore()
    wf = _workflow(store)
    run = await wf.create_run()
    assert store.heads == []
    await _next_turns()
    assert store.heads == ["pending"]
    stored = await store.load_run("w", run.run_id)
    assert stored is not None and stored.status == "pending"
    await run.start(input_data={"n": 1})
    assert store.heads == ["pending", "running", "success"]


async def test_readers_in_this_process_see_a_run_created_this_turn() -> None:
    store = RecordingStore()
    wf = _workflow(store)
    listed = await wf.create_run()
    found = await wf.create_run()
    runs = await wf.list_workflow_runs()
    assert {r["runId"] for r in runs["runs"]} == {listed.run_id, found.run_id}
    assert (await wf.get_workflow_run_by_id(found.run_id))["status"] == "pending"
    fetched = await wf.create_run()
    again = await wf.create_run(run_id=fetched.run_id)  # the same handle
    assert again is fetched
    await _next_turns()
    assert sorted(store.heads) == ["pending"] * 3  # each written once


async def test_a_dropped_handle_still_gets_its_run_stored() -> None:
    store = RecordingStore()
    wf = _workflow(store)
    run_id = (await wf.create_run()).run_id  # the handle is not kept
    state = await wf.get_workflow_run_by_id(run_id)
    assert state is not None and state["status"] == "pending"


async def test_cancel_and_resume_of_a_fresh_run_read_it_as_pending() -> None:
    wf = _workflow(InMemoryStore())
    run = await wf.create_run()
    with pytest.raises(RunStateError, match="was not suspended"):  # found, as pending
        await run.resume(resume_data={})
    fresh = await wf.create_run()
    await fresh.cancel()
    assert (await wf.get_workflow_run_by_id(fresh.run_id))["status"] == "canceled"


async def test_a_failed_pending_write_is_made_good_by_the_start() -> None:
    store = RecordingStore(fail=1)
    wf = _workflow(store)
    run = await wf.create_run()
    await _next_turns()  # the pending write fails (logged), the run stays owed
    assert store.heads == []
    result = await run.start(input_data={"n": 1})
    assert result.status == "success"
    assert store.heads == ["running", "success"]


async def test_a_failed_pending_write_surfaces_to_a_reader() -> None:
    store = RecordingStore(fail=2)
    wf = _workflow(store)
    run = await wf.create_run()
    await _next_turns()  # first failure, in the background
    with pytest.raises(StorageError, match="store down"):
        await wf.get_workflow_run_by_id(run.run_id)  # second failure, the reader's own
    state = await wf.get_workflow_run_by_id(run.run_id)  # the store is back
    assert state is not None and state["status"] == "pending"


def test_a_run_created_in_one_event_loop_starts_in_another() -> None:
    store = RecordingStore()
    wf = _workflow(store)
    run = asyncio.run(wf.create_run())
    result = run.start_sync(input_data={"n": 1})
    assert result.status == "success"
    assert store.heads[-2:] == ["running", "success"]


async def test_a_streamed_run_is_created_by_its_start() -> None:
    store = RecordingStore()
    wf = _workflow(store)
    run = await wf.create_run()
    stream = run.stream(input_data={"n": 1})  # the start runs in a task, a turn later
    assert [event.type async for event in stream][-1] == "workflow-finish"
    assert (await stream.result).status == "success"
    await _next_turns()
    assert store.heads == ["running", "success"]


async def test_a_run_started_in_the_background_is_created_by_its_start() -> None:
    store = RecordingStore()
    wf = _workflow(store)
    run = await wf.create_run()
    await run.start_async(input_data={"n": 1})
    background = run._background
    assert background is not None
    assert (await background).status == "success"  # (a reader now would make pending happen)
    assert store.heads == ["running", "success"]


async def test_a_streamed_start_refused_leaves_the_run_stored_pending() -> None:
    store = RecordingStore()
    wf = _workflow(store)
    run = await wf.create_run()
    stream = run.stream(input_data={"n": "not a number"})
    with pytest.raises(Exception, match="Invalid input data"):
        await stream.result
    await _next_turns()
    assert store.heads == ["pending"]
    stored = await store.load_run("w", run.run_id)
    assert stored is not None and stored.status == "pending"
