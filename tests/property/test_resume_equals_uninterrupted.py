"""Property: for random workflows, suspending anywhere and resuming (from a fresh handle that
reads the stored run) gives the same result as a run that never suspended."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from treadle import StepContext, Treadle, create_step, create_workflow
from treadle.storage import InMemoryStore


class N(BaseModel):
    n: int


def build(shape: list[tuple[str, int]], gate_at: int, extra: int | None) -> Any:
    """shape: ("then", k) adds k; ("par", k) runs two adders (k, k+1) in parallel and sums.
    The step at `gate_at` also adds `extra`: known up front (`extra` given), or taken from the
    resume data after suspending (`extra` None)."""

    def adder(sid: str, k: int, gated: bool) -> Any:
        async def run(ctx: StepContext[N]) -> N:
            add = 0
            if gated:
                if extra is not None:
                    add = extra
                elif ctx.resume_data is None:
                    await ctx.suspend({"at": sid})
                else:
                    add = ctx.resume_data["extra"]
            return N(n=ctx.input_data.n + k + add)

        return create_step(id=sid, input_schema=N, output_schema=N, execute=run)

    async def total(ctx: StepContext[dict[str, Any]]) -> N:
        return N(n=sum(v["n"] for v in ctx.input_data.values()))

    wf = create_workflow(id="random", input_schema=N, output_schema=N)
    for i, (kind, k) in enumerate(shape):
        gated = i == gate_at
        if kind == "then":
            wf = wf.then(adder(f"s{i}", k, gated))
        else:
            wf = wf.parallel([adder(f"p{i}a", k, gated), adder(f"p{i}b", k + 1, False)])
            wf = wf.then(
                create_step(
                    id=f"sum{i}", input_schema=dict[str, Any], output_schema=N, execute=total
                )
            )
    return wf.commit()


shapes = st.lists(
    st.tuples(st.sampled_from(["then", "par"]), st.integers(-5, 5)), min_size=1, max_size=6
)


@settings(max_examples=40, deadline=None, derandomize=True)  # deterministic in CI
@given(shape=shapes, data=st.data())
def test_resume_equals_uninterrupted(shape: list[tuple[str, int]], data: st.DataObject) -> None:
    gate_at = data.draw(st.integers(0, len(shape) - 1))
    extra = data.draw(st.integers(0, 3))

    async def scenario() -> None:
        store = InMemoryStore()
        plain = build(shape, gate_at, extra)
        Treadle(workflows={"w": plain}, storage=store)
        expected = await (await plain.create_run()).start(input_data={"n": 0})
        assert expected.status == "success"

        gated = build(shape, gate_at, None)
        Treadle(workflows={"w": gated}, storage=store)
        run = await gated.create_run()
        first = await run.start(input_data={"n": 0})
        assert first.status == "suspended"

        fresh = build(shape, gate_at, None)  # another "process": same code, same store
        Treadle(workflows={"w": fresh}, storage=store)
        handle = await fresh.create_run(run_id=run.run_id)
        resumed = await handle.resume(resume_data={"extra": extra})
        assert resumed.status == "success"
        assert resumed.result == expected.result, (shape, gate_at)
        assert resumed.step_execution_path == expected.step_execution_path

    asyncio.run(scenario())
