"""`.wait_for_event(name, step)` + `run.send_event(name, data)` (seeds; deviation 2)."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow


class Num(BaseModel):
    x: int


def _workflow(wid: str):
    async def on_event(ctx: StepContext[Num]) -> dict[str, Any]:
        return {"x": ctx.input_data.x, "by": ctx.resume_data["by"]}

    handler = create_step(id="handle", input_schema=Num, execute=on_event)
    return create_workflow(id=wid, input_schema=Num).wait_for_event("approved", handler).commit()


async def test_event_sent_before_the_run_reaches_the_wait() -> None:
    wf = _workflow("wfe-before")
    run = await wf.create_run()
    await run.send_event("approved", {"by": "ada"})
    result = await asyncio.wait_for(run.start(input_data={"x": 1}), timeout=5)
    assert result.status == "success"
    assert result.result == {"x": 1, "by": "ada"}
    assert result.steps["handle"].resume_payload == {"by": "ada"}
    assert result.steps["handle"].payload == {"x": 1}


async def test_event_sent_while_the_run_waits() -> None:
    wf = _workflow("wfe-after")
    run = await wf.create_run()
    waiting = asyncio.Event()
    events: list[str] = []

    def watcher(event: dict[str, Any]) -> None:
        events.append(event["type"])
        if event["type"] == "workflow-step-waiting" and event["payload"]["id"] == "handle":
            waiting.set()

    run.watch(watcher)
    task = asyncio.create_task(run.start(input_data={"x": 2}))
    await asyncio.wait_for(waiting.wait(), timeout=5)
    assert not task.done()
    await run.send_event("approved", {"by": "bob"})
    result = await asyncio.wait_for(task, timeout=5)
    assert result.status == "success"
    assert result.result == {"x": 2, "by": "bob"}
    assert "workflow-step-waiting" in events


async def test_other_events_do_not_release_the_wait() -> None:
    wf = _workflow("wfe-other")
    run = await wf.create_run()
    waiting = asyncio.Event()
    run.watch(lambda e: waiting.set() if e["type"] == "workflow-step-waiting" else None)
    task = asyncio.create_task(run.start(input_data={"x": 3}))
    await asyncio.wait_for(waiting.wait(), timeout=5)
    await run.send_event("rejected", {"by": "eve"})
    for _ in range(10):
        await asyncio.sleep(0)
    assert not task.done()
    await run.send_event("approved", {"by": "carl"})
    result = await asyncio.wait_for(task, timeout=5)
    assert result.result == {"x": 3, "by": "carl"}


async def test_cancel_while_waiting() -> None:
    wf = _workflow("wfe-cancel")
    run = await wf.create_run()
    waiting = asyncio.Event()
    run.watch(lambda e: waiting.set() if e["type"] == "workflow-step-waiting" else None)
    task = asyncio.create_task(run.start(input_data={"x": 3}))
    await asyncio.wait_for(waiting.wait(), timeout=5)
    await run.cancel()
    result = await asyncio.wait_for(task, timeout=5)
    assert result.status == "canceled"
    assert result.steps["handle"].status == "canceled"
