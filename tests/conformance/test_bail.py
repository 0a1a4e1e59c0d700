"""Conformance twin of oracle case `bail`: bail(value) ends the workflow (level) successfully."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow

try:
    from ._twin import canon, dump, elide_payloads, golden
except ImportError:
    from _twin import canon, dump, elide_payloads, golden  # type: ignore[no-redef]


class X(BaseModel):
    x: float


class R(BaseModel):
    r: str


async def test_bail() -> None:
    ran: list[str] = []

    async def s1_fn(ctx: StepContext[X]) -> X:
        ran.append("s1")
        return ctx.input_data

    async def bailer_fn(ctx: StepContext[X]) -> R:
        ran.append("bailer")
        if ctx.input_data.x > 0:
            ctx.bail({"r": "bailed early"})
        return R(r="normal")

    async def s3_fn(ctx: StepContext[Any]) -> Any:
        ran.append("s3")
        return {"r": "s3"}

    async def after_fn(ctx: StepContext[Any]) -> Any:
        ran.append("after")
        return {"afterGot": ctx.input_data}

    s1 = create_step(id="s1", input_schema=X, output_schema=X, execute=s1_fn)
    bailer = create_step(id="bailer", input_schema=X, output_schema=R, execute=bailer_fn)
    s3 = create_step(id="s3", execute=s3_fn)
    wf = create_workflow(id="bail", input_schema=X).then(s1).then(bailer).then(s3).commit()
    result = await (await wf.create_run()).start(input_data={"x": 1})
    ran1 = list(ran)
    ran.clear()
    result_no_bail = await (await wf.create_run()).start(input_data={"x": 0})
    inner_wf = create_workflow(id="inner-bail", input_schema=X).then(bailer).then(s3).commit()
    after = create_step(id="after", execute=after_fn)
    outer_wf = create_workflow(id="outer-bail", input_schema=X).then(inner_wf).then(after).commit()
    ran2 = list(ran)
    ran.clear()
    result_nested_bail = await (await outer_wf.create_run()).start(input_data={"x": 1})

    raw, raw_no, raw_nested = dump(result), dump(result_no_bail), dump(result_nested_bail)
    # deviation 4: payload always present
    assert raw["steps"]["bailer"]["payload"] == {"x": 1}
    assert raw_no["steps"]["s3"]["payload"] == {"r": "normal"}
    assert raw_nested["steps"]["after"]["payload"] == {"r": "bailed early"}
    obs = {
        "result": elide_payloads(raw),
        "ran": ran1,
        "resultNoBail": elide_payloads(raw_no),
        "ranNoBail": ran2,
        "resultNestedBail": elide_payloads(raw_nested),
        "ranNested": list(ran),
    }
    assert canon(obs) == golden("bail")
