"""Lifecycle callbacks: on_start, on_finish, on_error."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow


class Num(BaseModel):
    x: int


class St(BaseModel):
    n: int = 0


def _steps(ran: list[str], fail: bool = False, suspend: bool = False):
    async def run(ctx: StepContext[Num]) -> Num:
        ran.append("work")
        if fail:
            raise RuntimeError("work failed")
        if suspend and ctx.resume_data is None:
            await ctx.suspend({"q": 1})
        await ctx.set_state({"n": 5})
        return Num(x=ctx.input_data.x + 1)

    return create_step(id="work", input_schema=Num, output_schema=Num, execute=run)


async def test_on_start_receives_run_info() -> None:
    infos: list[dict[str, Any]] = []

    def on_start(info: Any) -> None:
        infos.append(
            {
                "run_id": info.run_id,
                "workflow_id": info.workflow_id,
                "state": info.state,
                "init": info.get_init_data(),
            }
        )

    ran: list[str] = []
    wf = create_workflow(id="cb-start", input_schema=Num, state_schema=St, on_start=on_start)
    wf.then(_steps(ran)).commit()
    run = await wf.create_run()
    await run.start(input_data={"x": 1}, initial_state={"n": 2})
    assert infos == [
        {"run_id": run.run_id, "workflow_id": "cb-start", "state": {"n": 2}, "init": {"x": 1}}
    ]


async def test_on_start_raising_makes_start_raise_and_nothing_runs() -> None:
    async def on_start(info: Any) -> None:
        raise PermissionError("not allowed")

    finished: list[str] = []
    ran: list[str] = []
    wf = create_workflow(
        id="cb-start-raise", input_schema=Num, on_start=on_start,
        on_finish=lambda info: finished.append(info.status),
    )  # fmt: skip
    wf.then(_steps(ran)).commit()
    run = await wf.create_run()
    with pytest.raises(PermissionError, match="not allowed"):
        await run.start(input_data={"x": 1})
    assert ran == []
    assert finished == []


async def test_on_finish_on_success() -> None:
    infos: list[Any] = []
    errors: list[Any] = []
    ran: list[str] = []

    async def on_finish(info: Any) -> None:
        infos.append(info)

    wf = create_workflow(
        id="cb-finish", input_schema=Num, state_schema=St, on_finish=on_finish,
        on_error=errors.append,
    )  # fmt: skip
    wf.then(_steps(ran)).commit()
    run = await wf.create_run()
    await run.start(input_data={"x": 1})
    assert len(infos) == 1
    info = infos[0]
    assert info.status == "success"
    assert info.result == {"x": 2}
    assert info.error is None
    assert info.run_id == run.run_id
    assert info.workflow_id == "cb-finish"
    assert info.state == {"n": 5}
    assert info.step_execution_path == ["work"]
    assert "work" in info.steps
    assert info.get_init_data() == {"x": 1}
    assert errors == []


async def test_on_finish_then_on_error_when_failed() -> None:
    order: list[tuple[str, str, Any]] = []
    ran: list[str] = []

    def on_finish(info: Any) -> None:
        order.append(("finish", info.status, info.error["message"]))

    def on_error(info: Any) -> None:
        order.append(("error", info.status, info.error["message"]))

    wf = create_workflow(id="cb-error", input_schema=Num, on_finish=on_finish, on_error=on_error)
    wf.then(_steps(ran, fail=True)).commit()
    result = await (await wf.create_run()).start(input_data={"x": 1})
    assert result.status == "failed"
    assert order == [("finish", "failed", "work failed"), ("error", "failed", "work failed")]


async def test_on_finish_on_suspended_and_not_on_error() -> None:
    statuses: list[str] = []
    errors: list[str] = []
    ran: list[str] = []
    wf = create_workflow(
        id="cb-suspend", input_schema=Num, on_finish=lambda i: statuses.append(i.status),
        on_error=lambda i: errors.append(i.status),
    )  # fmt: skip
    wf.then(_steps(ran, suspend=True)).commit()
    run = await wf.create_run()
    await run.start(input_data={"x": 1})
    await run.resume(step="work", resume_data={})
    assert statuses == ["suspended", "success"]
    assert errors == []


async def test_exceptions_in_on_finish_and_on_error_are_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def on_finish(info: Any) -> None:
        raise ValueError("finish hook broke")

    async def on_error(info: Any) -> None:
        raise ValueError("error hook broke")

    ran: list[str] = []
    wf = create_workflow(id="cb-raise", input_schema=Num, on_finish=on_finish, on_error=on_error)
    wf.then(_steps(ran, fail=True)).commit()
    with caplog.at_level(logging.ERROR):
        result = await (await wf.create_run()).start(input_data={"x": 1})
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["message"] == "work failed"
    text = caplog.text
    assert "finish hook broke" in text
    assert "error hook broke" in text
