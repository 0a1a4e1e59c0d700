"""Conformance twin of oracle case `branch-no-match`: .branch() where no condition is true."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from treadle import ConditionContext, StepContext, create_step, create_workflow

try:
    from ._twin import UNDEFINED, canon, dump, golden
except ImportError:
    from _twin import UNDEFINED, canon, dump, golden  # type: ignore[no-redef]


class V(BaseModel):
    v: float


class By(BaseModel):
    by: str


def s(sid: str) -> Any:
    async def fn(ctx: StepContext[V]) -> By:
        return By(by=sid)

    return create_step(id=sid, input_schema=V, output_schema=By, execute=fn)


async def never(ctx: ConditionContext) -> bool:
    return False


async def test_branch_no_match() -> None:
    next_saw: list[Any] = []

    async def next_fn(ctx: StepContext[Any]) -> Any:
        next_saw.append("<undefined>" if ctx.input_data is UNDEFINED else ctx.input_data)
        return {"nextGot": ctx.input_data}

    nxt = create_step(id="next", execute=next_fn)
    wf = (
        create_workflow(id="branch-none", input_schema=V)
        .branch([(never, s("a")), (never, s("b"))])
        .then(nxt)
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={"v": 1})
    wf_last = (
        create_workflow(id="branch-none-last", input_schema=V)
        .branch([(never, s("a")), (never, s("b"))])
        .commit()
    )
    result_branch_last = await (await wf_last.create_run()).start(input_data={"v": 1})

    # `next`'s payload ({}) differs from the previous path output, so Mastra keeps it too.
    obs = {
        "result": dump(result),
        "nextSaw": next_saw,
        "resultBranchLast": dump(result_branch_last),
    }
    assert canon(obs) == golden("branch-no-match")
