"""`clone_step` and `clone_workflow`."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from treadle import StepContext, clone_step, clone_workflow, create_step, create_workflow
from treadle.errors import WorkflowDefinitionError


class Num(BaseModel):
    x: int


async def _inc(ctx: StepContext[Num]) -> Num:
    return Num(x=ctx.input_data.x + 1)


inc = create_step(
    id="inc", description="adds one", input_schema=Num, output_schema=Num, execute=_inc, retries=2,
    metadata={"k": "v"},
)  # fmt: skip


def test_clone_step_copies_everything_but_the_id() -> None:
    c = clone_step(inc, id="inc2")
    assert c.id == "inc2"
    assert c is not inc
    assert c.execute is inc.execute
    assert c.description == "adds one"
    assert c.input_schema is Num
    assert c.output_schema is Num
    assert c.retries == 2
    assert c.metadata == {"k": "v"}
    assert inc.id == "inc"


async def test_clone_and_original_in_one_workflow() -> None:
    wf = create_workflow(id="clone-both", input_schema=Num)
    wf.then(inc).then(clone_step(inc, id="inc-again")).commit()
    result = await (await wf.create_run()).start(input_data={"x": 0})
    assert result.result == {"x": 2}
    assert result.step_execution_path == ["inc", "inc-again"]
    assert result.steps["inc"].output == {"x": 1}
    assert result.steps["inc-again"].output == {"x": 2}


async def test_clone_workflow_runs_under_its_new_id() -> None:
    wf = create_workflow(id="orig", input_schema=Num, output_schema=Num).then(inc).commit()
    copy = clone_workflow(wf, id="copy")
    assert copy.id == "copy"
    assert copy is not wf
    assert copy.committed
    assert wf.id == "orig"
    run = await copy.create_run()
    result = await run.start(input_data={"x": 4})
    assert result.result == {"x": 5}
    assert await copy.get_workflow_run_by_id(run.run_id) is not None
    assert await wf.get_workflow_run_by_id(run.run_id) is None


async def test_cloned_workflow_nests_beside_the_original() -> None:
    wf = create_workflow(id="sub", input_schema=Num).then(inc).commit()
    outer = create_workflow(id="outer-clone", input_schema=Num)
    outer.then(wf).then(clone_workflow(wf, id="sub2")).commit()
    result = await (await outer.create_run()).start(input_data={"x": 0})
    assert result.result == {"x": 2}
    assert result.step_execution_path == ["sub", "sub2"]


def test_clone_step_refuses_a_workflow() -> None:
    wf = create_workflow(id="w", input_schema=Num).then(inc).commit()
    with pytest.raises(WorkflowDefinitionError, match="use clone_workflow"):
        clone_step(wf, id="w2")
