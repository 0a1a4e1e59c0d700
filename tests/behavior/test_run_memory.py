"""A finished run is freed by reference counting: it leaves no cycle for the garbage collector."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from treadle import StepContext, Treadle, create_step, create_workflow
from treadle._engine.execution import Execution
from treadle.storage import InMemoryStore, SQLiteStore


class N(BaseModel):
    n: int


async def _inc(ctx: StepContext[N]) -> N:
    return N(n=ctx.input_data.n + 1)


@pytest.fixture
def no_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _executions() -> int:
    return sum(1 for o in gc.get_objects() if type(o) is Execution)


@pytest.mark.parametrize("durable", [False, True], ids=["memory", "sqlite"])
async def test_a_finished_run_leaves_no_garbage(no_gc: None, durable: bool, tmp_path: Path) -> None:
    steps = [
        create_step(id=f"s{i}", input_schema=N, output_schema=N, execute=_inc) for i in range(3)
    ]
    wf = create_workflow(id="w", input_schema=N, output_schema=N)
    for step in steps:
        wf = wf.then(step)
    wf = wf.commit()
    store = SQLiteStore(tmp_path / "t.db") if durable else InMemoryStore()
    Treadle(workflows={"w": wf}, storage=store)
    before = _executions()
    for _ in range(5):
        run = await wf.create_run()
        assert (await run.start(input_data={"n": 0})).status == "success"
        del run
    assert _executions() == before  # freed at once, the collector disabled
    assert gc.collect() == 0  # and nothing of the runs was left in a cycle
    if durable:
        await store.close()
