"""Workflow state: initial_state, set_state shallow merge, include_state, validation."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow
from treadle.errors import SchemaValidationError


class Num(BaseModel):
    x: int


class Counter(BaseModel):
    count: int = 0
    label: str = "none"


async def test_set_state_is_a_shallow_merge_visible_to_later_steps() -> None:
    seen: list[dict[str, object]] = []

    async def bump(ctx: StepContext[Num]) -> Num:
        seen.append(ctx.state.model_dump())
        await ctx.set_state({"count": ctx.state.count + 1})
        return ctx.input_data

    b1 = create_step(id="b1", input_schema=Num, output_schema=Num, execute=bump)
    b2 = create_step(id="b2", input_schema=Num, output_schema=Num, execute=bump)
    wf = create_workflow(id="state-merge", input_schema=Num, state_schema=Counter)
    wf.then(b1).then(b2).commit()
    result = await (await wf.create_run()).start(
        input_data={"x": 1}, initial_state={"count": 5, "label": "L"}, include_state=True
    )
    assert seen == [{"count": 5, "label": "L"}, {"count": 6, "label": "L"}]
    assert result.state == {"count": 7, "label": "L"}


async def test_state_is_omitted_unless_requested_and_defaults_apply() -> None:
    async def read(ctx: StepContext[Num]) -> dict[str, object]:
        return ctx.state.model_dump()

    wf = create_workflow(id="state-default", input_schema=Num, state_schema=Counter)
    wf.then(create_step(id="read", input_schema=Num, execute=read)).commit()
    result = await (await wf.create_run()).start(input_data={"x": 1})
    assert result.result == {"count": 0, "label": "none"}
    assert result.state is None


async def test_set_state_last_call_wins_and_takes_effect_after_the_step() -> None:
    during: list[int] = []

    async def twice(ctx: StepContext[Num]) -> Num:
        await ctx.set_state({"count": 1})
        await ctx.set_state({"count": 2})
        during.append(ctx.state.count)
        return ctx.input_data

    wf = create_workflow(id="state-last", input_schema=Num, state_schema=Counter)
    wf.then(create_step(id="twice", input_schema=Num, output_schema=Num, execute=twice)).commit()
    result = await (await wf.create_run()).start(input_data={"x": 1}, include_state=True)
    assert during == [0]
    assert result.state == {"count": 2, "label": "none"}


async def test_invalid_initial_state_raises() -> None:
    wf = create_workflow(id="state-bad-init", input_schema=Num, state_schema=Counter)
    wf.then(create_step(id="noop", execute=lambda ctx: {})).commit()
    run = await wf.create_run()
    with pytest.raises(SchemaValidationError) as info:
        await run.start(input_data={"x": 1}, initial_state={"count": "many"})
    assert info.value.paths == ["count"]


async def test_invalid_set_state_fails_the_step() -> None:
    async def bad(ctx: StepContext[Num]) -> Num:
        await ctx.set_state({"count": "lots"})
        return ctx.input_data

    wf = create_workflow(id="state-bad-set", input_schema=Num, state_schema=Counter)
    wf.then(create_step(id="bad", input_schema=Num, output_schema=Num, execute=bad)).commit()
    result = await (await wf.create_run()).start(input_data={"x": 1}, include_state=True)
    assert result.status == "failed"
    assert result.steps["bad"].status == "failed"
    assert result.error is not None
    assert "bad" in result.error["message"]
    assert result.state == {"count": 0, "label": "none"}


async def test_state_survives_suspend_and_resume() -> None:
    async def pause(ctx: StepContext[Num]) -> Num:
        if ctx.resume_data is None:
            await ctx.set_state({"label": "paused"})
            await ctx.suspend({})
        await ctx.set_state({"count": ctx.state.count + 10})
        return ctx.input_data

    async def read(ctx: StepContext[Num]) -> dict[str, object]:
        return ctx.state.model_dump()

    wf = create_workflow(id="state-suspend", input_schema=Num, state_schema=Counter)
    wf.then(create_step(id="pause", input_schema=Num, output_schema=Num, execute=pause)).then(
        create_step(id="read", input_schema=Num, execute=read)
    ).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"x": 1}, initial_state={"count": 1}, include_state=True)
    assert first.status == "suspended"
    assert first.state == {"count": 1, "label": "paused"}
    second = await run.resume(step="pause", resume_data={"go": True})
    assert second.result == {"count": 11, "label": "paused"}


async def test_state_without_schema_is_a_dict() -> None:
    async def write(ctx: StepContext[Num]) -> Num:
        await ctx.set_state({"b": 2})
        return ctx.input_data

    async def read(ctx: StepContext[Num]) -> dict[str, object]:
        return dict(ctx.state)

    wf = create_workflow(id="state-dict", input_schema=Num)
    wf.then(create_step(id="write", input_schema=Num, output_schema=Num, execute=write)).then(
        create_step(id="read", input_schema=Num, execute=read)
    ).commit()
    result = await (await wf.create_run()).start(input_data={"x": 1}, initial_state={"a": 1})
    assert result.result == {"a": 1, "b": 2}
