"""Suspend and resume: every way of naming the target, the errors, and finished runs."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow
from treadle.errors import RunStateError


class Num(BaseModel):
    x: int


class Approval(BaseModel):
    ok: bool


def _approver(sid: str = "approve", label: str | None = None):
    calls: list[object] = []

    async def run(ctx: StepContext[Num]) -> dict[str, object]:
        calls.append(ctx.resume_data)
        if ctx.resume_data is None:
            await ctx.suspend({"ask": f"approve {ctx.input_data.x}?"}, resume_label=label)
        return {"x": ctx.input_data.x, "ok": ctx.resume_data["ok"], "was": ctx.suspend_data}

    s = create_step(
        id=sid, input_schema=Num, resume_schema=Approval, suspend_schema=dict[str, str], execute=run
    )
    return s, calls


async def test_suspend_then_resume_by_id() -> None:
    approve, calls = _approver()
    wf = create_workflow(id="sr-basic", input_schema=Num).then(approve).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"x": 3})
    assert first.status == "suspended"
    assert first.suspended == [["approve"]]
    assert first.suspend_payload == {"approve": {"ask": "approve 3?"}}
    assert first.steps["approve"].status == "suspended"
    assert first.steps["approve"].suspend_payload == {"ask": "approve 3?"}
    assert first.result is None

    second = await run.resume(step="approve", resume_data={"ok": True})
    assert second.status == "success"
    assert second.result == {"x": 3, "ok": True, "was": {"ask": "approve 3?"}}
    rec = second.steps["approve"]
    assert rec.resume_payload == {"ok": True}
    assert rec.payload == {"x": 3}
    assert rec.suspend_payload is None
    assert rec.started_at == first.steps["approve"].started_at
    assert calls[0] is None
    assert calls[1] == {"ok": True}  # validated, stored as plain JSON


async def test_resume_by_step_object_and_omitted() -> None:
    approve, _ = _approver()
    wf = create_workflow(id="sr-obj", input_schema=Num).then(approve).commit()
    run = await wf.create_run()
    await run.start(input_data={"x": 1})
    assert (await run.resume(step=approve, resume_data={"ok": False})).result["ok"] is False

    run2 = await wf.create_run()
    await run2.start(input_data={"x": 1})
    res = await run2.resume(resume_data={"ok": True})  # one suspended step: no need to name it
    assert res.status == "success"
    assert res.result["ok"] is True


async def test_steps_after_the_suspended_one_run_on_resume() -> None:
    approve, _ = _approver()
    after_calls: list[object] = []

    async def after(ctx: StepContext[dict[str, object]]) -> dict[str, object]:
        after_calls.append(ctx.input_data["ok"])
        return {"done": True}

    wf = create_workflow(id="sr-after", input_schema=Num)
    wf.then(approve).then(create_step(id="after", execute=after)).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"x": 1})
    assert first.status == "suspended"
    assert after_calls == []
    second = await run.resume(step="approve", resume_data={"ok": True})
    assert after_calls == [True]
    assert second.step_execution_path == ["approve", "after"]


def _nested():
    approve, _ = _approver("inner-step")
    inner = create_workflow(id="inner-wf", input_schema=Num).then(approve).commit()
    outer = create_workflow(id="outer-wf", input_schema=Num).then(inner).commit()
    return outer, inner, approve


@pytest.mark.parametrize("how", ["list", "steps", "dotted", "outer-only", "omitted"])
async def test_resume_nested_by_path(how: str) -> None:
    outer, inner, approve = _nested()
    run = await outer.create_run()
    first = await run.start(input_data={"x": 4})
    assert first.status == "suspended"
    assert first.suspended == [["inner-wf", "inner-step"]]
    target = {
        "list": ["inner-wf", "inner-step"],
        "steps": [inner, approve],
        "dotted": "inner-wf.inner-step",
        "outer-only": "inner-wf",
        "omitted": None,
    }[how]
    res = await run.resume(step=target, resume_data={"ok": True})
    assert res.status == "success"
    assert res.result == {"x": 4, "ok": True, "was": {"ask": "approve 4?"}}


async def test_resume_by_label() -> None:
    approve, _ = _approver(label="manager")
    wf = create_workflow(id="sr-label", input_schema=Num).then(approve).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"x": 2}, include_resume_labels=True)
    assert first.resume_labels == {"manager": {"stepId": "approve"}}
    res = await run.resume(label="manager", resume_data={"ok": True})
    assert res.status == "success"


async def test_unknown_label_is_ignored_like_mastra() -> None:
    approve, _ = _approver(label="manager")
    wf = create_workflow(id="sr-badlabel", input_schema=Num).then(approve).commit()
    run = await wf.create_run()
    await run.start(input_data={"x": 2})
    # Mastra ignores an unknown label: the step (or auto-detection) decides.
    res = await run.resume(label="boss", resume_data={"ok": True})
    assert res.status == "success"
    assert res.result["ok"] is True


async def test_for_each_index_resumes_one_item() -> None:
    async def item(ctx: StepContext[Num]) -> Num:
        if ctx.resume_data is None:
            await ctx.suspend({"item": ctx.input_data.x})
        return Num(x=ctx.input_data.x * 10 + ctx.resume_data["add"])

    s = create_step(id="item", input_schema=Num, output_schema=Num, execute=item)
    explode = create_step(id="explode", execute=lambda ctx: [{"x": 1}, {"x": 2}])
    wf = create_workflow(id="sr-foreach").then(explode).for_each(s, concurrency=2).commit()
    run = await wf.create_run()
    first = await run.start(input_data={})
    assert first.status == "suspended"
    assert first.suspended == [["item"]]
    mid = await run.resume(step="item", for_each_index=1, resume_data={"add": 5})
    assert mid.status == "suspended"
    with pytest.raises(RunStateError):
        await run.resume(step="item", for_each_index=1, resume_data={"add": 5})
    last = await run.resume(step="item", for_each_index=0, resume_data={"add": 7})
    assert last.status == "success"
    assert last.result == [{"x": 17}, {"x": 25}]


async def test_multiple_suspended_requires_a_step_and_errors_list_them() -> None:
    a, _ = _approver("a")
    b, _ = _approver("b")
    wf = create_workflow(id="sr-multi", input_schema=Num).parallel([a, b]).commit()
    run = await wf.create_run()
    first = await run.start(input_data={"x": 1})
    assert first.status == "suspended"
    assert sorted(first.suspended or []) == [["a"], ["b"]]
    with pytest.raises(RunStateError) as info:
        await run.resume(resume_data={"ok": True})
    assert "[a]" in str(info.value) and "[b]" in str(info.value)
    with pytest.raises(RunStateError) as info2:
        await run.resume(step="zzz", resume_data={"ok": True})
    assert "zzz" in str(info2.value)
    assert "a" in str(info2.value) and "b" in str(info2.value)

    mid = await run.resume(step="a", resume_data={"ok": True})
    assert mid.status == "suspended"
    assert mid.suspended == [["b"]]
    done = await run.resume(step="b", resume_data={"ok": False})
    assert done.status == "success"
    assert done.result == {
        "a": {"x": 1, "ok": True, "was": {"ask": "approve 1?"}},
        "b": {"x": 1, "ok": False, "was": {"ask": "approve 1?"}},
    }


async def test_resuming_a_finished_run_raises() -> None:
    approve, _ = _approver()
    wf = create_workflow(id="sr-finished", input_schema=Num).then(approve).commit()
    run = await wf.create_run()
    await run.start(input_data={"x": 1})
    await run.resume(step="approve", resume_data={"ok": True})
    with pytest.raises(RunStateError, match="not suspended"):
        await run.resume(step="approve", resume_data={"ok": True})


async def test_resuming_a_never_suspended_run_raises() -> None:
    wf = (
        create_workflow(id="sr-never", input_schema=Num)
        .then(create_step(id="plain", execute=lambda ctx: {"y": 1}))
        .commit()
    )
    run = await wf.create_run()
    assert (await run.start(input_data={"x": 1})).status == "success"
    with pytest.raises(RunStateError):
        await run.resume(step="plain", resume_data={})


async def test_resume_from_a_fresh_handle_loads_the_stored_run() -> None:
    approve, _ = _approver()
    wf = create_workflow(id="sr-reload", input_schema=Num).then(approve).commit()
    run = await wf.create_run()
    await run.start(input_data={"x": 9})
    again = await wf.create_run(run_id=run.run_id)
    res = await again.resume(step="approve", resume_data={"ok": True})
    assert res.result["x"] == 9
