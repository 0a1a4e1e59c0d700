"""Conformance twin of oracle case `schema-bad-workflow-input`: start() input that violates the
workflow's input schema, with validation on (default) and off (`validate_inputs=False`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow

try:
    from ._twin import attempt, canon, dump, elide_payloads, golden
except ImportError:
    from _twin import attempt, canon, dump, elide_payloads, golden  # type: ignore[no-redef]


class X(BaseModel):
    x: float


class XAny(BaseModel):
    x: Any


def build(validate_inputs: bool = True) -> tuple[Any, list[Any]]:
    seen: list[Any] = []

    async def s_fn(ctx: StepContext[Any]) -> XAny:
        data = ctx.input_data
        seen.append(data.model_dump() if isinstance(data, BaseModel) else data)
        return XAny(x=data.x if isinstance(data, BaseModel) else data["x"])

    s = create_step(id="s", input_schema=X, output_schema=XAny, execute=s_fn)
    wf = (
        create_workflow(
            id="bad-input", input_schema=X, output_schema=XAny, validate_inputs=validate_inputs
        )
        .then(s)
        .commit()
    )
    return wf, seen


def start_error(golden_error: dict[str, Any], message: str) -> dict[str, Any]:
    err = dict(golden_error)
    # language: Python exception class names
    err["constructor"] = err["name"] = "SchemaValidationError"
    # language: MastraError keeps its code in `id` (and `code` only in toJSON()); a Treadle error
    # has it as the `code` attribute. Python exceptions have no toJSON() protocol.
    err["code"] = err.pop("id")
    del err["hasToJSON"], err["toJSON"]
    # language: pydantic's message text
    err["message"] = message
    return err


async def test_schema_bad_workflow_input() -> None:
    wf_a, seen_a = build()
    run_a = await wf_a.create_run()
    default_validation = await attempt(lambda: run_a.start(input_data={"x": "not-a-number"}))

    async def start_missing() -> Any:
        return await (await wf_a.create_run()).start(input_data={})

    missing = await attempt(start_missing)
    wf_b, seen_b = build(validate_inputs=False)
    run_b = await wf_b.create_run()
    validation_off = await attempt(lambda: run_b.start(input_data={"x": "not-a-number"}))
    wf_c, seen_c = build()

    async def start_extra() -> Any:
        return await (await wf_c.create_run()).start(input_data={"x": 1, "extra": True})

    extra_keys = await attempt(start_extra)

    for res, sid in ((validation_off, "s"), (extra_keys, "s")):
        assert res["ok"], res
        # deviation 4: payload always present
        assert "payload" in res["value"]["steps"][sid]
        res["value"] = elide_payloads(res["value"])

    obs = {
        "defaultValidation": default_validation,
        "stepExecutedDefault": seen_a,
        "missingField": missing,
        "validationOff": validation_off,
        "stepSawWithValidationOff": seen_b,
        "extraKeys": extra_keys,
        "stepSawWithExtraKeys": seen_c,
    }
    expected = golden("schema-bad-workflow-input")
    expected["defaultValidation"]["error"] = start_error(
        expected["defaultValidation"]["error"],
        "Invalid input data: \n- x: Input should be a valid number, unable to parse string as a number",
    )
    expected["missingField"]["error"] = start_error(
        expected["missingField"]["error"], "Invalid input data: \n- x: Field required"
    )
    assert canon(dump(obs)) == expected
