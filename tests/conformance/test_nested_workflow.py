"""Conformance twin of oracle case `nested-workflow`: a committed workflow used as a step."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow

try:
    from ._twin import canon, dump, elide_payloads, golden
except ImportError:
    from _twin import canon, dump, elide_payloads, golden  # type: ignore[no-redef]


class N(BaseModel):
    n: float


class Final(BaseModel):
    final: float


async def test_nested_workflow() -> None:
    inner_saw: list[dict[str, Any]] = []

    async def i1_fn(ctx: StepContext[N]) -> N:
        inner_saw.append(
            {
                "step": "i1",
                "inputData": ctx.input_data.model_dump(),
                "workflowId": ctx.workflow_id,
                "initData": ctx.get_init_data(),
                "runIdType": "string" if isinstance(ctx.run_id, str) else type(ctx.run_id).__name__,
            }
        )
        return N(n=ctx.input_data.n + 1)

    async def i2_fn(ctx: StepContext[N]) -> N:
        return N(n=ctx.input_data.n * 100)

    async def pre_fn(ctx: StepContext[N]) -> N:
        return N(n=ctx.input_data.n + 1)

    async def post_fn(ctx: StepContext[N]) -> Final:
        return Final(final=ctx.input_data.n)

    i1 = create_step(id="i1", input_schema=N, output_schema=N, execute=i1_fn)
    i2 = create_step(id="i2", input_schema=N, output_schema=N, execute=i2_fn)
    inner = create_workflow(id="inner", input_schema=N, output_schema=N).then(i1).then(i2).commit()
    pre = create_step(id="pre", input_schema=N, output_schema=N, execute=pre_fn)
    post = create_step(id="post", input_schema=N, output_schema=Final, execute=post_fn)
    outer = (
        create_workflow(id="outer", input_schema=N, output_schema=Final)
        .then(pre)
        .then(inner)
        .then(post)
        .commit()
    )
    result = await (await outer.create_run()).start(input_data={"n": 1})

    async def bad_fn(ctx: StepContext[Any]) -> Any:
        raise RuntimeError("inner failure")

    bad = create_step(id="bad", execute=bad_fn)
    inner_bad = create_workflow(id="inner-bad", input_schema=N).then(bad).commit()
    outer_bad = create_workflow(id="outer-bad", input_schema=N).then(inner_bad).commit()
    result_inner_fails = await (await outer_bad.create_run()).start(input_data={"n": 1})

    raw, raw_bad = dump(result), dump(result_inner_fails)
    # deviation 4: payload always present
    assert raw["steps"]["pre"]["payload"] == {"n": 1}
    assert raw["steps"]["inner"]["payload"] == {"n": 2}
    assert raw["steps"]["post"]["payload"] == {"n": 300}
    assert raw_bad["steps"]["inner-bad"]["payload"] == {"n": 1}
    obs = {
        "result": elide_payloads(raw),
        "innerSaw": inner_saw,
        "outerStepsKeys": list(outer.steps),
        "serializedStepGraph": outer.serialized_step_graph,
        "resultInnerFails": elide_payloads(raw_bad),
    }
    expected = golden("nested-workflow")
    # language: Python exception class names (JS `new Error(...)` -> RuntimeError here)
    expected["resultInnerFails"]["error"]["name"] = "RuntimeError"
    expected["resultInnerFails"]["steps"]["inner-bad"]["error"]["name"] = "RuntimeError"
    assert canon(obs) == expected
