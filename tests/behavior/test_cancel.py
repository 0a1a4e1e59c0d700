"""Cancel (deviation 5: the running async step is interrupted and recorded canceled),
`ctx.abort()` from inside, and `abort_signal`."""

from __future__ import annotations

import asyncio
import threading

import pytest
from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow
from treadle.errors import RunStateError


class Num(BaseModel):
    x: int


async def test_cancel_interrupts_the_running_async_step() -> None:
    started = asyncio.Event()
    never = asyncio.Event()
    interrupted: list[str] = []
    after_ran: list[str] = []

    async def slow(ctx: StepContext[Num]) -> Num:
        started.set()
        try:
            await never.wait()
        except asyncio.CancelledError:
            interrupted.append("cancelled")
            raise
        return ctx.input_data

    async def after(ctx: StepContext[Num]) -> Num:
        after_ran.append("after")
        return ctx.input_data

    wf = create_workflow(id="cancel-run", input_schema=Num)
    wf.then(create_step(id="slow", input_schema=Num, output_schema=Num, execute=slow)).then(
        create_step(id="after", input_schema=Num, output_schema=Num, execute=after)
    ).commit()
    run = await wf.create_run()
    task = asyncio.create_task(run.start(input_data={"x": 1}))
    await asyncio.wait_for(started.wait(), timeout=5)
    await run.cancel()
    result = await asyncio.wait_for(task, timeout=5)
    assert result.status == "canceled"
    assert interrupted == ["cancelled"]
    assert after_ran == []
    assert result.steps["slow"].status == "canceled"
    assert "after" not in result.steps
    assert result.result is None
    assert result.error is None
    stored = await wf.get_workflow_run_by_id(run.run_id)
    assert stored is not None
    assert stored["status"] == "canceled"


async def test_abort_signal_is_awaitable_and_set_on_cancel() -> None:
    started = asyncio.Event()
    seen: list[bool] = []

    async def watcher(ctx: StepContext[Num]) -> Num:
        seen.append(ctx.abort_signal.aborted)
        started.set()
        await ctx.abort_signal  # interrupted by cancel either way
        return ctx.input_data

    wf = create_workflow(id="cancel-signal", input_schema=Num)
    wf.then(create_step(id="w", input_schema=Num, output_schema=Num, execute=watcher)).commit()
    run = await wf.create_run()
    task = asyncio.create_task(run.start(input_data={"x": 1}))
    await asyncio.wait_for(started.wait(), timeout=5)
    await run.cancel()
    result = await asyncio.wait_for(task, timeout=5)
    assert seen == [False]
    assert result.status == "canceled"


async def test_abort_from_inside_a_step() -> None:
    after_ran: list[str] = []

    async def quitter(ctx: StepContext[Num]) -> Num:
        ctx.abort()
        assert ctx.abort_signal.aborted
        return Num(x=99)

    async def after(ctx: StepContext[Num]) -> Num:
        after_ran.append("after")
        return ctx.input_data

    wf = create_workflow(id="cancel-inside", input_schema=Num)
    wf.then(create_step(id="quit", input_schema=Num, output_schema=Num, execute=quitter)).then(
        create_step(id="after", input_schema=Num, output_schema=Num, execute=after)
    ).commit()
    result = await (await wf.create_run()).start(input_data={"x": 1})
    assert result.status == "canceled"
    assert after_ran == []
    assert result.steps["quit"].status == "success"
    assert result.steps["quit"].output == {"x": 99}


async def test_plain_def_step_sees_abort_signal() -> None:
    started = threading.Event()
    saw_abort = threading.Event()

    def blocking(ctx: StepContext[Num]) -> Num:
        started.set()
        while not ctx.abort_signal.aborted:
            if saw_abort.wait(0.001):
                break
        saw_abort.set()
        return ctx.input_data

    wf = create_workflow(id="cancel-sync", input_schema=Num)
    wf.then(
        create_step(id="blocking", input_schema=Num, output_schema=Num, execute=blocking)
    ).commit()
    run = await wf.create_run()
    task = asyncio.create_task(run.start(input_data={"x": 1}))
    assert await asyncio.to_thread(started.wait, 5)
    await run.cancel()
    result = await asyncio.wait_for(task, timeout=5)
    assert result.status == "canceled"
    assert await asyncio.to_thread(saw_abort.wait, 5)


async def test_cancel_a_suspended_run_then_resume_fails() -> None:
    async def pause(ctx: StepContext[Num]) -> Num:
        if ctx.resume_data is None:
            await ctx.suspend({"why": "wait"})
        return ctx.input_data

    wf = create_workflow(id="cancel-suspended", input_schema=Num)
    wf.then(create_step(id="pause", input_schema=Num, output_schema=Num, execute=pause)).commit()
    run = await wf.create_run()
    assert (await run.start(input_data={"x": 1})).status == "suspended"
    await run.cancel()
    stored = await wf.get_workflow_run_by_id(run.run_id)
    assert stored is not None
    assert stored["status"] == "canceled"
    with pytest.raises(RunStateError):
        await run.resume(step="pause", resume_data={})


async def test_cancel_during_sleep() -> None:
    started = asyncio.Event()

    async def mark(ctx: StepContext[Num]) -> Num:
        started.set()
        return ctx.input_data

    wf = create_workflow(id="cancel-sleep", input_schema=Num)
    wf.then(create_step(id="mark", input_schema=Num, output_schema=Num, execute=mark)).sleep(
        60_000, id="long"
    ).commit()
    run = await wf.create_run()
    task = asyncio.create_task(run.start(input_data={"x": 1}))
    await asyncio.wait_for(started.wait(), timeout=5)
    await asyncio.sleep(0)
    await run.cancel()
    result = await asyncio.wait_for(task, timeout=5)
    assert result.status == "canceled"
