"""Conformance twin of oracle case `sleep`: .sleep(ms) / .sleep(fn) / named sleeps as step-like
entries, the time they wait, and their stream events."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel

from treadle import ConditionContext, StepContext, create_step, create_workflow

try:
    from ._twin import canon, dump, elide_payloads, golden
except ImportError:
    from _twin import canon, dump, elide_payloads, golden  # type: ignore[no-redef]


class Ms(BaseModel):
    ms: float


class After(BaseModel):
    after: bool
    saw: Any


async def test_sleep() -> None:
    async def s_fn(ctx: StepContext[Ms]) -> Ms:
        return ctx.input_data

    async def t_fn(ctx: StepContext[Ms]) -> After:
        return After(after=True, saw=ctx.input_data.model_dump())

    s = create_step(id="s", input_schema=Ms, output_schema=Ms, execute=s_fn)
    t = create_step(id="t", input_schema=Ms, output_schema=After, execute=t_fn)
    fn_calls: list[Any] = []

    async def duration(ctx: ConditionContext) -> float:
        fn_calls.append(ctx.input_data)
        return ctx.input_data["ms"]

    wf = (
        create_workflow(id="sleep", input_schema=Ms)
        .then(s)
        .sleep(30)
        .sleep(duration)
        .sleep(10, id="named-sleep")
        .then(t)
        .commit()
    )
    t0 = time.monotonic()
    result = await (await wf.create_run()).start(input_data={"ms": 20})
    elapsed_ms = (time.monotonic() - t0) * 1000
    stream = (await wf.create_run()).stream(input_data={"ms": 5})
    events = [event async for event in stream]

    raw = dump(result)
    # deviation 4: payload always present
    for sid in raw["stepExecutionPath"]:
        assert raw["steps"][sid]["payload"] == {"ms": 20}
    obs = {
        "result": elide_payloads(raw),
        "sleptAtLeast60ms": elapsed_ms >= 58,
        "fnCalls": fn_calls,
        "stepIds": list(wf.steps),
        "serializedStepGraph": wf.serialized_step_graph,
        "streamEvents": dump(events),
    }
    expected = golden("sleep")
    # language: serializedStepGraph shows a Python function by name, not JS source text
    expected["serializedStepGraph"][2]["fn"] = f"<function {duration.__qualname__}>"
    assert canon(obs) == expected
