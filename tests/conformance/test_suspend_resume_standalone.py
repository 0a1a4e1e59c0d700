"""Conformance twin of oracle case suspend-resume-standalone: a workflow not registered on an
app suspends; Mastra's resume() then throws "No snapshot found", Treadle's resumes (deviation 3)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from treadle import create_step, create_workflow

try:
    from ._twin import attempt, canon, dump, elide_payloads, golden
except ImportError:
    from _twin import attempt, canon, dump, elide_payloads, golden  # type: ignore[no-redef]


class Empty(BaseModel):
    pass


class Got(BaseModel):
    got: Any = None


async def test_suspend_resume_standalone() -> None:
    async def gate_exec(ctx: Any) -> Any:
        if ctx.resume_data:
            return {"got": ctx.resume_data}
        await ctx.suspend({"waiting": True})

    gate = create_step(id="gate", input_schema=Empty, output_schema=Got, execute=gate_exec)
    wf = create_workflow(id="standalone", input_schema=Empty).then(gate).commit()
    run = await wf.create_run()
    suspended = await run.start(input_data={})
    resume = await attempt(lambda: run.resume(step="gate", resume_data={"ok": 1}))

    assert dump(suspended)["steps"]["gate"]["payload"] == {}  # deviation 4
    assert resume["ok"] and resume["value"]["steps"]["gate"]["payload"] == {}  # deviation 4
    obs = {
        "suspended": elide_payloads(dump(suspended)),
        "resume": {**resume, "value": elide_payloads(resume["value"])},
        "hasMastra": wf.app is not None,
    }
    expected = golden("suspend-resume-standalone")
    # deviation 3: unregistered workflows can resume (in-memory store) -- Mastra throws
    # "No snapshot found for this workflow run: standalone <runId>"
    expected["resume"] = {
        "ok": True,
        "value": {
            "input": {},
            "result": {"got": {"ok": 1}},
            "runId": "<runId>",
            "status": "success",
            "stepExecutionPath": ["gate"],
            "steps": {
                "gate": {
                    "endedAt": "<ts>",
                    "output": {"got": {"ok": 1}},
                    "resumePayload": {"ok": 1},
                    "resumedAt": "<ts>",
                    "startedAt": "<ts>",
                    "status": "success",
                },
                "input": {},
            },
        },
    }
    assert canon(obs) == expected
