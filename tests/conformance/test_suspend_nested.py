"""Conformance twin of oracle case suspend-nested: a step inside a nested workflow suspends;
resume by id path, by Step objects, without a step, by the inner id alone, by the outer id."""

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


class Final(BaseModel):
    final: int


def build() -> tuple[Any, Any, Any]:
    async def gate_exec(ctx: Any) -> Any:
        if ctx.resume_data:
            return {"n": ctx.input_data.n + dump(ctx.resume_data)["add"]}
        await ctx.suspend({"at": "inner gate"})

    gate = create_step(
        id="gate", input_schema=N, output_schema=N, resume_schema=Add, execute=gate_exec
    )
    pre = create_step(
        id="pre", input_schema=N, output_schema=N, execute=lambda ctx: {"n": ctx.input_data.n * 2}
    )
    inner = (
        create_workflow(id="inner", input_schema=N, output_schema=N).then(pre).then(gate).commit()
    )
    post = create_step(
        id="post",
        input_schema=N,
        output_schema=Final,
        execute=lambda ctx: {"final": ctx.input_data.n},
    )
    outer = create_workflow(id="outer", input_schema=N).then(inner).then(post).commit()
    return outer, inner, gate


def py_error(js: dict[str, Any], cls: str, code: str | None = None) -> dict[str, Any]:
    """errinfo() of the Treadle error standing for the oracle's errInfo() `js`."""
    return {
        "constructor": cls,
        "name": cls,
        "message": js["message"],
        "code": js.get("id", code),
        "category": js.get("category", "USER"),
        "domain": js.get("domain", "MASTRA_WORKFLOW"),
        "details": js.get("details", {}),
    }


def _elided(outcome: dict[str, Any]) -> dict[str, Any]:
    if not outcome["ok"]:
        return outcome
    steps = outcome["value"]["steps"]
    # deviation 4: payload always present
    assert steps["inner"]["payload"] == {"n": 1}
    assert steps["post"]["payload"] == steps["inner"]["output"]
    return {**outcome, "value": elide_payloads(outcome["value"])}


async def test_suspend_nested() -> None:
    outer, inner, gate = build()
    Treadle(workflows={"outer": outer}, storage=InMemoryStore())

    run_a = await outer.create_run()
    suspended = await run_a.start(input_data={"n": 1})
    with_id_path = await attempt(
        lambda: run_a.resume(step=["inner", "gate"], resume_data={"add": 100})
    )

    run_b = await outer.create_run()
    await run_b.start(input_data={"n": 1})
    with_step_objects = await attempt(
        lambda: run_b.resume(step=[inner, gate], resume_data={"add": 200})
    )

    run_c = await outer.create_run()
    await run_c.start(input_data={"n": 1})
    without_step = await attempt(lambda: run_c.resume(resume_data={"add": 300}))

    run_d = await outer.create_run()
    await run_d.start(input_data={"n": 1})
    inner_id_only = await attempt(lambda: run_d.resume(step="gate", resume_data={"add": 400}))

    run_e = await outer.create_run()
    await run_e.start(input_data={"n": 1})
    outer_id_only = await attempt(lambda: run_e.resume(step="inner", resume_data={"add": 500}))

    assert dump(suspended)["steps"]["inner"]["payload"] == {"n": 1}  # deviation 4
    obs = {
        "suspended": elide_payloads(dump(suspended)),
        "resumedWithIdPath": _elided(with_id_path),
        "resumedWithStepObjects": _elided(with_step_objects),
        "resumedWithoutStep": _elided(without_step),
        "resumedWithInnerIdOnly": inner_id_only,
        "resumedWithOuterIdOnly": _elided(outer_id_only),
    }
    expected = golden("suspend-nested")
    # deviation 7: __workflow_meta never leaks (Mastra shows {path, runId} in the parent step's
    # suspendPayload)
    del expected["suspended"]["steps"]["inner"]["suspendPayload"]["__workflow_meta"]
    # language: Python exception class names -- a RunStateError (with WorkflowError's code,
    # domain, category, details) where Mastra throws a plain Error
    expected["resumedWithInnerIdOnly"]["error"] = py_error(
        expected["resumedWithInnerIdOnly"]["error"], "RunStateError", "WORKFLOW_RUN_STATE_INVALID"
    )
    assert canon(obs) == expected
