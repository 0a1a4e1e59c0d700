"""Conformance twin of oracle case suspend-payload-shape: suspend/resume payloads in the result,
suspend_schema validation, resume labels, and suspend() without a payload."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from treadle import Treadle, create_step, create_workflow
from treadle.storage import InMemoryStore

try:
    from ._twin import attempt, canon, dump, elide_payloads, golden
except ImportError:
    from _twin import attempt, canon, dump, elide_payloads, golden  # type: ignore[no-redef]


class Q(BaseModel):
    q: str


class Answer(BaseModel):
    answer: str
    hadSuspendData: Any = None


class AnswerIn(BaseModel):
    answer: str


class Prompt(BaseModel):
    prompt: str
    n: int


class Empty(BaseModel):
    pass


class Must(BaseModel):
    must: int


class Resumed(BaseModel):
    resumed: Any = None


async def test_suspend_payload_shape() -> None:
    seen: list[dict[str, Any]] = []

    async def ask_exec(ctx: Any) -> Any:
        seen.append({"resumeData": ctx.resume_data, "suspendData": ctx.suspend_data})
        if not ctx.resume_data:
            await ctx.suspend(
                {"prompt": f"answer: {ctx.input_data.q}", "n": 7}, resume_label="ask-label"
            )
        return {"answer": dump(ctx.resume_data)["answer"], "hadSuspendData": ctx.suspend_data}

    ask = create_step(
        id="ask", input_schema=Q, output_schema=Answer, suspend_schema=Prompt,
        resume_schema=AnswerIn, execute=ask_exec,
    )  # fmt: skip
    wf = create_workflow(id="sr-shape", input_schema=Q).then(ask).commit()
    Treadle(workflows={"wf": wf}, storage=InMemoryStore())
    run = await wf.create_run()
    suspended = await run.start(input_data={"q": "why?"})
    resumed = await run.resume(label="ask-label", resume_data={"answer": "42"})

    async def bad_exec(ctx: Any) -> Any:
        if ctx.resume_data:
            return {}
        await ctx.suspend({"must": "not a number"})

    bad_suspend = create_step(
        id="bad-suspend",
        input_schema=Empty,
        output_schema=Empty,
        suspend_schema=Must,
        execute=bad_exec,
    )
    wf2 = create_workflow(id="sr-bad-suspend", input_schema=Empty).then(bad_suspend).commit()
    Treadle(workflows={"wf2": wf2}, storage=InMemoryStore())

    async def start_bad() -> Any:
        return await (await wf2.create_run()).start(input_data={})

    suspend_payload_invalid = await attempt(start_bad)

    async def bare_exec(ctx: Any) -> Any:
        if ctx.resume_data:
            return {"resumed": ctx.resume_data}
        await ctx.suspend()

    bare = create_step(id="bare", input_schema=Empty, output_schema=Resumed, execute=bare_exec)
    wf3 = create_workflow(id="sr-bare", input_schema=Empty).then(bare).commit()
    Treadle(workflows={"wf3": wf3}, storage=InMemoryStore())
    run3 = await wf3.create_run()
    suspended_no_payload = await run3.start(input_data={})
    resumed_no_payload = await run3.resume(resume_data={"any": "thing"})

    r = await wf.create_run()
    with_labels = await r.start(input_data={"q": "labels?"}, include_resume_labels=True)

    # deviation 4: payload always present
    assert dump(resumed)["steps"]["ask"]["payload"] == {"q": "why?"}
    assert dump(suspended)["steps"]["ask"]["payload"] == {"q": "why?"}
    assert dump(resumed_no_payload)["steps"]["bare"]["payload"] == {}
    assert suspend_payload_invalid["value"]["steps"]["bad-suspend"]["payload"] == {}
    obs = {
        "suspended": elide_payloads(dump(suspended)),
        "resumed": elide_payloads(dump(resumed)),
        "seen": seen,
        "suspendPayloadInvalid": {
            **suspend_payload_invalid,
            "value": elide_payloads(suspend_payload_invalid["value"]),
        },
        "suspendedNoPayload": elide_payloads(dump(suspended_no_payload)),
        "resumedNoPayload": elide_payloads(dump(resumed_no_payload)),
        "outputOptionsResumeLabels": elide_payloads(dump(with_labels)),
    }
    expected = golden("suspend-payload-shape")
    invalid = expected["suspendPayloadInvalid"]["value"]
    for error in (invalid["error"], invalid["steps"]["bad-suspend"]["error"]):
        # language: pydantic's message text (zod: "Invalid input: expected number, received string")
        error["message"] = error["message"].replace(
            "Invalid input: expected number, received string",
            "Input should be a valid integer, unable to parse string as an integer",
        )
        # language: Python exception class names -- the spec'd error JSON carries the class name
        # and the exception's public attributes (SchemaValidationError.issues / step_id).
        error["name"] = "SchemaValidationError"
        error["stepId"] = "bad-suspend"
        error["issues"] = [{
            "message": "Input should be a valid integer, unable to parse string as an integer",
            "path": "must",
            "type": "int_parsing",
        }]  # fmt: skip
    assert canon(obs) == expected
