"""`run.stream()`: the event sequence of each kind of flow, suspension, cancel and failure, bad
input, `close_on_suspend=False`, bounded buffers. (`ctx.writer` and `run.watch()`:
test_streaming_writer.py; the event log, seq and re-attaching: test_streaming_log.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import aclosing
from typing import Any

import pytest

from flow_steps import N, collect, gate, inc
from treadle import (
    ConditionContext,
    StepContext,
    Treadle,
    WorkflowEvent,
    create_step,
    create_workflow,
)
from treadle.errors import SchemaValidationError
from treadle.storage import InMemoryStore
from treadle.testing import FakeClock


def steps(events: list[WorkflowEvent]) -> list[tuple[str, str | None]]:
    """(type, stepName) of each event."""
    return [(e.type, (e.payload or {}).get("stepName")) for e in events]


def drive_signal() -> tuple[asyncio.Event, Callable[[Any], None]]:
    """An event set each time a drive of the run has ended (its `on_finish` callback)."""
    ended = asyncio.Event()
    return ended, lambda info: ended.set()


def finish_status(event: WorkflowEvent) -> Any:
    assert event.type == "workflow-finish"
    return (event.payload or {})["workflowStatus"]


START = ("workflow-start", None)
FINISH = ("workflow-finish", None)


# -- the event sequence of each kind of flow --------------------------------------------------
async def test_parallel_steps_interleave_in_the_stream() -> None:
    b_started = asyncio.Event()

    async def a(ctx: StepContext[N]) -> N:
        await b_started.wait()  # a finishes only after b has run: the two overlap
        return ctx.input_data

    async def b(ctx: StepContext[N]) -> N:
        b_started.set()
        return ctx.input_data

    wf = create_workflow(id="s-par", input_schema=N)
    wf.parallel(
        [
            create_step(id="a", input_schema=N, output_schema=N, execute=a),
            create_step(id="b", input_schema=N, output_schema=N, execute=b),
        ]
    ).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={"n": 1})
    events = await collect(stream)
    assert steps(events) == [
        START,
        ("workflow-step-start", "a"),
        ("workflow-step-start", "b"),
        ("workflow-step-result", "b"),
        ("workflow-step-result", "a"),
        FINISH,
    ]
    assert events[0].payload == {"workflowId": "s-par"}
    assert all(e.run_id == run.run_id for e in events)
    assert all(e.from_ == "WORKFLOW" for e in events)
    assert [(e.payload or {}).get("status") for e in events[1:5]] == [
        "running",
        "running",
        "success",
        "success",
    ]
    finish = events[-1].payload or {}
    assert finish["workflowStatus"] == "success"
    assert finish["metadata"] == {}
    assert finish["finalWorkflowResult"] == {"a": {"n": 1}, "b": {"n": 1}}
    assert finish["output"]["usage"]["totalTokens"] == 0
    assert stream.status == "success"
    assert (await stream.result).result == {"a": {"n": 1}, "b": {"n": 1}}


async def test_branch_streams_only_the_taken_arm() -> None:
    wf = create_workflow(id="s-branch", input_schema=N)
    wf.branch(
        [
            (lambda c: c.input_data["n"] > 10, inc("big")),
            (lambda c: c.input_data["n"] <= 10, inc("small")),
        ]
    ).commit()
    events = await collect((await wf.create_run()).stream(input_data={"n": 3}))
    assert steps(events) == [
        START,
        ("workflow-step-start", "small"),
        ("workflow-step-result", "small"),
        FINISH,
    ]
    assert (events[2].payload or {})["output"] == {"n": 4}


@pytest.mark.parametrize("loop", ["do_until", "do_while"])
async def test_loops_stream_one_start_and_result_per_iteration(loop: str) -> None:
    def until(c: ConditionContext) -> bool:
        return c.input_data["n"] >= 3

    def while_(c: ConditionContext) -> bool:
        return c.input_data["n"] < 3

    wf = create_workflow(id=f"s-{loop}", input_schema=N)
    if loop == "do_until":
        wf.do_until(inc("inc"), until).commit()
    else:
        wf.do_while(inc("inc"), while_).commit()
    events = await collect((await wf.create_run()).stream(input_data={"n": 0}))
    one = [("workflow-step-start", "inc"), ("workflow-step-result", "inc")]
    assert steps(events) == [START, *one, *one, *one, FINISH]
    results = [e.payload or {} for e in events if e.type == "workflow-step-result"]
    assert [r["payload"] for r in results] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert [r["output"] for r in results] == [{"n": 1}, {"n": 2}, {"n": 3}]


async def test_for_each_streams_progress_per_item() -> None:
    def explode(ctx: StepContext[N]) -> list[dict[str, int]]:
        return [{"n": i} for i in range(ctx.input_data.n)]

    wf = create_workflow(id="s-fe", input_schema=N)
    wf.then(create_step(id="explode", input_schema=N, execute=explode)).for_each(inc("sq")).commit()
    events = await collect((await wf.create_run()).stream(input_data={"n": 3}))
    assert steps(events) == [
        START,
        ("workflow-step-start", "explode"),
        ("workflow-step-result", "explode"),
        ("workflow-step-start", "sq"),
        ("workflow-step-progress", "sq"),
        ("workflow-step-progress", "sq"),
        ("workflow-step-progress", "sq"),
        ("workflow-step-result", "sq"),
        FINISH,
    ]
    progress = [e.payload or {} for e in events if e.type == "workflow-step-progress"]
    assert [
        (p["id"], p["completedCount"], p["totalCount"], p["currentIndex"], p["iterationStatus"])
        for p in progress
    ] == [("sq", 1, 3, 0, "success"), ("sq", 2, 3, 1, "success"), ("sq", 3, 3, 2, "success")]
    assert [p["iterationOutput"] for p in progress] == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert (events[-2].payload or {})["output"] == [{"n": 1}, {"n": 2}, {"n": 3}]


async def test_nested_workflow_steps_stream_with_dotted_ids() -> None:
    inner = create_workflow(id="inner", input_schema=N, output_schema=N).then(inc("i1")).commit()
    wf = create_workflow(id="s-nested", input_schema=N).then(inner).then(inc("after")).commit()
    events = await collect((await wf.create_run()).stream(input_data={"n": 1}))
    assert steps(events) == [
        START,
        ("workflow-step-start", "inner"),
        ("workflow-step-start", "inner.i1"),
        ("workflow-step-result", "inner.i1"),
        ("workflow-step-result", "inner"),
        ("workflow-step-start", "after"),
        ("workflow-step-result", "after"),
        FINISH,
    ]
    assert all(
        (e.payload or {}).get("id") == name
        for e, (_, name) in zip(events[1:-1], steps(events)[1:-1], strict=True)
    )
    assert (events[4].payload or {})["output"] == {"n": 2}
    assert len({e.run_id for e in events}) == 1  # one run id, the outer run's


async def test_sleep_streams_waiting_then_result() -> None:
    clock = FakeClock(start_ms=1_000)
    wf = create_workflow(id="s-sleep", input_schema=N).sleep(5_000, id="nap").then(inc("a"))
    wf.commit()
    Treadle(workflows={"s": wf}, storage=InMemoryStore(), clock=clock)
    run = await wf.create_run()
    stream = run.stream(input_data={"n": 1})
    seen: list[WorkflowEvent] = []

    async def consume() -> None:
        seen.extend([event async for event in stream])

    reader = asyncio.create_task(consume())
    await clock.wait_for_sleepers(1)
    await clock.advance(5_000)
    await asyncio.wait_for(reader, 5)
    assert steps(seen) == [
        START,
        ("workflow-step-waiting", "nap"),
        ("workflow-step-result", "nap"),
        ("workflow-step-start", "a"),
        ("workflow-step-result", "a"),
        FINISH,
    ]
    waiting = seen[1].payload or {}
    assert waiting["status"] == "waiting"
    assert waiting["payload"] == {"n": 1}
    assert waiting["startedAt"] == 1_000
    assert (seen[2].payload or {})["status"] == "success"
    assert (seen[2].payload or {})["endedAt"] == 6_000


# -- suspension, cancel, failure --------------------------------------------------------------
def _suspending(kind: str) -> tuple[Any, Any, list[tuple[str, str | None]]]:
    """A workflow that suspends, its input, and the step events its stream shows."""
    if kind == "plain":
        wf = create_workflow(id="sus-plain", input_schema=N).then(gate()).then(inc("after"))
        return wf.commit(), {"n": 1}, [("workflow-step-start", "gate")]
    if kind == "parallel":
        wf = create_workflow(id="sus-par", input_schema=N).parallel([inc("side"), gate()])
        return (
            wf.commit(),
            {"n": 1},
            [
                ("workflow-step-start", "side"),
                ("workflow-step-result", "side"),
                ("workflow-step-start", "gate"),
            ],
        )
    if kind == "for_each":
        wf = create_workflow(id="sus-fe", input_schema=list[N]).for_each(gate())
        return (
            wf.commit(),
            [{"n": 1}, {"n": 2}],
            [("workflow-step-start", "gate"), ("workflow-step-progress", "gate")],
        )
    inner = create_workflow(id="inner", input_schema=N, output_schema=N).then(gate()).commit()
    wf = create_workflow(id="sus-nested", input_schema=N).then(inner)
    return (
        wf.commit(),
        {"n": 1},
        [
            ("workflow-step-start", "inner"),
            ("workflow-step-start", "inner.gate"),
            ("workflow-step-suspended", "inner.gate"),
        ],
    )


@pytest.mark.parametrize("kind", ["plain", "parallel", "for_each", "nested"])
async def test_a_suspension_ends_the_stream(kind: str) -> None:
    wf, input_data, middle = _suspending(kind)
    run = await wf.create_run()
    stream = run.stream(input_data=input_data)
    events = await collect(stream)
    suspended_step = "inner" if kind == "nested" else "gate"
    assert steps(events) == [
        START,
        *middle,
        ("workflow-step-suspended", suspended_step),
        FINISH,
    ]
    assert (events[-2].payload or {})["suspendPayload"] == {"n": 1}
    assert (events[-2].payload or {})["status"] == "suspended"
    assert finish_status(events[-1]) == "suspended"
    assert "finalWorkflowResult" not in (events[-1].payload or {})
    assert stream.status == "suspended"
    result = await stream.result
    assert result.status == "suspended"
    assert result.suspended == ([["inner", "gate"]] if kind == "nested" else [["gate"]])
    if kind == "for_each":
        progress = events[-3].payload or {}
        assert (progress["currentIndex"], progress["iterationStatus"]) == (0, "suspended")


async def test_cancel_while_a_step_awaits_streams_canceled() -> None:
    started = asyncio.Event()

    async def slow(ctx: StepContext[N]) -> N:
        started.set()
        await asyncio.Event().wait()  # until cancelled
        return ctx.input_data

    wf = create_workflow(id="s-cancel", input_schema=N)
    wf.then(create_step(id="slow", input_schema=N, output_schema=N, execute=slow)).then(
        inc("after")
    ).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={"n": 1})
    reader = asyncio.create_task(collect(stream))
    await asyncio.wait_for(started.wait(), 5)
    await run.cancel()
    events = await asyncio.wait_for(reader, 5)
    assert steps(events) == [
        START,
        ("workflow-step-start", "slow"),
        ("workflow-step-result", "slow"),
        ("workflow-canceled", None),
        FINISH,
    ]
    assert (events[2].payload or {})["status"] == "canceled"
    assert events[3].payload == {}
    assert finish_status(events[-1]) == "canceled"
    assert stream.status == "canceled"
    assert (await stream.result).status == "canceled"


async def test_a_failing_step_streams_failed_and_the_result_does_not_raise() -> None:
    async def boom(ctx: StepContext[N]) -> N:
        raise ValueError("boom")

    wf = create_workflow(id="s-fail", input_schema=N)
    wf.then(create_step(id="bad", input_schema=N, output_schema=N, execute=boom)).then(
        inc("after")
    ).commit()
    stream = (await wf.create_run()).stream(input_data={"n": 1})
    events = await collect(stream)
    assert steps(events) == [
        START,
        ("workflow-step-start", "bad"),
        ("workflow-step-result", "bad"),
        FINISH,
    ]
    failed = events[2].payload or {}
    assert failed["status"] == "failed"
    assert failed["error"]["name"] == "ValueError"
    assert failed["error"]["message"] == "boom"
    assert finish_status(events[-1]) == "failed"
    assert stream.status == "failed"
    result = await stream.result  # a failed run is a result, not an exception
    assert result.status == "failed"
    assert result.error is not None and result.error["message"] == "boom"


async def test_bad_input_streams_start_and_failed_finish_and_the_result_raises() -> None:
    ran: list[str] = []

    async def never(ctx: StepContext[N]) -> N:
        ran.append("step")
        return ctx.input_data

    wf = create_workflow(id="s-bad-input", input_schema=N)
    wf.then(create_step(id="s", input_schema=N, output_schema=N, execute=never)).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={"n": "not a number"})
    events = await collect(stream)
    assert steps(events) == [START, FINISH]
    assert events[0].payload == {"workflowId": "s-bad-input"}
    assert all(e.run_id == run.run_id and e.from_ == "WORKFLOW" for e in events)
    finish = events[1].payload or {}
    assert finish["workflowStatus"] == "failed"
    assert "Invalid input data" in finish["metadata"]["errorMessage"]
    # The same serialized error a run that raises mid-drive reports (docs/compatibility.md).
    assert finish["metadata"]["error"]["name"] == "SchemaValidationError"
    assert finish["metadata"]["error"]["message"] == finish["metadata"]["errorMessage"]
    assert finish["output"]["usage"]["totalTokens"] == 0
    assert stream.status == "failed"
    with pytest.raises(SchemaValidationError, match="Invalid input data"):
        await stream.result
    assert ran == []
    # The run never began: nothing was logged, the two events exist only in this stream.
    assert [e.seq for e in events] == [None, None]
    assert await wf.store.load_events(wf.id, run.run_id) == []


# -- close_on_suspend=False -----------------------------------------------------------------
async def test_a_stream_that_outlives_a_suspension_carries_the_resume() -> None:
    drive_ended, on_finish = drive_signal()
    wf = create_workflow(id="s-cos", input_schema=N, on_finish=on_finish)
    wf.then(gate()).then(inc("after")).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={"n": 1}, close_on_suspend=False)
    seen: list[WorkflowEvent] = []
    suspended = asyncio.Event()

    async def consume() -> None:
        async for event in stream:
            seen.append(event)
            if event.type == "workflow-step-suspended":
                suspended.set()

    reader = asyncio.create_task(consume())
    await asyncio.wait_for(suspended.wait(), 5)
    await asyncio.wait_for(drive_ended.wait(), 5)
    assert run.status == "suspended"
    assert stream.status == "suspended"
    assert not stream.result.done()
    assert not reader.done()

    resumed = await run.resume(resume_data={"add": 10})  # a plain resume feeds the stream
    await asyncio.wait_for(reader, 5)
    assert steps(seen) == [
        START,
        ("workflow-step-start", "gate"),
        ("workflow-step-suspended", "gate"),
        # no workflow-finish (suspended) and no second workflow-start here
        ("workflow-step-start", "gate"),
        ("workflow-step-result", "gate"),
        ("workflow-step-start", "after"),
        ("workflow-step-result", "after"),
        FINISH,
    ]
    assert (seen[3].payload or {})["resumePayload"] == {"add": 10}
    assert finish_status(seen[-1]) == "success"
    assert (seen[-1].payload or {})["finalWorkflowResult"] == {"n": 12}
    assert stream.status == "success"
    result = await stream.result
    assert result.status == "success"
    assert result.result == {"n": 12} == resumed.result


async def test_a_lagging_stream_that_outlives_a_suspension_still_gets_the_resume() -> None:
    """The consumer reads only after the run suspended, from a one-event buffer: it catches up
    from the log and then waits for the resume instead of ending."""
    drive_ended, on_finish = drive_signal()
    wf = create_workflow(id="s-cos-lag", input_schema=N, on_finish=on_finish)
    wf.then(inc("a")).then(gate()).then(inc("b")).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={"n": 1}, close_on_suspend=False, buffer_size=1)
    await asyncio.wait_for(drive_ended.wait(), 5)
    assert run.status == "suspended"
    seen: list[WorkflowEvent] = []
    caught_up = asyncio.Event()

    async def consume() -> None:
        async for event in stream:
            seen.append(event)
            if event.type == "workflow-step-suspended":
                caught_up.set()

    reader = asyncio.create_task(consume())
    await asyncio.wait_for(caught_up.wait(), 5)
    assert not reader.done()
    await run.resume(resume_data={"add": 1})
    await asyncio.wait_for(reader, 5)
    assert [e.type for e in seen][-3:] == [
        "workflow-step-start",
        "workflow-step-result",
        "workflow-finish",
    ]
    assert steps(seen)[-3][1] == "b"
    assert [e.seq for e in seen] == sorted({e.seq for e in seen})  # in order, no repeats
    assert finish_status(seen[-1]) == "success"
    assert (await stream.result).result == {"n": 4}


async def test_a_reader_that_stops_early_still_gets_the_final_result() -> None:
    drive_ended, on_finish = drive_signal()
    wf = create_workflow(id="s-cos-stop", input_schema=N, on_finish=on_finish)
    wf.then(gate()).then(inc("after")).commit()
    run = await wf.create_run()
    stream = run.stream(input_data={"n": 1}, close_on_suspend=False)
    async with aclosing(aiter(stream)) as events:
        async for event in events:
            assert event.type == "workflow-start"
            break  # the reader is done with events; it still wants the result
    await asyncio.wait_for(drive_ended.wait(), 5)
    assert stream.status == "suspended"
    await run.resume(resume_data={"add": 2})
    result = await asyncio.wait_for(stream.result, 5)
    assert result.result == {"n": 4}
    assert stream.status == "success"


# -- bounded buffers ------------------------------------------------------------------------
async def test_a_slow_consumer_never_blocks_the_run_and_misses_nothing() -> None:
    wf: Any = create_workflow(id="s-many", input_schema=N, output_schema=N)
    for i in range(30):
        wf = wf.then(inc(f"s{i}"))
    wf.commit()
    run = await wf.create_run()
    stream = run.stream(input_data={"n": 0}, buffer_size=2)
    # The run ends before anyone reads: with a 2-event buffer, the engine never waited.
    result = await asyncio.wait_for(stream.result, 5)
    assert result.status == "success"
    assert result.result == {"n": 30}
    assert stream.status == "success"

    events = await collect(stream)  # ...and the consumer still gets everything, in order
    assert len(events) == 62
    assert [e.seq for e in events] == list(range(1, 63))
    expected = [START]
    for i in range(30):
        expected += [("workflow-step-start", f"s{i}"), ("workflow-step-result", f"s{i}")]
    assert steps(events) == [*expected, FINISH]
    assert (events[-1].payload or {})["finalWorkflowResult"] == {"n": 30}


async def test_buffer_size_must_be_positive() -> None:
    wf = create_workflow(id="s-buf0", input_schema=N).then(inc("a")).commit()
    run = await wf.create_run()
    with pytest.raises(ValueError, match="buffer_size"):
        run.stream(input_data={"n": 0}, buffer_size=0)
    with pytest.raises(ValueError, match="buffer_size"):
        run.observe_stream(buffer_size=0)
    assert run.status == "pending"  # nothing was started
    assert (await run.start(input_data={"n": 0})).status == "success"
