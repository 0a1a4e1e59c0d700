"""`.do_while` / `.do_until`: the body runs at least once; `iteration_count` is 1-based."""

from __future__ import annotations

from pydantic import BaseModel

from treadle import ConditionContext, StepContext, create_step, create_workflow
from treadle.errors import ConditionError


class Num(BaseModel):
    x: int


async def _inc(ctx: StepContext[Num]) -> Num:
    return Num(x=ctx.input_data.x + 1)


def _inc_step(sid: str = "inc"):
    return create_step(id=sid, input_schema=Num, output_schema=Num, execute=_inc)


async def test_do_while_runs_while_condition_is_true() -> None:
    calls: list[tuple[int, int]] = []

    def cond(c: ConditionContext) -> bool:
        calls.append((c.input_data["x"], c.iteration_count))
        return c.input_data["x"] < 3

    wf = create_workflow(id="dowhile", input_schema=Num).do_while(_inc_step(), cond).commit()
    result = await (await wf.create_run()).start(input_data={"x": 0})
    assert result.status == "success"
    assert calls == [(1, 1), (2, 2), (3, 3)]
    assert result.result == {"x": 3}
    assert result.steps["inc"].metadata == {"iterationCount": 3}
    assert result.steps["inc"].output == {"x": 3}


async def test_do_until_runs_until_condition_is_true() -> None:
    counts: list[int] = []

    async def cond(c: ConditionContext) -> bool:
        counts.append(c.iteration_count)
        return c.input_data["x"] >= 5

    wf = create_workflow(id="dountil", input_schema=Num).do_until(_inc_step(), cond).commit()
    result = await (await wf.create_run()).start(input_data={"x": 2})
    assert result.result == {"x": 5}
    assert counts == [1, 2, 3]


async def test_body_runs_once_even_if_condition_is_false_at_once() -> None:
    body_calls: list[int] = []

    async def body(ctx: StepContext[Num]) -> Num:
        body_calls.append(ctx.input_data.x)
        return Num(x=ctx.input_data.x * 10)

    s = create_step(id="body", input_schema=Num, output_schema=Num, execute=body)
    wf = create_workflow(id="dowhile-once", input_schema=Num).do_while(s, lambda c: False).commit()
    result = await (await wf.create_run()).start(input_data={"x": 7})
    assert body_calls == [7]
    assert result.result == {"x": 70}


async def test_iteration_count_and_state_in_condition() -> None:
    wf = create_workflow(id="dountil-count", input_schema=Num)
    wf.do_until(_inc_step(), lambda c: c.iteration_count >= 4).commit()
    result = await (await wf.create_run()).start(input_data={"x": 100})
    assert result.result == {"x": 104}
    assert result.steps["inc"].metadata == {"iterationCount": 4}


async def test_loop_then_next_step_gets_last_output() -> None:
    seen: list[object] = []

    async def after(ctx: StepContext[Num]) -> Num:
        seen.append(ctx.input_data.x)
        return ctx.input_data

    a = create_step(id="after", input_schema=Num, output_schema=Num, execute=after)
    wf = create_workflow(id="loop-then", input_schema=Num)
    wf.do_while(_inc_step(), lambda c: c.input_data["x"] < 2).then(a).commit()
    result = await (await wf.create_run()).start(input_data={"x": 0})
    assert seen == [2]
    assert result.step_execution_path == ["after"]  # loops are not in the path (Mastra)


async def test_raising_loop_condition_fails_the_run() -> None:
    def bad(c: ConditionContext) -> bool:
        raise RuntimeError("cond boom")

    wf = create_workflow(id="loop-raise", input_schema=Num).do_until(_inc_step(), bad).commit()
    result = await (await wf.create_run()).start(input_data={"x": 0})
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["name"] == "ConditionError"
    assert "inc" in result.error["message"]
    assert result.error["cause"]["message"] == "cond boom"
    assert isinstance(result.exception, ConditionError)


async def test_failing_body_stops_the_loop() -> None:
    calls: list[int] = []

    async def body(ctx: StepContext[Num]) -> Num:
        calls.append(ctx.input_data.x)
        if ctx.input_data.x == 2:
            raise ValueError("two")
        return Num(x=ctx.input_data.x + 1)

    s = create_step(id="body", input_schema=Num, output_schema=Num, execute=body)
    wf = create_workflow(id="loop-fail", input_schema=Num).do_while(s, lambda c: True).commit()
    result = await (await wf.create_run()).start(input_data={"x": 0})
    assert calls == [0, 1, 2]
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["message"] == "two"
