"""Conformance twin of oracle case suspend-foreach: a step inside for_each() suspends for some
items; resume with for_each_index, without it, and by label."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from treadle import Treadle, create_step, create_workflow
from treadle.storage import InMemoryStore

try:
    from ._twin import attempt, canon, dump, golden
except ImportError:
    from _twin import attempt, canon, dump, golden  # type: ignore[no-redef]


class V(BaseModel):
    v: int


class Add(BaseModel):
    add: int


ITEMS = [{"v": 1}, {"v": 2}, {"v": 3}, {"v": 4}]


async def test_suspend_foreach() -> None:
    calls: list[dict[str, Any]] = []

    async def item_exec(ctx: Any) -> Any:
        resume = dump(ctx.resume_data)
        calls.append({"v": ctx.input_data.v, "resumeData": resume})
        if ctx.input_data.v % 2 == 0 and not resume:
            await ctx.suspend({"item": ctx.input_data.v}, resume_label=f"item-{ctx.input_data.v}")
        return {"v": ctx.input_data.v + ((resume or {}).get("add") or 0)}

    item = create_step(
        id="item", input_schema=V, output_schema=V, resume_schema=Add, execute=item_exec
    )
    wf = create_workflow(id="sr-foreach", input_schema=list[V]).for_each(item).commit()
    Treadle(workflows={"wf": wf}, storage=InMemoryStore())

    run = await wf.create_run()
    suspended = await run.start(input_data=ITEMS, include_resume_labels=True)
    after1 = await attempt(
        lambda: run.resume(step="item", for_each_index=1, resume_data={"add": 100})
    )
    after3 = await attempt(
        lambda: run.resume(step="item", for_each_index=3, resume_data={"add": 1000})
    )
    calls1 = list(calls)
    calls.clear()

    run2 = await wf.create_run()
    await run2.start(input_data=ITEMS)
    without_index = await attempt(lambda: run2.resume(step="item", resume_data={"add": 7}))
    calls2 = list(calls)
    calls.clear()

    run3 = await wf.create_run()
    await run3.start(input_data=[{"v": 2}, {"v": 4}])
    by_label = await attempt(lambda: run3.resume(label="item-4", resume_data={"add": 5}))

    obs = {
        "suspended": dump(suspended),
        "afterResumeIndex1": after1,
        "afterResumeIndex3": after3,
        "calls": calls1,
        "resumeWithoutIndex": without_index,
        "callsWithoutIndex": calls2,
        "resumeByLabel": by_label,
        "callsByLabel": list(calls),
    }
    expected = golden("suspend-foreach")
    # deviation 7: __workflow_meta never leaks -- Mastra keeps its per-iteration bookkeeping
    # (foreachIndex, foreachOutput, resumeLabels) in the step's suspendPayload; everything else,
    # the user's payload included, is compared as recorded.
    for record in (
        expected["suspended"]["steps"]["item"],
        expected["afterResumeIndex1"]["value"]["steps"]["item"],
        expected["resumeWithoutIndex"]["value"]["steps"]["item"],
        expected["resumeByLabel"]["value"]["steps"]["item"],
    ):
        del record["suspendPayload"]["__workflow_meta"]
    assert canon(obs) == expected
