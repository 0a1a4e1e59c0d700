"""Sequential `.then()` chaining."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow
from treadle.errors import RunStateError


class Num(BaseModel):
    x: int


class Doubled(BaseModel):
    y: int


async def _double(ctx: StepContext[Num]) -> Doubled:
    return Doubled(y=ctx.input_data.x * 2)


async def _inc(ctx: StepContext[Doubled]) -> dict[str, int]:
    return {"x": ctx.input_data.y + 1}


double = create_step(id="double", input_schema=Num, output_schema=Doubled, execute=_double)
inc = create_step(id="inc", input_schema=Doubled, output_schema=Num, execute=_inc)


async def test_then_passes_output_to_next_step() -> None:
    wf = create_workflow(id="then-basic", input_schema=Num, output_schema=Num)
    wf.then(double).then(inc).commit()
    run = await wf.create_run()
    result = await run.start(input_data={"x": 5})
    assert result.status == "success"
    assert result.result == {"x": 11}
    assert result.steps["double"].output == {"y": 10}
    assert result.steps["double"].payload == {"x": 5}
    assert result.steps["inc"].payload == {"y": 10}
    assert result.steps["inc"].output == {"x": 11}
    assert result.step_execution_path == ["double", "inc"]
    assert result.input == {"x": 5}
    assert result.run_id == run.run_id


async def test_input_model_instance_is_accepted() -> None:
    wf = create_workflow(id="then-model-in", input_schema=Num).then(double).commit()
    result = await (await wf.create_run()).start(input_data=Num(x=2))
    assert result.status == "success"
    assert result.result == {"y": 4}


async def test_same_step_twice_has_one_entry_and_two_path_ids() -> None:
    calls: list[int] = []

    async def add_one(ctx: StepContext[Num]) -> Num:
        calls.append(ctx.input_data.x)
        return Num(x=ctx.input_data.x + 1)

    s = create_step(id="add-one", input_schema=Num, output_schema=Num, execute=add_one)
    wf = create_workflow(id="then-twice", input_schema=Num).then(s).then(s).commit()
    result = await (await wf.create_run()).start(input_data={"x": 0})
    assert calls == [0, 1]
    assert result.result == {"x": 2}
    assert result.step_execution_path == ["add-one", "add-one"]
    assert list(result.steps) == ["add-one"]
    assert result.steps["add-one"].output == {"x": 2}


async def test_get_step_result_and_init_data() -> None:
    seen: dict[str, object] = {}

    async def reader(ctx: StepContext[Num]) -> Num:
        seen["double"] = ctx.get_step_result(double)
        seen["double_by_id"] = ctx.get_step_result("double")
        seen["missing"] = ctx.get_step_result("nope")
        seen["init"] = ctx.get_init_data()
        seen["run_id"] = ctx.run_id
        seen["workflow_id"] = ctx.workflow_id
        return Num(x=1)

    r = create_step(id="reader", input_schema=Doubled, output_schema=Num, execute=reader)
    wf = create_workflow(id="then-read", input_schema=Num).then(double).then(r).commit()
    run = await wf.create_run()
    await run.start(input_data={"x": 3})
    assert seen == {
        "double": {"y": 6},
        "double_by_id": {"y": 6},
        "missing": None,
        "init": {"x": 3},
        "run_id": run.run_id,
        "workflow_id": "then-read",
    }


async def test_failure_stops_the_sequence() -> None:
    ran: list[str] = []

    async def boom(ctx: StepContext[Num]) -> Num:
        ran.append("boom")
        raise RuntimeError("kaput")

    async def after(ctx: StepContext[Num]) -> Num:
        ran.append("after")
        return ctx.input_data

    b = create_step(id="boom", input_schema=Num, output_schema=Num, execute=boom)
    a = create_step(id="after", input_schema=Num, output_schema=Num, execute=after)
    wf = create_workflow(id="then-fail", input_schema=Num).then(b).then(a).commit()
    result = await (await wf.create_run()).start(input_data={"x": 1})
    assert ran == ["boom"]
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["message"] == "kaput"
    assert result.error["name"] == "RuntimeError"
    assert result.steps["boom"].status == "failed"
    assert "after" not in result.steps
    assert result.result is None
    assert isinstance(result.exception, RuntimeError)


async def test_a_run_cannot_start_twice() -> None:
    wf = create_workflow(id="then-twice-start", input_schema=Num).then(double).commit()
    run = await wf.create_run()
    await run.start(input_data={"x": 1})
    with pytest.raises(RunStateError):
        await run.start(input_data={"x": 1})
