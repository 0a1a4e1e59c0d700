"""`.branch([...])`: every true arm runs (concurrently); output keyed by the arms that ran."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel

from treadle import ConditionContext, StepContext, create_step, create_workflow
from treadle.errors import ConditionError


class Num(BaseModel):
    x: int


def _tag(sid: str, calls: list[str] | None = None):
    async def run(ctx: StepContext[Num]) -> dict[str, str]:
        if calls is not None:
            calls.append(sid)
        return {"arm": sid}

    return create_step(id=sid, input_schema=Num, execute=run)


async def test_only_true_arms_run() -> None:
    calls: list[str] = []
    wf = create_workflow(id="br-one", input_schema=Num)
    wf.branch(
        [
            (lambda c: c.input_data["x"] > 10, _tag("big", calls)),
            (lambda c: c.input_data["x"] <= 10, _tag("small", calls)),
        ]
    ).commit()
    result = await (await wf.create_run()).start(input_data={"x": 3})
    assert calls == ["small"]
    assert result.status == "success"
    assert result.result == {"small": {"arm": "small"}}
    assert "big" not in result.steps


async def test_every_true_arm_runs_not_just_the_first() -> None:
    wf = create_workflow(id="br-both", input_schema=Num)
    wf.branch([(lambda c: True, _tag("a")), (lambda c: True, _tag("b"))]).commit()
    result = await (await wf.create_run()).start(input_data={"x": 0})
    assert result.result == {"a": {"arm": "a"}, "b": {"arm": "b"}}


async def test_true_arms_overlap_in_time() -> None:
    a_started = asyncio.Event()
    b_started = asyncio.Event()

    async def a(ctx: StepContext[Num]) -> dict[str, int]:
        a_started.set()
        await b_started.wait()
        return {"a": 1}

    async def b(ctx: StepContext[Num]) -> dict[str, int]:
        b_started.set()
        await a_started.wait()
        return {"b": 2}

    sa = create_step(id="a", input_schema=Num, execute=a)
    sb = create_step(id="b", input_schema=Num, execute=b)
    wf = create_workflow(id="br-overlap", input_schema=Num)
    wf.branch([(lambda c: True, sa), (lambda c: True, sb)]).commit()
    result = await asyncio.wait_for((await wf.create_run()).start(input_data={"x": 0}), timeout=5)
    assert result.status == "success"
    assert result.result == {"a": {"a": 1}, "b": {"b": 2}}


async def test_no_match_passes_empty_dict_on() -> None:
    seen: list[object] = []

    async def after(ctx: StepContext[object]) -> dict[str, bool]:
        seen.append(ctx.input_data)
        return {"done": True}

    wf = create_workflow(id="br-none", input_schema=Num)
    wf.branch([(lambda c: False, _tag("never"))]).then(
        create_step(id="after", execute=after)
    ).commit()
    result = await (await wf.create_run()).start(input_data={"x": 0})
    assert result.status == "success"
    assert seen == [{}]
    assert result.steps["after"].payload == {}


async def test_async_condition_and_condition_context() -> None:
    seen: dict[str, object] = {}

    async def cond(c: ConditionContext) -> bool:
        seen["input"] = c.input_data
        seen["init"] = c.get_init_data()
        seen["prev"] = c.get_step_result("first")
        return True

    async def first(ctx: StepContext[Num]) -> Num:
        return Num(x=ctx.input_data.x + 1)

    f = create_step(id="first", input_schema=Num, output_schema=Num, execute=first)
    wf = create_workflow(id="br-async", input_schema=Num)
    wf.then(f).branch([(cond, _tag("arm"))]).commit()
    result = await (await wf.create_run()).start(input_data={"x": 1})
    assert result.status == "success"
    assert seen == {"input": {"x": 2}, "init": {"x": 1}, "prev": {"x": 2}}


async def test_raising_condition_fails_the_run_naming_it() -> None:
    def bad(c: ConditionContext) -> bool:
        raise KeyError("nope")

    ran: list[str] = []
    wf = create_workflow(id="br-raise", input_schema=Num)
    wf.branch([(bad, _tag("guarded", ran)), (lambda c: True, _tag("other", ran))]).commit()
    result = await (await wf.create_run()).start(input_data={"x": 0})
    assert result.status == "failed"
    assert ran == []
    assert result.error is not None
    assert result.error["name"] == "ConditionError"
    assert "guarded" in result.error["message"]
    assert isinstance(result.exception, ConditionError)
