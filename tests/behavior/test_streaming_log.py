"""The run's event log behind streams: `seq` across drives, `observe_stream()` replaying and
following a run (live re-attach), what the store keeps, and logging that outlives the process
that streamed the run."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from contextlib import aclosing
from pathlib import Path
from typing import Any

import pytest

from flow_steps import N, collect, gate, inc
from treadle import (
    StepContext,
    Treadle,
    WorkflowEvent,
    WorkflowStream,
    create_step,
    create_workflow,
)
from treadle.storage import InMemoryStore, SQLiteStore
from treadle.storage.base import WorkflowStore


def gated(wid: str = "log-gated", **kw: Any) -> Any:
    """inc a -> gate (suspends once) -> inc b."""
    return (
        create_workflow(id=wid, input_schema=N, **kw)
        .then(inc("a"))
        .then(gate())
        .then(inc("b"))
        .commit()
    )


class Blocker:
    """A step that waits until released (and says when it has started)."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    def step(self, sid: str = "block") -> Any:
        async def run(ctx: StepContext[N]) -> N:
            self.started.set()
            await self.release.wait()
            return ctx.input_data

        return create_step(id=sid, input_schema=N, output_schema=N, execute=run)


def reader(
    stream: WorkflowStream, until: Callable[[WorkflowEvent], bool] = lambda _: False
) -> tuple[list[WorkflowEvent], asyncio.Task[None], asyncio.Event]:
    """Read `stream` in a task: the list fills as events arrive, and the event is set once
    an event `until` accepts has arrived."""
    seen: list[WorkflowEvent] = []
    reached = asyncio.Event()

    async def consume() -> None:
        async for event in stream:
            seen.append(event)
            if until(event):
                reached.set()

    return seen, asyncio.create_task(consume()), reached


def shape(events: list[WorkflowEvent]) -> list[tuple[int | None, str, str | None]]:
    return [(e.seq, e.type, (e.payload or {}).get("stepName")) for e in events]


def as_stored(events: list[WorkflowEvent]) -> list[tuple[int | None, dict[str, Any]]]:
    return [(e.seq, e.model_dump(by_alias=True, exclude_none=True)) for e in events]


# -- seq across drives, and replaying a finished run ----------------------------------------
async def _suspended_then_resumed() -> tuple[Any, Any, list[WorkflowEvent], list[WorkflowEvent]]:
    wf = gated()
    run = await wf.create_run()
    first = await collect(run.stream(input_data={"n": 0}))
    second_stream = run.resume_stream(resume_data={"add": 10})
    second = await collect(second_stream)
    assert (await second_stream.result).result == {"n": 12}
    return wf, run, first, second


async def test_seq_increases_and_continues_across_drives() -> None:
    _, _, first, second = await _suspended_then_resumed()
    assert shape(first) == [
        (1, "workflow-start", None),
        (2, "workflow-step-start", "a"),
        (3, "workflow-step-result", "a"),
        (4, "workflow-step-start", "gate"),
        (5, "workflow-step-suspended", "gate"),
        (6, "workflow-finish", None),
    ]
    assert shape(second) == [
        (7, "workflow-start", None),
        (8, "workflow-step-start", "gate"),
        (9, "workflow-step-result", "gate"),
        (10, "workflow-step-start", "b"),
        (11, "workflow-step-result", "b"),
        (12, "workflow-finish", None),
    ]
    assert (first[-1].payload or {})["workflowStatus"] == "suspended"
    assert (second[-1].payload or {})["workflowStatus"] == "success"


async def test_observing_a_finished_run_replays_every_drive_to_the_end() -> None:
    """A suspension the run was resumed from does not end a replay (close_on_suspend is about
    the run being suspended now): a re-attaching user sees where the run really got to."""
    _, run, first, second = await _suspended_then_resumed()
    observer = run.observe_stream()
    replay = await collect(observer)
    assert as_stored(replay) == as_stored(first + second)  # same events, same seqs
    assert observer.status == "success"
    result = await observer.result
    assert result.status == "success"
    assert result.result == {"n": 12}
    assert result.steps["gate"].resume_payload == {"add": 10}


