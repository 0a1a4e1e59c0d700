"""Conformance twin of oracle case stream-suspend-resume: run.stream() reaching a suspension
(closes on suspend), then run.resume_stream()."""

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


class Add(BaseModel):
    add: int


async def test_stream_suspend_resume() -> None:
    async def gate_exec(ctx: Any) -> Any:
        if ctx.resume_data:
            return {"x": ctx.input_data.x + dump(ctx.resume_data)["add"]}
        await ctx.suspend({"need": "add"})

    gate = create_step(
        id="gate", input_schema=X, output_schema=X, resume_schema=Add, execute=gate_exec
    )
    after = create_step(
        id="after", input_schema=X, output_schema=X, execute=lambda ctx: ctx.input_data
    )
    wf = create_workflow(id="stream-sr", input_schema=X).then(gate).then(after).commit()
    Treadle(workflows={"wf": wf}, storage=InMemoryStore())
    run = await wf.create_run()
    out = run.stream(input_data={"x": 1})
    events = [e async for e in out.full_stream]
    result = await out.result
    status = out.status
    out2 = run.resume_stream(step="gate", resume_data={"add": 10})
    resume_events = [e async for e in out2.full_stream]
    resume_result = await out2.result

    # deviation 4: payload always present
    assert dump(result)["steps"]["gate"]["payload"] == {"x": 1}
    assert dump(resume_result)["steps"]["gate"]["payload"] == {"x": 1}
    assert dump(resume_result)["steps"]["after"]["payload"] == {"x": 11}
    obs = {
        "events": dump(events),
        "result": elide_payloads(dump(result)),
        "status": status,
        "resumeEvents": dump(resume_events),
        "resumeResult": elide_payloads(dump(resume_result)),
        "resumeStatus": out2.status,
    }
    expected = golden("stream-suspend-resume")
    assert canon(obs) == expected
