"""Mastra's JSON shape: `model_dump(mode="json", by_alias=True, exclude_none=True)`."""

from __future__ import annotations

import json

from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow


class Num(BaseModel):
    x: int


async def _inc(ctx: StepContext[Num]) -> Num:
    return Num(x=ctx.input_data.x + 1)


def _dump(result: object) -> dict[str, object]:
    return result.model_dump(mode="json", by_alias=True, exclude_none=True)  # type: ignore[attr-defined]


async def test_success_json_is_camel_case_with_input_step() -> None:
    wf = create_workflow(id="json-ok", input_schema=Num)
    wf.then(create_step(id="inc", input_schema=Num, output_schema=Num, execute=_inc)).commit()
    run = await wf.create_run()
    data = _dump(await run.start(input_data={"x": 1}))
    json.dumps(data)  # plain JSON
    assert data["status"] == "success"
    assert data["result"] == {"x": 2}
    assert data["input"] == {"x": 1}
    assert data["runId"] == run.run_id
    assert data["stepExecutionPath"] == ["inc"]
    steps = data["steps"]
    assert isinstance(steps, dict)
    assert next(iter(steps)) == "input"
    assert steps["input"] == {"x": 1}
    inc = steps["inc"]
    assert inc["status"] == "success"
    assert inc["output"] == {"x": 2}
    assert isinstance(inc["startedAt"], int) and isinstance(inc["endedAt"], int)
    assert inc["startedAt"] > 1_600_000_000_000  # epoch milliseconds
    assert "started_at" not in inc
    assert "error" not in data and "suspended" not in data


async def test_suspended_json() -> None:
    async def pause(ctx: StepContext[Num]) -> Num:
        if ctx.resume_data is None:
            await ctx.suspend({"why": "approval"})
        return ctx.input_data

    wf = create_workflow(id="json-suspend", input_schema=Num)
    wf.then(create_step(id="pause", input_schema=Num, output_schema=Num, execute=pause)).commit()
    data = _dump(await (await wf.create_run()).start(input_data={"x": 1}))
    assert data["status"] == "suspended"
    assert data["suspended"] == [["pause"]]
    assert data["suspendPayload"] == {"pause": {"why": "approval"}}
    step = data["steps"]["pause"]  # type: ignore[index]
    assert step["suspendPayload"] == {"why": "approval"}
    assert isinstance(step["suspendedAt"], int)
    assert "result" not in data


class RateLimited(Exception):
    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


async def test_error_is_serialized_with_name_message_cause_and_attributes() -> None:
    async def boom(ctx: StepContext[Num]) -> Num:
        try:
            raise OSError("root cause")
        except OSError as exc:
            raise RateLimited("too many", 429) from exc

    wf = create_workflow(id="json-error", input_schema=Num)
    wf.then(create_step(id="boom", input_schema=Num, output_schema=Num, execute=boom)).commit()
    data = _dump(await (await wf.create_run()).start(input_data={"x": 1}))
    assert data["status"] == "failed"
    error = data["error"]
    assert isinstance(error, dict)
    assert error["name"] == "RateLimited"
    assert error["message"] == "too many"
    assert error["status_code"] == 429
    assert error["cause"] == {"name": "OSError", "message": "root cause"}
    assert data["steps"]["boom"]["error"]["message"] == "too many"  # type: ignore[index]
    assert "result" not in data
    json.dumps(data)


async def test_include_state_appears_in_json() -> None:
    async def setter(ctx: StepContext[Num]) -> Num:
        await ctx.set_state({"seen": True})
        return ctx.input_data

    wf = create_workflow(id="json-state", input_schema=Num)
    wf.then(create_step(id="s", input_schema=Num, output_schema=Num, execute=setter)).commit()
    data = _dump(await (await wf.create_run()).start(input_data={"x": 1}, include_state=True))
    assert data["state"] == {"seen": True}
