"""Bad data: workflow input, step input/output (deviation 1), resume data, non-JSON output."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow
from treadle.errors import SchemaValidationError, WorkflowError


class Address(BaseModel):
    city: str
    zip: int


class Person(BaseModel):
    name: str
    age: int
    address: Address


class Out(BaseModel):
    total: int
    label: str


async def test_invalid_workflow_input_lists_every_bad_path_and_nothing_runs() -> None:
    ran: list[str] = []

    async def step_fn(ctx: StepContext[Person]) -> dict[str, str]:
        ran.append("s")
        return {}

    wf = create_workflow(id="bad-wf-input", input_schema=Person)
    wf.then(create_step(id="s", input_schema=Person, execute=step_fn)).commit()
    run = await wf.create_run()
    with pytest.raises(SchemaValidationError) as info:
        await run.start(input_data={"name": 1, "address": {"city": "x", "zip": "nope"}})
    err = info.value
    assert sorted(err.paths) == ["address.zip", "age", "name"]
    assert sorted(i["path"] for i in err.issues) == ["address.zip", "age", "name"]
    assert "address.zip" in str(err)
    assert isinstance(err, WorkflowError)
    assert err.code == "WORKFLOW_SCHEMA_VALIDATION_FAILED"
    assert ran == []
    assert run.status == "pending"


async def test_invalid_step_input_fails_the_step_naming_it_and_the_path() -> None:
    async def make(ctx: StepContext[object]) -> dict[str, object]:
        return {"name": "ada", "age": "old", "address": {"city": "x", "zip": 1}}

    async def use(ctx: StepContext[Person]) -> dict[str, str]:
        return {"ok": "yes"}

    wf = create_workflow(id="bad-step-input")
    wf.then(create_step(id="make", execute=make)).then(
        create_step(id="use-person", input_schema=Person, execute=use)
    ).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert result.steps["use-person"].status == "failed"
    assert result.error is not None
    assert "use-person" in result.error["message"]
    assert "age" in result.error["message"]
    assert [i["path"] for i in result.error["issues"]] == ["age"]
    assert isinstance(result.exception, SchemaValidationError)
    assert result.exception.step_id == "use-person"


async def test_invalid_step_output_fails_naming_step_and_path() -> None:
    async def bad(ctx: StepContext[object]) -> dict[str, object]:
        return {"total": "lots", "label": 3}

    after_ran: list[str] = []

    async def after(ctx: StepContext[object]) -> dict[str, object]:
        after_ran.append("after")
        return {}

    wf = create_workflow(id="bad-step-output")
    wf.then(create_step(id="producer", output_schema=Out, execute=bad)).then(
        create_step(id="after", execute=after)
    ).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert after_ran == []
    assert result.steps["producer"].status == "failed"
    assert result.error is not None
    msg = result.error["message"]
    assert "producer" in msg and "output" in msg
    assert sorted(i["path"] for i in result.error["issues"]) == ["label", "total"]
    assert isinstance(result.exception, SchemaValidationError)
    assert result.exception.step_id == "producer"


async def test_invalid_resume_data_raises_and_the_run_stays_resumable() -> None:
    class Answer(BaseModel):
        amount: int

    async def ask(ctx: StepContext[object]) -> dict[str, int]:
        if ctx.resume_data is None:
            await ctx.suspend({"q": "how much?"})
        return {"amount": ctx.resume_data["amount"]}

    wf = create_workflow(id="bad-resume")
    wf.then(create_step(id="ask", resume_schema=Answer, execute=ask)).commit()
    run = await wf.create_run()
    assert (await run.start(input_data={})).status == "suspended"
    with pytest.raises(SchemaValidationError) as info:
        await run.resume(step="ask", resume_data={"amount": "many"})
    assert info.value.paths == ["amount"]
    stored = await wf.get_workflow_run_by_id(run.run_id)
    assert stored is not None and stored["status"] == "suspended"
    result = await run.resume(step="ask", resume_data={"amount": 3})
    assert result.status == "success"
    assert result.result == {"amount": 3}


async def test_non_json_output_fails_naming_the_step() -> None:
    class Opaque:
        pass

    async def bad(ctx: StepContext[object]) -> object:
        return {"thing": Opaque()}

    wf = create_workflow(id="bad-json").then(create_step(id="opaque", execute=bad)).commit()
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert result.steps["opaque"].status == "failed"
    assert result.error is not None
    assert "opaque" in result.error["message"]
    assert "JSON" in result.error["message"]


async def test_invalid_suspend_payload_fails_the_step() -> None:
    class Ask(BaseModel):
        question: str

    async def ask(ctx: StepContext[object]) -> object:
        await ctx.suspend({"question": 5})

    wf = (
        create_workflow(id="bad-suspend")
        .then(create_step(id="asker", suspend_schema=Ask, execute=ask))
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert result.steps["asker"].status == "failed"
    assert result.error is not None
    assert result.error["stepId"] == "asker"
    assert result.error["code"] == "WORKFLOW_STEP_SUSPEND_DATA_VALIDATION_FAILED"
    assert [i["path"] for i in result.error["issues"]] == ["question"]


async def test_validate_inputs_false_skips_input_validation() -> None:
    async def raw(ctx: StepContext[object]) -> object:
        return {"got": ctx.input_data}

    wf = create_workflow(id="no-validate", input_schema=Person, validate_inputs=False)
    wf.then(create_step(id="raw", input_schema=Person, execute=raw)).commit()
    result = await (await wf.create_run()).start(input_data={"name": 1})
    assert result.status == "success"
    assert result.result == {"got": {"name": 1}}