async def test_observing_replays_a_time_travel_after_a_finished_drive() -> None:
    wf = create_workflow(id="log-tt", input_schema=N).then(inc("a")).then(inc("b")).commit()
    run = await wf.create_run()
    first = await collect(run.stream(input_data={"n": 0}))
    travel = run.time_travel_stream(step="b", input_data={"n": 100})
    second = await collect(travel)
    assert (await travel.result).result == {"n": 101}
    assert [e.seq for e in second] == [7, 8, 9, 10]
    observer = run.observe_stream()
    # The first drive's success is not where the run ended: the replay goes on.
    assert as_stored(await collect(observer)) == as_stored(first + second)
    assert (await observer.result).result == {"n": 101}


async def test_observing_from_an_offset_gives_only_later_events() -> None:
    _, run, first, second = await _suspended_then_resumed()
    everything = first + second
    for after in (0, 3, 6, 7, 11):
        observer = run.observe_stream(after=after)
        replay = await collect(observer)
        assert as_stored(replay) == as_stored([e for e in everything if (e.seq or 0) > after])
        assert (await observer.result).result == {"n": 12}
    assert await collect(run.observe_stream(after=12)) == []


async def test_observing_without_reading_still_resolves_the_result() -> None:
    _, run, _, _ = await _suspended_then_resumed()
    observer = run.observe_stream()
    first, again = observer.result, observer.result  # one background reader, not two
    assert first is again
    errors: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: errors.append(ctx))
    assert (await first).result == {"n": 12}
    for _ in range(3):
        await asyncio.sleep(0)
    gc.collect()
    assert errors == []


async def test_an_observer_read_in_part_still_resolves_its_result() -> None:
    _, run, _, _ = await _suspended_then_resumed()
    observer = run.observe_stream()
    async with aclosing(aiter(observer)) as events:
        async for event in events:
            assert event.seq == 1
            break
    assert (await asyncio.wait_for(observer.result, 5)).result == {"n": 12}


async def test_observing_a_run_suspended_now_ends_at_its_suspension() -> None:
    wf = gated("log-suspended-now")
    run = await wf.create_run()
    streamed = await collect(run.stream(input_data={"n": 0}))
    observer = run.observe_stream()
    replay = await collect(observer)
    assert as_stored(replay) == as_stored(streamed)
    assert replay[-1].type == "workflow-finish"
    assert (replay[-1].payload or {})["workflowStatus"] == "suspended"
    assert observer.status == "suspended"
    assert (await observer.result).status == "suspended"


async def test_an_observer_that_outlives_suspensions_waits_for_the_resume() -> None:
    wf = gated("log-observe-cos")
    run = await wf.create_run()
    await collect(run.stream(input_data={"n": 0}))  # the run is suspended now
    observer = run.observe_stream(close_on_suspend=False)
    seen, task, caught_up = reader(observer, lambda e: e.type == "workflow-step-suspended")
    await asyncio.wait_for(caught_up.wait(), 5)
    assert not task.done()  # it stays open over the suspension...
    await run.resume(resume_data={"add": 1})  # ...and follows the resume
    await asyncio.wait_for(task, 5)
    assert [seq for seq, _, _ in shape(seen)] == [1, 2, 3, 4, 5, 8, 9, 10, 11, 12]
    assert shape(seen)[-3:] == [
        (10, "workflow-step-start", "b"),
        (11, "workflow-step-result", "b"),
        (12, "workflow-finish", None),
    ]
    assert observer.status == "success"
    assert (await observer.result).result == {"n": 3}


