"""A committed workflow used as a step."""

from __future__ import annotations

from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow


class Num(BaseModel):
    x: int


class S(BaseModel):
    top: int = 0
    inner: bool = False


async def _inc(ctx: StepContext[Num]) -> Num:
    return Num(x=ctx.input_data.x + 1)


async def _double(ctx: StepContext[Num]) -> Num:
    return Num(x=ctx.input_data.x * 2)


def _inner():
    inc = create_step(id="inc", input_schema=Num, output_schema=Num, execute=_inc)
    dbl = create_step(id="dbl", input_schema=Num, output_schema=Num, execute=_double)
    return (
        create_workflow(id="inner", input_schema=Num, output_schema=Num)
        .then(inc)
        .then(dbl)
        .commit()
    )


async def test_nested_output_is_the_step_output() -> None:
    inner = _inner()
    after = create_step(id="after", input_schema=Num, output_schema=Num, execute=_inc)
    outer = create_workflow(id="outer", input_schema=Num).then(inner).then(after).commit()
    result = await (await outer.create_run()).start(input_data={"x": 1})
    assert result.status == "success"
    assert result.steps["inner"].output == {"x": 4}
    assert result.result == {"x": 5}
    assert "inc" not in result.steps
    assert "dbl" not in result.steps
    assert result.step_execution_path == ["inner", "after"]


async def test_nested_failure_fails_the_parent() -> None:
    async def boom(ctx: StepContext[Num]) -> Num:
        raise RuntimeError("inner boom")

    b = create_step(id="boom", input_schema=Num, output_schema=Num, execute=boom)
    inner = create_workflow(id="inner-fail", input_schema=Num).then(b).commit()
    outer = create_workflow(id="outer-fail", input_schema=Num).then(inner).commit()
    result = await (await outer.create_run()).start(input_data={"x": 1})
    assert result.status == "failed"
    assert result.steps["inner-fail"].status == "failed"
    assert result.error is not None
    assert result.error["message"] == "inner boom"


async def test_nested_input_validation_failure_fails_the_nested_step() -> None:
    class Other(BaseModel):
        name: str

    inner = (
        create_workflow(id="inner-typed", input_schema=Other)
        .then(create_step(id="echo", execute=lambda ctx: ctx.input_data))
        .commit()
    )
    outer = create_workflow(id="outer-typed", input_schema=Num).then(inner).commit()
    result = await (await outer.create_run()).start(input_data={"x": 1})
    assert result.status == "failed"
    assert result.steps["inner-typed"].status == "failed"
    assert result.error is not None
    assert "inner-typed" in result.error["message"]
    assert "name" in result.error["message"]


async def test_state_flows_into_and_out_of_nested() -> None:
    seen: list[int] = []

    async def set_inner(ctx: StepContext[Num]) -> Num:
        seen.append(ctx.state.top)
        await ctx.set_state({"inner": True})
        return ctx.input_data

    async def read(ctx: StepContext[Num]) -> dict[str, object]:
        return {"state": ctx.state.model_dump()}

    inner = (
        create_workflow(id="inner-state", input_schema=Num, state_schema=S)
        .then(create_step(id="set-inner", input_schema=Num, output_schema=Num, execute=set_inner))
        .commit()
    )
    outer = create_workflow(id="outer-state", input_schema=Num, state_schema=S)
    outer.then(inner).then(create_step(id="read", input_schema=Num, execute=read)).commit()
    result = await (await outer.create_run()).start(input_data={"x": 1}, initial_state={"top": 7})
    assert seen == [7]
    assert result.result == {"state": {"top": 7, "inner": True}}


async def test_bail_in_nested_only_ends_the_nested_workflow() -> None:
    async def bailer(ctx: StepContext[Num]) -> Num:
        ctx.bail({"x": 100})

    never: list[str] = []

    async def skipped(ctx: StepContext[Num]) -> Num:
        never.append("ran")
        return ctx.input_data

    inner = (
        create_workflow(id="inner-bail", input_schema=Num)
        .then(create_step(id="bailer", input_schema=Num, output_schema=Num, execute=bailer))
        .then(create_step(id="skipped", input_schema=Num, output_schema=Num, execute=skipped))
        .commit()
    )
    after = create_step(id="after", input_schema=Num, output_schema=Num, execute=_inc)
    outer = create_workflow(id="outer-bail", input_schema=Num).then(inner).then(after).commit()
    result = await (await outer.create_run()).start(input_data={"x": 1})
    assert never == []
    assert result.status == "success"
    assert result.steps["inner-bail"].output == {"x": 100}
    assert result.result == {"x": 101}


async def test_nested_in_parallel_and_twice_deep() -> None:
    inner = _inner()
    middle = create_workflow(id="middle", input_schema=Num).then(inner).commit()
    other = create_step(id="other", input_schema=Num, output_schema=Num, execute=_double)
    outer = create_workflow(id="outer-deep", input_schema=Num).parallel([middle, other]).commit()
    result = await (await outer.create_run()).start(input_data={"x": 2})
    assert result.result == {"middle": {"x": 6}, "other": {"x": 4}}
