"""Sync shims (`start_sync`, `resume_sync`) and plain `def` steps in a worker thread."""

from __future__ import annotations

import asyncio
import threading

from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow


class Num(BaseModel):
    x: int


def test_start_sync_from_plain_code_with_plain_def_steps() -> None:
    threads: list[int] = []

    def double(ctx: StepContext[Num]) -> Num:
        threads.append(threading.get_ident())
        return Num(x=ctx.input_data.x * 2)

    wf = create_workflow(id="sync-start", input_schema=Num)
    wf.then(create_step(id="double", input_schema=Num, output_schema=Num, execute=double)).commit()
    run = asyncio.run(wf.create_run())
    result = run.start_sync(input_data={"x": 21})
    assert result.status == "success"
    assert result.result == {"x": 42}
    assert len(threads) == 1
    assert threads[0] != threading.get_ident()  # ran in a worker thread, not the caller's


def test_resume_sync() -> None:
    async def gate(ctx: StepContext[Num]) -> Num:
        if ctx.resume_data is None:
            await ctx.suspend({"need": "add"})
        return Num(x=ctx.input_data.x + ctx.resume_data["add"])

    wf = create_workflow(id="sync-resume", input_schema=Num)
    wf.then(create_step(id="gate", input_schema=Num, output_schema=Num, execute=gate)).commit()
    run = asyncio.run(wf.create_run())
    first = run.start_sync(input_data={"x": 1})
    assert first.status == "suspended"
    assert first.suspended == [["gate"]]
    second = run.resume_sync(step="gate", resume_data={"add": 9})
    assert second.status == "success"
    assert second.result == {"x": 10}


def test_plain_def_step_reads_its_context() -> None:
    seen: list[object] = []

    def step_fn(ctx: StepContext[Num]) -> Num:
        seen.append((ctx.get_init_data(), ctx.workflow_id, ctx.retry_count))
        return ctx.input_data

    wf = create_workflow(id="sync-ctx", input_schema=Num)
    wf.then(create_step(id="s", input_schema=Num, output_schema=Num, execute=step_fn)).commit()
    result = asyncio.run(wf.create_run()).start_sync(input_data={"x": 3})
    assert result.result == {"x": 3}
    assert seen == [({"x": 3}, "sync-ctx", 0)]


def test_plain_def_failure_is_recorded() -> None:
    def boom(ctx: StepContext[Num]) -> Num:
        raise ValueError("sync boom")

    wf = create_workflow(id="sync-fail", input_schema=Num)
    wf.then(create_step(id="boom", input_schema=Num, output_schema=Num, execute=boom)).commit()
    result = asyncio.run(wf.create_run()).start_sync(input_data={"x": 3})
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["message"] == "sync boom"
