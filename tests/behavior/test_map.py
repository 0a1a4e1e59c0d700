"""`.map(...)`: function form and every mapping-dict spec."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow, map_variable
from treadle.errors import WorkflowDefinitionError


class Person(BaseModel):
    name: str
    age: int


class Profile(BaseModel):
    info: dict[str, object]
    tag: str


async def _profile(ctx: StepContext[Person]) -> Profile:
    return Profile(info={"name": ctx.input_data.name, "nested": {"deep": 42}}, tag="p")


profile = create_step(id="profile", input_schema=Person, output_schema=Profile, execute=_profile)


async def test_function_form() -> None:
    wf = create_workflow(id="map-fn", input_schema=Person)
    wf.then(profile).map(lambda ctx: {"upper": ctx.input_data["info"]["name"].upper()}).commit()
    result = await (await wf.create_run()).start(input_data={"name": "ada", "age": 36})
    assert result.status == "success"
    assert result.result == {"upper": "ADA"}
    assert result.step_execution_path == ["profile", "mapping_map-fn_0"]
    assert result.steps["mapping_map-fn_0"].output == {"upper": "ADA"}


async def test_async_function_form_with_custom_id() -> None:
    async def reshape(ctx: StepContext[dict[str, object]]) -> dict[str, object]:
        return {"init_age": ctx.get_init_data()["age"], "tag": ctx.get_step_result(profile)["tag"]}

    wf = create_workflow(id="map-async", input_schema=Person)
    wf.then(profile).map(reshape, id="reshape").commit()
    result = await (await wf.create_run()).start(input_data={"name": "ada", "age": 36})
    assert result.result == {"init_age": 36, "tag": "p"}
    assert "reshape" in result.steps


async def test_mapping_form_with_map_variable_paths() -> None:
    wf = create_workflow(id="map-var", input_schema=Person)
    wf.then(profile).map(
        {
            "deep": map_variable(step=profile, path="info.nested.deep"),
            "name": map_variable(step=profile, path="info.name"),
            "whole": map_variable(step=profile, path="."),
            "missing": map_variable(step=profile, path="info.nope"),
        }
    ).commit()
    result = await (await wf.create_run()).start(input_data={"name": "ada", "age": 36})
    assert result.status == "success"
    assert result.result == {
        "deep": 42,
        "name": "ada",
        "whole": {"info": {"name": "ada", "nested": {"deep": 42}}, "tag": "p"},
        "missing": None,
    }


async def test_map_variable_is_a_plain_dict() -> None:
    assert map_variable(step=profile, path="a.b") == {"step": profile, "path": "a.b"}
    with pytest.raises(WorkflowDefinitionError):
        map_variable(path="x")


async def test_step_list_takes_the_first_that_ran() -> None:
    async def left(ctx: StepContext[Person]) -> dict[str, str]:
        return {"side": "left"}

    async def right(ctx: StepContext[Person]) -> dict[str, str]:
        return {"side": "right"}

    sl = create_step(id="left", input_schema=Person, execute=left)
    sr = create_step(id="right", input_schema=Person, execute=right)
    wf = create_workflow(id="map-list", input_schema=Person)
    wf.branch(
        [(lambda c: c.input_data["age"] < 18, sl), (lambda c: c.input_data["age"] >= 18, sr)]
    ).map({"side": map_variable(step=[sl, sr], path="side")}).commit()
    young = await (await wf.create_run()).start(input_data={"name": "a", "age": 5})
    old = await (await wf.create_run()).start(input_data={"name": "a", "age": 50})
    assert young.result == {"side": "left"}
    assert old.result == {"side": "right"}


async def test_init_data_value_request_context_fn_and_template() -> None:
    def fn(ctx: StepContext[dict[str, object]]) -> int:
        return len(ctx.input_data["info"]["name"])

    wf = create_workflow(id="map-all", input_schema=Person)
    wf.then(profile).map(
        {
            "age": map_variable(init_data=wf, path="age"),
            "init": map_variable(init_data=wf, path="."),
            "const": {"value": 5, "schema": int},
            "user": {"request_context_path": "user"},
            "absent": {"request_context_path": "not-there"},
            "len": {"fn": fn},
            "greet": {"template": "Hi ${inputData.info.name}, ${initData.age}"},
            "obj": {"template": "n=${inputData.info.nested}"},
        }
    ).commit()
    run = await wf.create_run()
    result = await run.start(
        input_data={"name": "ada", "age": 36}, request_context={"user": "alice"}
    )
    assert result.status == "success"
    assert result.result == {
        "age": 36,
        "init": {"name": "ada", "age": 36},
        "const": 5,
        "user": "alice",
        "len": 3,
        "greet": "Hi ada, 36",
        "obj": 'n={"deep":42}',
    }


async def test_async_fn_spec() -> None:
    async def fn(ctx: StepContext[dict[str, object]]) -> str:
        return "async-" + str(ctx.input_data["tag"])

    wf = create_workflow(id="map-async-fn", input_schema=Person)
    wf.then(profile).map({"v": {"fn": fn}}).commit()
    result = await (await wf.create_run()).start(input_data={"name": "ada", "age": 1})
    assert result.result == {"v": "async-p"}


@pytest.mark.parametrize(
    "template",
    ["Hi ${ inputData.name}", "Hi ${}", "Hi ${bogus.name}", "Hi ${inputData. name}"],
)
async def test_template_definition_errors(template: str) -> None:
    wf = create_workflow(id="map-bad-template", input_schema=Person)
    with pytest.raises(WorkflowDefinitionError):
        wf.map({"t": {"template": template}})


async def test_unknown_spec_and_non_dict_spec_are_definition_errors() -> None:
    wf = create_workflow(id="map-bad-spec", input_schema=Person)
    with pytest.raises(WorkflowDefinitionError):
        wf.map({"x": {"what": 1}})
    with pytest.raises(WorkflowDefinitionError):
        wf.map({"x": 5})
    with pytest.raises(WorkflowDefinitionError):
        wf.map(42)  # type: ignore[call-overload]


async def test_mapping_a_step_that_never_runs_before_is_a_definition_error() -> None:
    later = create_step(id="later", execute=lambda ctx: {})
    wf = create_workflow(id="map-later", input_schema=Person)
    wf.map({"x": map_variable(step=later, path=".")}).then(later)
    with pytest.raises(WorkflowDefinitionError, match="later"):
        wf.commit()


async def test_traversing_through_a_scalar_fails_the_mapping_step() -> None:
    wf = create_workflow(id="map-badpath", input_schema=Person)
    wf.then(profile).map({"x": map_variable(step=profile, path="tag.deeper")}).commit()
    result = await (await wf.create_run()).start(input_data={"name": "ada", "age": 1})
    assert result.status == "failed"
    assert result.error is not None
    assert "Invalid path tag.deeper" in result.error["message"]


async def test_mapping_schema_checks_constants_at_definition_and_values_at_run_time() -> None:
    from treadle.errors import WorkflowDefinitionError

    async def first(ctx: StepContext[Any]) -> dict[str, int]:
        return {"a": 1}

    s = create_step(id="first-step", execute=first)
    with pytest.raises(WorkflowDefinitionError, match="map 'bad-const' key 'c'"):
        create_workflow(id="m0").then(s).map({"c": {"value": "abc", "schema": int}}, id="bad-const")

    wf = (
        create_workflow(id="m1")
        .then(s)
        .map(
            {"c": {"value": "5", "schema": int}, "d": {"fn": lambda ctx: "x", "schema": int}},
            id="shape",
        )
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={})
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["message"].startswith("map 'shape' key 'd' validation failed")
    assert result.error["stepId"] == "shape"

    ok = create_workflow(id="m2").then(s).map({"c": {"value": "5", "schema": int}}).commit()
    result = await (await ok.create_run()).start(input_data={})
    assert result.result == {"c": 5}