# -- live re-attach -------------------------------------------------------------------------
async def test_observers_attach_to_a_streamed_run_while_it_runs() -> None:
    blocker = Blocker()
    wf = create_workflow(id="log-live", input_schema=N)
    wf.then(inc("a")).then(blocker.step()).then(inc("c")).commit()
    run = await wf.create_run()
    original, original_task, _ = reader(run.stream(input_data={"n": 1}))
    await asyncio.wait_for(blocker.started.wait(), 5)

    observer = run.observe_stream()
    same = await wf.create_run(run_id=run.run_id)
    assert same is run  # in-process, the one handle of the run
    other_observer = same.observe_stream()
    so_far, observer_task, caught_up = reader(
        observer, lambda e: (e.payload or {}).get("stepName") == "block"
    )
    others, other_task, _ = reader(other_observer)
    await asyncio.wait_for(caught_up.wait(), 5)
    assert shape(so_far) == [
        (1, "workflow-start", None),
        (2, "workflow-step-start", "a"),
        (3, "workflow-step-result", "a"),
        (4, "workflow-step-start", "block"),
    ]
    assert not observer_task.done()

    blocker.release.set()
    await asyncio.wait_for(asyncio.gather(original_task, observer_task, other_task), 5)
    assert shape(original)[-1] == (8, "workflow-finish", None)
    assert as_stored(so_far) == as_stored(original)
    assert as_stored(others) == as_stored(original)
    assert observer.status == other_observer.status == "success"
    assert (await observer.result).result == {"n": 3}


async def test_observing_a_run_nobody_streamed_logs_it_from_then_on() -> None:
    blocker = Blocker()
    wf = create_workflow(id="log-late", input_schema=N)
    wf.then(inc("a")).then(blocker.step()).then(inc("c")).commit()
    run = await wf.create_run()
    started = asyncio.create_task(run.start(input_data={"n": 1}))
    await asyncio.wait_for(blocker.started.wait(), 5)

    observer = run.observe_stream()
    seen, task, _ = reader(observer)
    blocker.release.set()
    assert (await asyncio.wait_for(started, 5)).status == "success"
    await asyncio.wait_for(task, 5)
    # Its drive began unlogged: the log starts when the observer came, with a workflow-start.
    assert shape(seen) == [
        (1, "workflow-start", None),
        (2, "workflow-step-start", "c"),
        (3, "workflow-step-result", "c"),
        (4, "workflow-finish", None),
    ]
    assert (seen[-1].payload or {})["finalWorkflowResult"] == {"n": 3}
    assert observer.status == "success"
    assert (await observer.result).result == {"n": 3}
    assert await wf.store.load_events(wf.id, run.run_id) == as_stored(seen)


# -- what the store keeps -------------------------------------------------------------------
@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    made: WorkflowStore = (
        InMemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "runs.db")
    )
    yield made
    await made.close()


async def test_the_store_keeps_exactly_the_streamed_events(store: WorkflowStore) -> None:
    async def talk(ctx: StepContext[N]) -> N:
        await ctx.writer.write({"said": ctx.input_data.n})
        await ctx.writer.custom({"type": "data-note", "data": {"n": ctx.input_data.n}})
        return ctx.input_data

    wf = create_workflow(id="log-kept", input_schema=N)
    wf.then(inc("a")).then(create_step(id="talk", input_schema=N, output_schema=N, execute=talk))
    wf.commit()
    Treadle(workflows={"k": wf}, storage=store)
    run = await wf.create_run()
    streamed = await collect(run.stream(input_data={"n": 1}))
    stored = await store.load_events(wf.id, run.run_id)
    assert [seq for seq, _ in stored] == list(range(1, len(streamed) + 1))
    assert stored == as_stored(streamed)
    assert "workflow-step-output" in [event["type"] for _, event in stored]
    assert "data-note" in [event["type"] for _, event in stored]

    plain = await wf.create_run()
    assert (await plain.start(input_data={"n": 1})).status == "success"
    assert await store.load_events(wf.id, plain.run_id) == []  # never streamed: no events


