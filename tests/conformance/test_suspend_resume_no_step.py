"""Conformance twin of oracle case suspend-resume-no-step: resume() without naming the step, and
the errors of resuming a finished / never-started run, a wrong step, or with bad resume data."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from treadle import Treadle, create_step, create_workflow
from treadle.storage import InMemoryStore

try:
    from ._twin import attempt, canon, dump, elide_payloads, golden
except ImportError:
    from _twin import attempt, canon, dump, elide_payloads, golden  # type: ignore[no-redef]


class N(BaseModel):
    n: int


class Add(BaseModel):
    add: int


def _elided(outcome: dict[str, Any]) -> dict[str, Any]:
    if outcome["ok"]:
        # deviation 4: payload always present
        steps = outcome["value"]["steps"]
        assert steps["gate"]["payload"] == {"n": 1}
        assert steps["other"]["payload"] == {"n": 1}
        return {**outcome, "value": elide_payloads(outcome["value"])}
    return outcome


def py_error(js: dict[str, Any], cls: str, code: str | None = None) -> dict[str, Any]:
    """The errinfo() of the Treadle error standing for the oracle's errInfo() `js`: the class name
    replaces Error/MastraError, and Mastra's `id`/`toJSON`/`hasToJSON` become WorkflowError's
    `code` and its domain/category/details attributes."""
    return {
        "constructor": cls,
        "name": cls,
        "message": js["message"],
        "code": js.get("id", code),
        "category": js.get("category", "USER"),
        "domain": js.get("domain", "MASTRA_WORKFLOW"),
        "details": js.get("details", {}),
    }


async def test_suspend_resume_no_step() -> None:
    async def gate_exec(ctx: Any) -> Any:
        if ctx.resume_data:
            return {"n": ctx.input_data.n + dump(ctx.resume_data)["add"]}
        await ctx.suspend({})

    gate = create_step(
        id="gate", input_schema=N, output_schema=N, resume_schema=Add, execute=gate_exec
    )
    other = create_step(
        id="other", input_schema=N, output_schema=N, execute=lambda ctx: ctx.input_data
    )
    wf = create_workflow(id="sr-nostep", input_schema=N).then(other).then(gate).commit()
    Treadle(workflows={"wf": wf}, storage=InMemoryStore())

    run = await wf.create_run()
    suspended = await run.start(input_data={"n": 1})
    resumed = await attempt(lambda: run.resume(resume_data={"add": 10}))
    resume_again_after_success = await attempt(lambda: run.resume(resume_data={"add": 10}))

    fresh = await wf.create_run()
    resume_never_started = await attempt(lambda: fresh.resume(resume_data={"add": 1}))

    run2 = await wf.create_run()
    await run2.start(input_data={"n": 1})
    resume_wrong_step = await attempt(lambda: run2.resume(step="other", resume_data={"add": 1}))
    resume_unknown_step = await attempt(
        lambda: run2.resume(step="no-such-step", resume_data={"add": 1})
    )
    resume_invalid = await attempt(lambda: run2.resume(step="gate", resume_data={"add": "x"}))
    resume_after_errors = await attempt(lambda: run2.resume(step="gate", resume_data={"add": 2}))

    assert dump(suspended)["steps"]["gate"]["payload"] == {"n": 1}  # deviation 4
    obs = {
        "suspended": elide_payloads(dump(suspended)),
        "resumed": _elided(resumed),
        "resumeAgainAfterSuccess": resume_again_after_success,
        "resumeNeverStarted": resume_never_started,
        "resumeWrongStep": resume_wrong_step,
        "resumeUnknownStep": resume_unknown_step,
        "resumeInvalidResumeData": resume_invalid,
        "resumeAfterErrors": _elided(resume_after_errors),
    }
    expected = golden("suspend-resume-no-step")
    # language: Python exception class names -- Mastra throws plain `Error`s (and a MastraError
    # with id/toJSON); Treadle raises WorkflowError subclasses carrying code/domain/category/details.
    for key in (
        "resumeAgainAfterSuccess",
        "resumeNeverStarted",
        "resumeWrongStep",
        "resumeUnknownStep",
    ):
        expected[key]["error"] = py_error(
            expected[key]["error"], "RunStateError", "WORKFLOW_RUN_STATE_INVALID"
        )
    invalid = expected["resumeInvalidResumeData"]
    invalid["error"] = py_error(invalid["error"], "SchemaValidationError")
    # language: pydantic's message text (zod says "Invalid input: expected number, received string")
    invalid["error"]["message"] = (
        "Invalid resume data: \n- add: Input should be a valid integer, unable to parse string as an integer"
    )
    assert canon(obs) == expected
