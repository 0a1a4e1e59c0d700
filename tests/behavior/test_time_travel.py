"""`run.time_travel(step=..., input_data=...)`: re-run from a step using stored earlier results."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow
from treadle.errors import RunStateError, SchemaValidationError


class Num(BaseModel):
    x: int


def _wf(wid: str):
    calls: list[str] = []

    def make(sid: str, n: int):
        async def run(ctx: StepContext[Num]) -> Num:
            calls.append(sid)
            return Num(x=ctx.input_data.x + n)

        return create_step(id=sid, input_schema=Num, output_schema=Num, execute=run)

    wf = create_workflow(id=wid, input_schema=Num)
    wf.then(make("a", 1)).then(make("b", 10)).then(make("c", 100)).commit()
    return wf, calls


async def test_time_travel_reruns_from_the_step_with_new_input() -> None:
    wf, calls = _wf("tt-basic")
    run = await wf.create_run()
    first = await run.start(input_data={"x": 0})
    assert first.result == {"x": 111}
    calls.clear()
    again = await run.time_travel(step="b", input_data={"x": 5})
    assert again.status == "success"
    assert calls == ["b", "c"]
    assert again.result == {"x": 115}
    assert again.steps["a"].output == {"x": 1}
    assert again.steps["b"].payload == {"x": 5}


async def test_time_travel_without_input_uses_the_previous_output() -> None:
    wf, calls = _wf("tt-prev")
    run = await wf.create_run()
    await run.start(input_data={"x": 0})
    calls.clear()
    again = await run.time_travel(step="c")
    assert calls == ["c"]
    assert again.result == {"x": 111}


async def test_time_travel_with_context_on_a_fresh_run() -> None:
    wf, calls = _wf("tt-fresh")
    run = await wf.create_run()
    result = await run.time_travel(
        step="c", input_data={"x": 7}, context={"a": {"x": 1}, "b": {"x": 2}}
    )
    assert calls == ["c"]
    assert result.result == {"x": 107}


async def test_time_travel_errors() -> None:
    wf, _ = _wf("tt-errors")
    run = await wf.create_run()
    await run.start(input_data={"x": 0})
    with pytest.raises(RunStateError, match="zzz"):
        await run.time_travel(step="zzz")
    with pytest.raises(SchemaValidationError):
        await run.time_travel(step="b", input_data={"x": "not a number"})
