"""Suspend and resume of nested workflows placed inside parallel, for_each and loops."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow


class N(BaseModel):
    n: int


async def gate(ctx: StepContext[N]) -> dict[str, int]:
    if ctx.resume_data is None:
        await ctx.suspend({"n": ctx.input_data.n})
    return {"n": ctx.input_data.n + ctx.resume_data["add"]}


def inner_workflow() -> Any:
    g = create_step(id="gate", input_schema=N, output_schema=N, execute=gate)
    return create_workflow(id="inner", input_schema=N, output_schema=N).then(g).commit()


async def test_nested_workflow_in_parallel_resumes_by_dotted_path() -> None:
    def bump(ctx: StepContext[N]) -> dict[str, int]:
        return {"n": ctx.input_data.n + 1}

    side = create_step(id="side", input_schema=N, output_schema=N, execute=bump)
    wf = create_workflow(id="par", input_schema=N).parallel([inner_workflow(), side]).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"n": 1})
    assert first.status == "suspended"
    assert first.suspended == [["inner", "gate"]]
    done = await run.resume(step="inner.gate", resume_data={"add": 5})
    assert done.status == "success"
    assert done.result == {"inner": {"n": 6}, "side": {"n": 2}}


async def test_nested_workflow_in_for_each_resumes_one_item_then_the_rest() -> None:
    wf = (
        create_workflow(id="fe", input_schema=list[N])
        .for_each(inner_workflow(), concurrency=2)
        .commit()
    )
    run = await wf.create_run()
    first = await run.start(input_data=[{"n": 1}, {"n": 2}])
    assert first.status == "suspended"
    assert first.suspend_payload == {"inner": {"n": 1}}

    partly = await run.resume(step="inner", for_each_index=0, resume_data={"add": 10})
    assert partly.status == "suspended"
    assert partly.suspend_payload == {"inner": {"n": 2}}

    done = await run.resume(step="inner", resume_data={"add": 100})
    assert done.status == "success"
    assert done.result == [{"n": 11}, {"n": 102}]


async def test_nested_workflow_as_loop_body_keeps_its_iteration_count_across_resume() -> None:
    calls: list[int] = []

    async def body(ctx: StepContext[N]) -> dict[str, int]:
        calls.append(ctx.input_data.n)
        if ctx.resume_data is None and ctx.input_data.n == 2:
            await ctx.suspend({"at": 2})
        return {"n": ctx.input_data.n + 1}

    b = create_step(id="b", input_schema=N, output_schema=N, execute=body)
    inner = create_workflow(id="innerw", input_schema=N, output_schema=N).then(b).commit()
    wf = (
        create_workflow(id="lw", input_schema=N)
        .do_until(inner, lambda c: c.input_data["n"] >= 4)
        .commit()
    )
    run = await wf.create_run()
    first = await run.start(input_data={"n": 0})
    assert first.suspended == [["innerw", "b"]]
    done = await run.resume(resume_data={})
    assert done.status == "success"
    assert done.result == {"n": 4}
    assert done.steps["innerw"].metadata == {"iterationCount": 4}
    assert calls == [0, 1, 2, 2, 3]
