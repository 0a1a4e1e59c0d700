"""`.parallel([...])`: concurrent children, aggregated output, failure precedence."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow


class Num(BaseModel):
    x: int


def _adder(sid: str, n: int):
    async def run(ctx: StepContext[Num]) -> Num:
        return Num(x=ctx.input_data.x + n)

    return create_step(id=sid, input_schema=Num, output_schema=Num, execute=run)


async def test_parallel_output_is_keyed_by_step_id() -> None:
    seen: list[object] = []

    async def collect(ctx: StepContext[dict[str, object]]) -> dict[str, object]:
        seen.append(ctx.input_data)
        return {"ok": True}

    after = create_step(id="after", execute=collect)
    wf = create_workflow(id="par-out", input_schema=Num)
    wf.parallel([_adder("a", 1), _adder("b", 10)]).then(after).commit()
    result = await (await wf.create_run()).start(input_data={"x": 1})
    assert result.status == "success"
    assert seen == [{"a": {"x": 2}, "b": {"x": 11}}]
    assert result.steps["a"].payload == {"x": 1}
    assert result.steps["b"].payload == {"x": 1}


async def test_parallel_as_last_entry_is_the_result() -> None:
    wf = create_workflow(id="par-last", input_schema=Num)
    wf.parallel([_adder("a", 1), _adder("b", 2)]).commit()
    result = await (await wf.create_run()).start(input_data={"x": 0})
    assert result.result == {"a": {"x": 1}, "b": {"x": 2}}


async def test_parallel_branches_overlap_in_time() -> None:
    a_started = asyncio.Event()
    b_started = asyncio.Event()

    async def a(ctx: StepContext[Num]) -> Num:
        a_started.set()
        await b_started.wait()  # deadlocks unless b runs while a is waiting
        return Num(x=1)

    async def b(ctx: StepContext[Num]) -> Num:
        b_started.set()
        await a_started.wait()
        return Num(x=2)

    sa = create_step(id="a", input_schema=Num, output_schema=Num, execute=a)
    sb = create_step(id="b", input_schema=Num, output_schema=Num, execute=b)
    wf = create_workflow(id="par-overlap", input_schema=Num).parallel([sa, sb]).commit()
    run = await wf.create_run()
    result = await asyncio.wait_for(run.start(input_data={"x": 0}), timeout=5)
    assert result.status == "success"
    assert result.result == {"a": {"x": 1}, "b": {"x": 2}}


async def test_a_failing_child_does_not_cancel_siblings() -> None:
    finished: list[str] = []
    fail_raised = asyncio.Event()

    async def fail(ctx: StepContext[Num]) -> Num:
        fail_raised.set()
        raise ValueError("child broke")

    async def ok(ctx: StepContext[Num]) -> Num:
        await fail_raised.wait()  # still runs to completion after the sibling failed
        finished.append("ok")
        return Num(x=9)

    sf = create_step(id="fail1", input_schema=Num, output_schema=Num, execute=fail)
    so = create_step(id="ok1", input_schema=Num, output_schema=Num, execute=ok)
    wf = create_workflow(id="par-fail", input_schema=Num).parallel([sf, so]).commit()
    result = await asyncio.wait_for((await wf.create_run()).start(input_data={"x": 0}), 5)
    assert result.status == "failed"
    assert finished == ["ok"]
    assert result.steps["ok1"].status == "success"
    assert result.steps["ok1"].output == {"x": 9}
    assert result.steps["fail1"].status == "failed"
    assert result.error is not None
    assert result.error["message"] == "child broke"


async def test_first_failed_child_in_declaration_order_wins() -> None:
    second_failed = asyncio.Event()

    async def first(ctx: StepContext[Num]) -> Num:
        await second_failed.wait()
        raise ValueError("first")

    async def second(ctx: StepContext[Num]) -> Num:
        second_failed.set()
        raise ValueError("second")

    s1 = create_step(id="s1", input_schema=Num, output_schema=Num, execute=first)
    s2 = create_step(id="s2", input_schema=Num, output_schema=Num, execute=second)
    wf = create_workflow(id="par-order", input_schema=Num).parallel([s1, s2]).commit()
    result = await asyncio.wait_for((await wf.create_run()).start(input_data={"x": 0}), 5)
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["message"] == "first"
