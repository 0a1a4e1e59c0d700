"""Conformance twin of oracle case `foreach-sequential`: .for_each(step), default concurrency."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow

try:
    from ._twin import canon, dump, golden
except ImportError:
    from _twin import canon, dump, golden  # type: ignore[no-redef]


class Item(BaseModel):
    v: float
    ms: float


class Doubled(BaseModel):
    doubled: float


class Total(BaseModel):
    total: float


async def test_foreach_sequential() -> None:
    log: list[str] = []

    async def item_fn(ctx: StepContext[Item]) -> Doubled:
        v = ctx.input_data.v
        log.append(f"start:{v:g}")
        await asyncio.sleep(ctx.input_data.ms / 1000)
        log.append(f"end:{v:g}")
        return Doubled(doubled=v * 2)

    agg_saw: list[Any] = []

    async def agg_fn(ctx: StepContext[list[Doubled]]) -> Total:
        agg_saw.append([d.model_dump() for d in ctx.input_data])
        return Total(total=sum(d.doubled for d in ctx.input_data))

    item = create_step(id="item", input_schema=Item, output_schema=Doubled, execute=item_fn)
    agg = create_step(id="agg", input_schema=list[Doubled], output_schema=Total, execute=agg_fn)
    wf = (
        create_workflow(id="foreach-seq", input_schema=list[Item]).for_each(item).then(agg).commit()
    )
    result = await (await wf.create_run()).start(
        input_data=[{"v": 1, "ms": 30}, {"v": 2, "ms": 1}, {"v": 3, "ms": 10}]
    )
    log1 = list(log)
    log.clear()
    wf_last = create_workflow(id="foreach-last", input_schema=list[Item]).for_each(item).commit()
    result_foreach_last = await (await wf_last.create_run()).start(input_data=[{"v": 5, "ms": 1}])
    empty_array = await (await wf_last.create_run()).start(input_data=[])

    # Every record keeps its payload in Mastra too here (foreach is off the execution path and
    # `agg`'s payload is the foreach output, not the previous path entry's), so no elision.
    obs = {
        "result": dump(result),
        "log": log1,
        "aggSaw": agg_saw,
        "resultForeachLast": dump(result_foreach_last),
        "emptyArray": dump(empty_array),
    }
    assert canon(obs) == golden("foreach-sequential")
