"""Conformance twin of oracle case `parallel`: .parallel([a, b]) then a combining step."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow

try:
    from ._twin import canon, dump, golden
except ImportError:
    from _twin import canon, dump, golden  # type: ignore[no-redef]


class N(BaseModel):
    n: float


class A(BaseModel):
    a: float


class B(BaseModel):
    b: float


class AB(BaseModel):
    a: A
    b: B


class Sum(BaseModel):
    sum: float


async def test_parallel() -> None:
    order: list[str] = []

    async def a_fn(ctx: StepContext[N]) -> A:
        order.append("a:start")
        await asyncio.sleep(0.030)
        order.append("a:end")
        return A(a=ctx.input_data.n + 1)

    async def b_fn(ctx: StepContext[N]) -> B:
        order.append("b:start")
        await asyncio.sleep(0.005)
        order.append("b:end")
        return B(b=ctx.input_data.n * 10)

    combine_saw: list[Any] = []

    async def combine_fn(ctx: StepContext[AB]) -> Sum:
        combine_saw.append(ctx.input_data.model_dump())
        return Sum(sum=ctx.input_data.a.a + ctx.input_data.b.b)

    a = create_step(id="a", input_schema=N, output_schema=A, execute=a_fn)
    b = create_step(id="b", input_schema=N, output_schema=B, execute=b_fn)
    combine = create_step(id="combine", input_schema=AB, output_schema=Sum, execute=combine_fn)
    wf = (
        create_workflow(id="par", input_schema=N, output_schema=Sum)
        .parallel([a, b])
        .then(combine)
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={"n": 2})

    wf2 = create_workflow(id="par-last", input_schema=N).parallel([a, b]).commit()
    order1 = list(order)
    order.clear()
    result_parallel_last = await (await wf2.create_run()).start(input_data={"n": 2})

    # Every step result here keeps its payload in Mastra too (parallel children and `combine`,
    # whose payload differs from the previous path output), so no elision is needed.
    obs = {
        "result": dump(result),
        "combineSaw": combine_saw,
        "executionOrder": order1,
        "resultParallelLast": dump(result_parallel_last),
        "executionOrderParallelLast": list(order),
    }
    assert canon(obs) == golden("parallel")