def _gated_app(store: WorkflowStore) -> Any:
    wf = gated("log-process")
    Treadle(workflows={"g": wf}, storage=store)
    return wf


async def test_a_streamed_run_keeps_logging_when_resumed_elsewhere(tmp_path: Path) -> None:
    first_store = SQLiteStore(tmp_path / "runs.db")
    wf = _gated_app(first_store)
    run = await wf.create_run()
    streamed = await collect(run.stream(input_data={"n": 0}))
    assert shape(streamed)[-1] == (6, "workflow-finish", None)

    # Another process: new definitions and app over the same file; a plain resume, unstreamed.
    second_store = SQLiteStore(tmp_path / "runs.db")
    again = _gated_app(second_store)
    handle = await again.create_run(run_id=run.run_id)
    assert handle is not run
    assert (await handle.resume(resume_data={"add": 5})).result == {"n": 7}

    stored = await second_store.load_events(again.id, run.run_id)
    assert stored[:6] == as_stored(streamed)
    assert [
        (seq, event["type"], event["payload"].get("stepName")) for seq, event in stored[6:]
    ] == [
        (7, "workflow-start", None),
        (8, "workflow-step-start", "gate"),
        (9, "workflow-step-result", "gate"),
        (10, "workflow-step-start", "b"),
        (11, "workflow-step-result", "b"),
        (12, "workflow-finish", None),
    ]
    assert stored[7][1]["payload"]["resumePayload"] == {"add": 5}

    # ...and the first process, observing, replays both drives from the shared store.
    observer = run.observe_stream(after=5)
    assert as_stored(await collect(observer)) == stored[5:]
    assert (await observer.result).result == {"n": 7}
    await first_store.close()
    await second_store.close()


async def test_log_follows_the_run_through_a_streamed_resume_after_a_plain_start() -> None:
    wf = gated("log-plain-first")
    run = await wf.create_run()
    assert (await run.start(input_data={"n": 0})).status == "suspended"
    assert await wf.store.load_events(wf.id, run.run_id) == []
    resumed = await collect(run.resume_stream(resume_data={"add": 1}))
    assert shape(resumed)[0] == (1, "workflow-start", None)
    assert shape(resumed)[-1] == (6, "workflow-finish", None)
    assert await wf.store.load_events(wf.id, run.run_id) == as_stored(resumed)


class HeldWrites(InMemoryStore):
    """Event-log writes wait for `release` while `hold` is set (a slow store at the end of a
    drive)."""

    def __init__(self) -> None:
        super().__init__()
        self.hold = False
        self.held = asyncio.Event()
        self.release = asyncio.Event()

    async def append_events(self, workflow_name: str, run_id: str, events: Any) -> None:
        if self.hold:
            self.held.set()
            await self.release.wait()
        await super().append_events(workflow_name, run_id, events)


async def test_a_reattach_while_the_finish_is_written_logs_no_second_start() -> None:
    store = HeldWrites()
    wf = create_workflow(id="log-race", input_schema=N).then(inc("a")).commit()
    Treadle(workflows={"log-race": wf}, storage=store)
    run = await wf.create_run()
    store.hold = True
    stream = run.stream(input_data={"n": 1})
    await store.held.wait()  # the drive has ended and is writing its events, finish included
    log = run._bus.log  # pyright: ignore[reportPrivateUsage]
    appended = log.next_seq
    await run._attach_log()  # pyright: ignore[reportPrivateUsage]  # a stream re-attaching now
    assert log.next_seq == appended  # nothing logged: the drive is over
    store.release.set()
    assert (await stream.result).status == "success"
    await log.flush()  # the result comes with the finish event, maybe before its write ends
    kinds = [event["type"] for _, event in await store.load_events("log-race", run.run_id)]
    assert kinds.count("workflow-start") == 1
    assert kinds[-1] == "workflow-finish"
