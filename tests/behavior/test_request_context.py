"""RequestContext: shared by steps, visible to the caller, validated by `request_context_schema`."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from treadle import RequestContext, StepContext, create_step, create_workflow
from treadle.errors import SchemaValidationError


class Num(BaseModel):
    x: int


class Tenant(BaseModel):
    tenant: str
    tier: int


async def test_steps_share_the_request_context_and_caller_sees_changes() -> None:
    async def write(ctx: StepContext[Num]) -> Num:
        ctx.request_context.set("seen_by", "write")
        return ctx.input_data

    async def read(ctx: StepContext[Num]) -> dict[str, object]:
        rc = ctx.request_context
        return {"tenant": rc.get("tenant"), "seen_by": rc.get("seen_by"), "has": rc.has("nope")}

    wf = create_workflow(id="rc-share", input_schema=Num)
    wf.then(create_step(id="write", input_schema=Num, output_schema=Num, execute=write)).then(
        create_step(id="read", input_schema=Num, execute=read)
    ).commit()
    rc = RequestContext({"tenant": "t1"})
    result = await (await wf.create_run()).start(input_data={"x": 1}, request_context=rc)
    assert result.result == {"tenant": "t1", "seen_by": "write", "has": False}
    assert rc.get("seen_by") == "write"


async def test_request_context_from_a_plain_mapping() -> None:
    async def read(ctx: StepContext[Num]) -> dict[str, object]:
        return {"t": ctx.request_context["tenant"]}

    wf = create_workflow(id="rc-map", input_schema=Num)
    wf.then(create_step(id="read", input_schema=Num, execute=read)).commit()
    result = await (await wf.create_run()).start(
        input_data={"x": 1}, request_context={"tenant": "z"}
    )
    assert result.result == {"t": "z"}


async def test_workflow_request_context_schema_rejects_bad_context() -> None:
    ran: list[str] = []

    async def step_fn(ctx: StepContext[Num]) -> Num:
        ran.append("s")
        return ctx.input_data

    wf = create_workflow(id="rc-schema", input_schema=Num, request_context_schema=Tenant)
    wf.then(create_step(id="s", input_schema=Num, output_schema=Num, execute=step_fn)).commit()
    run = await wf.create_run()
    with pytest.raises(SchemaValidationError) as info:
        await run.start(input_data={"x": 1}, request_context={"tenant": 5})
    assert sorted(info.value.paths) == ["tenant", "tier"]
    assert "rc-schema" in str(info.value)
    assert ran == []

    ok = await (await wf.create_run()).start(
        input_data={"x": 1}, request_context={"tenant": "a", "tier": 2}
    )
    assert ok.status == "success"
    assert ran == ["s"]


async def test_step_request_context_schema_fails_the_step() -> None:
    async def step_fn(ctx: StepContext[Num]) -> Num:
        return ctx.input_data

    s = create_step(
        id="needs-tenant", input_schema=Num, output_schema=Num, execute=step_fn,
        request_context_schema=Tenant,
    )  # fmt: skip
    wf = create_workflow(id="rc-step-schema", input_schema=Num).then(s).commit()
    bad = await (await wf.create_run()).start(input_data={"x": 1}, request_context={"tenant": "a"})
    assert bad.status == "failed"
    assert bad.steps["needs-tenant"].status == "failed"
    assert bad.error is not None
    assert "needs-tenant" in bad.error["message"]
    assert "tier" in bad.error["message"]
    good = await (await wf.create_run()).start(
        input_data={"x": 1}, request_context={"tenant": "a", "tier": 1}
    )
    assert good.status == "success"


def test_request_context_mapping_api() -> None:
    rc = RequestContext({"a": 1})
    rc.set("b", 2)
    assert rc.has("b")
    assert rc.delete("a") is True
    assert rc.delete("a") is False
    assert dict(rc) == {"b": 2}
    assert rc.get("missing", "d") == "d"
