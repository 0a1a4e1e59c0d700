"""`ctx.writer` output in streams and output writers, and `run.watch()` callbacks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from flow_steps import N, collect, inc
from treadle import StepContext, create_step, create_workflow


# -- ctx.writer -----------------------------------------------------------------------------
class Point(BaseModel):
    x: int
    at: datetime


WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def _writer_workflow(wid: str) -> Any:
    async def talk(ctx: StepContext[N]) -> N:
        await ctx.writer.write({"point": Point(x=1, at=WHEN), "when": WHEN})
        await ctx.writer.custom({"type": "data-x", "data": {"point": Point(x=2, at=WHEN)}})
        return ctx.input_data

    talker = create_step(id="talk", input_schema=N, output_schema=N, execute=talk)
    inner = create_workflow(id="inner", input_schema=N, output_schema=N).then(talker).commit()
    return create_workflow(id=wid, input_schema=N).then(inner).commit()


PLAIN_WRITE = {"point": {"x": 1, "at": "2024-05-06T07:08:09Z"}, "when": "2024-05-06T07:08:09Z"}
PLAIN_CUSTOM = {"point": {"x": 2, "at": "2024-05-06T07:08:09Z"}}


async def test_writer_output_from_a_nested_step_reaches_the_outer_stream() -> None:
    wf = _writer_workflow("s-writer")
    run = await wf.create_run()
    events = await collect(run.stream(input_data={"n": 1}))
    assert [e.type for e in events] == [
        "workflow-start",
        "workflow-step-start",
        "workflow-step-start",
        "workflow-step-output",
        "data-x",
        "workflow-step-result",
        "workflow-step-result",
        "workflow-finish",
    ]
    write, custom = events[3], events[4]
    assert write.model_dump(by_alias=True, exclude_none=True) == {
        "type": "workflow-step-output",
        "runId": run.run_id,
        "from": "USER",
        "payload": {"output": PLAIN_WRITE, "runId": run.run_id, "stepName": "talk"},
    }
    assert custom.model_dump(by_alias=True, exclude_none=True) == {
        "type": "data-x",
        "runId": run.run_id,
        "from": "WORKFLOW",
        "data": PLAIN_CUSTOM,
    }
    assert custom.payload is None
    # plain JSON all the way down: what a server would send as is
    stored = dict(await wf.store.load_events(wf.id, run.run_id))
    assert stored[write.seq]["payload"]["output"] == PLAIN_WRITE
    assert stored[custom.seq]["data"] == PLAIN_CUSTOM


async def test_output_writer_callbacks_get_the_chunks_sync_and_async() -> None:
    wf = _writer_workflow("s-output")
    sync_chunks: list[Any] = []
    run = await wf.create_run()
    result = await run.start(input_data={"n": 1}, output_writer=sync_chunks.append)
    assert result.status == "success"

    async_chunks: list[Any] = []
    release = asyncio.Event()
    release.set()

    async def slow_writer(chunk: Any) -> None:
        await release.wait()
        async_chunks.append(chunk)

    run2 = await wf.create_run()
    assert (await run2.start(input_data={"n": 1}, output_writer=slow_writer)).status == "success"

    for chunks, rid in ((sync_chunks, run.run_id), (async_chunks, run2.run_id)):
        assert chunks == [
            {
                "type": "workflow-step-output",
                "runId": rid,
                "from": "USER",
                "payload": {"output": PLAIN_WRITE, "runId": rid, "stepName": "talk"},
            },
            {"type": "data-x", "data": PLAIN_CUSTOM},
        ]
    # An output writer is not a stream: nothing is logged for these runs.
    assert await wf.store.load_events(wf.id, run.run_id) == []


async def test_an_async_output_writer_is_awaited_by_the_writing_step() -> None:
    order: list[str] = []
    called = asyncio.Event()
    release = asyncio.Event()

    async def talk(ctx: StepContext[N]) -> N:
        await ctx.writer.write("chunk")
        order.append("step went on")
        return ctx.input_data

    wf = create_workflow(id="s-await-writer", input_schema=N)
    wf.then(create_step(id="talk", input_schema=N, output_schema=N, execute=talk)).commit()

    async def writer(chunk: Any) -> None:
        order.append("writer called")
        called.set()
        await release.wait()
        order.append("writer done")

    run = await wf.create_run()
    task = asyncio.create_task(run.start(input_data={"n": 1}, output_writer=writer))
    await asyncio.wait_for(called.wait(), 5)
    assert order == ["writer called"]
    release.set()
    assert (await asyncio.wait_for(task, 5)).status == "success"
    assert order == ["writer called", "writer done", "step went on"]


# -- watch ----------------------------------------------------------------------------------
async def test_watch_gets_engine_events_until_unwatched() -> None:
    started = asyncio.Event()
    release = asyncio.Event()

    async def block(ctx: StepContext[N]) -> N:
        started.set()
        await release.wait()
        return ctx.input_data

    wf = create_workflow(id="s-watch", input_schema=N)
    wf.then(inc("a")).then(
        create_step(id="block", input_schema=N, output_schema=N, execute=block)
    ).then(inc("c")).commit()
    run = await wf.create_run()
    watched: list[dict[str, Any]] = []
    unwatch = run.watch(watched.append)
    assert callable(unwatch)
    task = asyncio.create_task(run.start(input_data={"n": 1}))
    await asyncio.wait_for(started.wait(), 5)
    unwatch()
    release.set()
    assert (await asyncio.wait_for(task, 5)).status == "success"
    assert [(w["type"], w["payload"]["id"]) for w in watched] == [
        ("workflow-step-start", "a"),
        ("workflow-step-result", "a"),
        ("workflow-step-finish", "a"),  # kept for watchers, dropped by streams
        ("workflow-step-start", "block"),
    ]
    assert all(set(w) == {"type", "payload"} for w in watched)  # no runId / from
    assert all("stepName" not in w["payload"] for w in watched)
    assert watched[2]["payload"] == {
        "id": "a",
        "stepCallId": watched[0]["payload"]["stepCallId"],
        "metadata": {},
    }


async def test_watch_and_stream_see_the_same_run_in_their_own_shapes() -> None:
    inner = create_workflow(id="inner", input_schema=N, output_schema=N).then(inc("i1")).commit()
    wf = create_workflow(id="s-watch-stream", input_schema=N).then(inner).commit()
    run = await wf.create_run()
    watched: list[dict[str, Any]] = []
    run.watch(watched.append)
    events = await collect(run.stream(input_data={"n": 1}))
    assert [(w["type"], w["payload"]["id"]) for w in watched] == [
        ("workflow-step-start", "inner"),
        ("workflow-step-start", "inner.i1"),
        ("workflow-step-result", "inner.i1"),
        ("workflow-step-finish", "inner.i1"),
        ("workflow-step-result", "inner"),
        ("workflow-step-finish", "inner"),
    ]
    streamed = [e for e in events if e.type.startswith("workflow-step-")]
    unfinished = [w for w in watched if w["type"] != "workflow-step-finish"]
    assert [e.payload for e in streamed] == [
        {"stepName": w["payload"]["id"], **w["payload"]} for w in unfinished
    ]
