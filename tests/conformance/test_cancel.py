"""Conformance twin of oracle case `cancel`: run.cancel() while a step is running."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow

try:
    from ._twin import attempt, canon, dump, elide_payloads, golden
except ImportError:
    from _twin import attempt, canon, dump, elide_payloads, golden  # type: ignore[no-redef]


class Empty(BaseModel):
    pass


class Done(BaseModel):
    done: bool


async def test_cancel() -> None:
    log: list[str] = []
    started = asyncio.Event()

    async def slow_fn(ctx: StepContext[Empty]) -> Done:
        log.append("slow:start")
        ctx.abort_signal.add_listener(lambda: log.append("slow:abortSignal fired"))
        started.set()
        await asyncio.sleep(0.1)
        log.append(f"slow:end aborted={str(ctx.abort_signal.aborted).lower()}")
        return Done(done=True)

    async def next_fn(ctx: StepContext[Any]) -> Any:
        log.append("next:ran")
        return {}

    slow = create_step(id="slow", input_schema=Empty, output_schema=Done, execute=slow_fn)
    nxt = create_step(id="next", execute=next_fn)
    wf = create_workflow(id="cancel", input_schema=Empty).then(slow).then(nxt).commit()
    run = await wf.create_run()
    task = asyncio.create_task(run.start(input_data={}))
    await started.wait()  # the oracle sleeps 20 ms: the step is running by then

    async def cancel() -> Any:
        r = await run.cancel()
        return "<undefined>" if r is None else r

    cancel_return = await attempt(cancel)
    result = await task

    raw = dump(result)
    # deviation 4: payload always present
    assert raw["steps"]["slow"]["payload"] == {}
    obs = {
        "cancelReturn": cancel_return,
        "result": elide_payloads(raw),
        "log": log,
        "runStatus": run.status,
    }
    expected = golden("cancel")
    # deviation 5: cancel interrupts the running step at its next await (here its sleep): the
    # step never reaches its end and is recorded `canceled`, without an output.
    expected["log"] = ["slow:start", "slow:abortSignal fired"]
    slow_record = expected["result"]["steps"]["slow"]
    slow_record["status"] = "canceled"
    del slow_record["output"]
    assert canon(obs) == expected
