"""Conformance twin of oracle case watch: run.watch(cb) events during start(), the unwatch
function, and watch across suspend/resume."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from treadle import Treadle, create_step, create_workflow
from treadle.storage import InMemoryStore

try:
    from ._twin import canon, dump, elide_payloads, golden
except ImportError:
    from _twin import canon, dump, elide_payloads, golden  # type: ignore[no-redef]


class X(BaseModel):
    x: int


async def test_watch() -> None:
    a = create_step(
        id="a", input_schema=X, output_schema=X, execute=lambda ctx: {"x": ctx.input_data.x + 1}
    )

    async def gate_exec(ctx: Any) -> Any:
        if ctx.resume_data:
            return {"x": ctx.input_data.x + ctx.resume_data["add"]}
        await ctx.suspend({"p": 1})

    gate = create_step(id="gate", input_schema=X, output_schema=X, execute=gate_exec)
    wf = create_workflow(id="watch", input_schema=X).then(a).commit()
    run = await wf.create_run()
    events: list[Any] = []
    unwatch = run.watch(events.append)
    result = await run.start(input_data={"x": 1})  # watchers are called synchronously: no wait
    unwatch()

    wf2 = create_workflow(id="watch-sr", input_schema=X).then(a).then(gate).commit()
    Treadle(workflows={"wf2": wf2}, storage=InMemoryStore())
    run2 = await wf2.create_run()
    events2: list[dict[str, Any]] = []
    run2.watch(lambda e: events2.append({"phase": "any", "e": e}))
    await run2.start(input_data={"x": 1})
    count_after_start = len(events2)
    await run2.resume(step="gate", resume_data={"add": 5})

    assert dump(result)["steps"]["a"]["payload"] == {"x": 1}  # deviation 4
    obs = {
        "unwatchType": "function" if callable(unwatch) else type(unwatch).__name__,
        "events": events,
        "eventTypes": [e["type"] for e in events],
        "result": elide_payloads(dump(result)),
        "suspendResumeEventTypes": [x["e"]["type"] for x in events2],
        "countAfterStart": count_after_start,
        "suspendResumeEvents": [x["e"] for x in events2],
    }
    expected = golden("watch")
    assert canon(obs) == expected
