"""Conformance twin of oracle case `map-function`: .map(fn) steps, what fn receives, its ids."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from treadle import RequestContext, StepContext, create_step, create_workflow

try:
    from ._twin import canon, dump, elide_payloads, golden
except ImportError:
    from _twin import canon, dump, elide_payloads, golden  # type: ignore[no-redef]


class A(BaseModel):
    a: float


class B(BaseModel):
    b: float


class Second(BaseModel):
    c: float
    init: Any = None
    fromFirst: Any = None
    rc: Any = None


async def test_map_function() -> None:
    map_calls: list[dict[str, Any]] = []

    async def first_fn(ctx: StepContext[A]) -> B:
        return B(b=ctx.input_data.a * 2)

    first = create_step(id="first", input_schema=A, output_schema=B, execute=first_fn)

    async def second_fn(ctx: StepContext[Second]) -> Any:
        return ctx.input_data.model_dump()

    second = create_step(id="second", input_schema=Second, execute=second_fn)

    async def map1(ctx: StepContext[Any]) -> Any:
        map_calls.append({"inputData": ctx.input_data})
        return {
            "c": ctx.input_data["b"] + 1,
            "init": ctx.get_init_data(),
            "fromFirst": ctx.get_step_result(first),
            "rc": ctx.request_context.get("tenant"),
        }

    async def map2(ctx: StepContext[Any]) -> Any:
        return {"final": ctx.input_data["c"]}

    wf = (
        create_workflow(id="map-fn", input_schema=A)
        .then(first)
        .map(map1)
        .then(second)
        .map(map2, id="custom-map-id")
        .commit()
    )
    rc = RequestContext()
    rc.set("tenant", "t-1")
    result = await (await wf.create_run()).start(input_data={"a": 5}, request_context=rc)

    raw = dump(result)
    # deviation 4: payload always present
    assert raw["steps"]["first"]["payload"] == {"a": 5}
    assert raw["steps"]["mapping_map-fn_0"]["payload"] == {"b": 10}
    assert raw["steps"]["second"]["payload"] == raw["steps"]["mapping_map-fn_0"]["output"]
    assert raw["steps"]["custom-map-id"]["payload"] == raw["steps"]["second"]["output"]
    obs = {
        "result": elide_payloads(raw),
        "mapCalls": map_calls,
        "stepIds": list(wf.steps),
        "serializedStepGraph": wf.serialized_step_graph,
    }
    expected = golden("map-function")
    # language: serializedStepGraph shows a Python function by name, not JS source text
    graph = expected["serializedStepGraph"]
    graph[1]["mapConfig"] = f"<function {map1.__qualname__}>"
    graph[3]["mapConfig"] = f"<function {map2.__qualname__}>"
    assert canon(obs) == expected
