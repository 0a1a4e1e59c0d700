"""`ctx.bail(value)`: ends the workflow successfully with `value`."""

from __future__ import annotations

from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow


class Num(BaseModel):
    x: int


async def test_bail_ends_the_run_successfully_with_the_value() -> None:
    later: list[str] = []

    async def bailer(ctx: StepContext[Num]) -> Num:
        if ctx.input_data.x > 0:
            ctx.bail({"early": ctx.input_data.x})
        return ctx.input_data

    async def after(ctx: StepContext[Num]) -> Num:
        later.append("after")
        return ctx.input_data

    wf = create_workflow(id="bail-basic", input_schema=Num)
    wf.then(create_step(id="bailer", input_schema=Num, execute=bailer)).then(
        create_step(id="after", input_schema=Num, output_schema=Num, execute=after)
    ).commit()
    result = await (await wf.create_run()).start(input_data={"x": 4})
    assert result.status == "success"
    assert result.result == {"early": 4}
    assert later == []
    assert result.steps["bailer"].status == "success"
    assert result.steps["bailer"].output == {"early": 4}
    assert "after" not in result.steps

    normal = await (await wf.create_run()).start(input_data={"x": 0})
    assert later == ["after"]
    assert normal.result == {"x": 0}


async def test_bail_inside_parallel_ends_the_run() -> None:
    async def bailer(ctx: StepContext[Num]) -> Num:
        ctx.bail("stopped")

    async def other(ctx: StepContext[Num]) -> Num:
        return ctx.input_data

    after_ran: list[str] = []

    async def after(ctx: StepContext[object]) -> Num:
        after_ran.append("after")
        return Num(x=0)

    wf = create_workflow(id="bail-par", input_schema=Num)
    wf.parallel(
        [
            create_step(id="b", input_schema=Num, execute=bailer),
            create_step(id="o", input_schema=Num, output_schema=Num, execute=other),
        ]
    ).then(create_step(id="after", execute=after)).commit()
    result = await (await wf.create_run()).start(input_data={"x": 1})
    assert result.status == "success"
    assert result.result == "stopped"
    assert after_ran == []


async def test_bail_inside_for_each() -> None:
    calls: list[int] = []

    async def item(ctx: StepContext[Num]) -> Num:
        calls.append(ctx.input_data.x)
        if ctx.input_data.x == 2:
            ctx.bail({"bailed_at": 2})
        return ctx.input_data

    explode = create_step(id="explode", execute=lambda ctx: [{"x": 1}, {"x": 2}, {"x": 3}])
    wf = (
        create_workflow(id="bail-foreach")
        .then(explode)
        .for_each(create_step(id="item", input_schema=Num, execute=item))
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "success"
    assert result.result == {"bailed_at": 2}
    assert calls == [1, 2]
