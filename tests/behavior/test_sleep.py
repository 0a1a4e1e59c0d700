"""`.sleep(...)` and `.sleep_until(...)` (durations kept tiny)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from treadle import ConditionContext, StepContext, create_step, create_workflow


class Num(BaseModel):
    x: int


async def _inc(ctx: StepContext[Num]) -> Num:
    return Num(x=ctx.input_data.x + 1)


def _inc_step(sid: str):
    return create_step(id=sid, input_schema=Num, output_schema=Num, execute=_inc)


async def test_sleep_ms_passes_input_through() -> None:
    wf = create_workflow(id="sleep-ms", input_schema=Num)
    wf.then(_inc_step("a")).sleep(2, id="nap").then(_inc_step("b")).commit()
    result = await (await wf.create_run()).start(input_data={"x": 0})
    assert result.status == "success"
    assert result.result == {"x": 2}
    assert result.step_execution_path == ["a", "nap", "b"]
    nap = result.steps["nap"]
    assert nap.status == "success"
    assert nap.output == {"x": 1}
    assert nap.payload == {"x": 1}
    assert nap.started_at is not None and nap.ended_at is not None
    assert nap.ended_at - nap.started_at >= 1


async def test_sleep_timedelta_and_function() -> None:
    calls: list[object] = []

    def duration(c: ConditionContext) -> float:
        calls.append(c.input_data)
        return 1

    wf = create_workflow(id="sleep-td", input_schema=Num)
    wf.sleep(timedelta(milliseconds=2), id="td").sleep(duration, id="fn").commit()
    result = await (await wf.create_run()).start(input_data={"x": 5})
    assert result.result == {"x": 5}
    assert calls == [{"x": 5}]
    assert result.steps["td"].status == "success"
    assert result.steps["fn"].status == "success"


async def test_generated_sleep_ids_are_distinct() -> None:
    wf = create_workflow(id="sleep-ids", input_schema=Num).sleep(1).sleep(1).commit()
    result = await (await wf.create_run()).start(input_data={"x": 1})
    assert len(result.step_execution_path) == 2
    assert len(set(result.step_execution_path)) == 2
    assert all(p.startswith("sleep_") for p in result.step_execution_path)


async def test_sleep_until_datetime_past_and_near_future() -> None:
    soon = datetime.now(UTC) + timedelta(milliseconds=3)
    past = datetime.now(UTC) - timedelta(days=1)
    wf = create_workflow(id="sleep-until", input_schema=Num)
    wf.sleep_until(past, id="past").sleep_until(soon, id="soon").then(_inc_step("a")).commit()
    result = await (await wf.create_run()).start(input_data={"x": 1})
    assert result.status == "success"
    assert result.result == {"x": 2}
    assert result.steps["soon"].ended_at is not None
    assert result.steps["soon"].ended_at >= int(soon.timestamp() * 1000) - 1


async def test_sleep_until_function() -> None:
    seen: list[object] = []

    async def when(c: ConditionContext) -> datetime:
        seen.append(c.input_data)
        return datetime.now(UTC) + timedelta(milliseconds=1)

    wf = create_workflow(id="sleep-until-fn", input_schema=Num).sleep_until(when, id="w").commit()
    result = await (await wf.create_run()).start(input_data={"x": 3})
    assert seen == [{"x": 3}]
    assert result.result == {"x": 3}


async def test_sleep_function_raising_fails_the_run() -> None:
    def bad(c: ConditionContext) -> float:
        raise ValueError("no duration")

    wf = create_workflow(id="sleep-bad", input_schema=Num).sleep(bad, id="nap").commit()
    result = await (await wf.create_run()).start(input_data={"x": 3})
    assert result.status == "failed"
    assert result.steps["nap"].status == "failed"
    assert result.error is not None
    assert "nap" in result.error["message"]
