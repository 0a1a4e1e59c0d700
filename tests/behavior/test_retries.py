"""Retries: `RetryConfig`, per-step `retries`, `NonRetryableError`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import BaseModel

from treadle import RetryConfig, StepContext, create_step, create_workflow
from treadle.errors import NonRetryableError


class Num(BaseModel):
    x: int


def _flaky(sid: str, fail_times: int, retries: int | None = None):
    counts: list[int] = []

    async def run(ctx: StepContext[Num]) -> Num:
        counts.append(ctx.retry_count)
        if len(counts) <= fail_times:
            raise RuntimeError(f"attempt {len(counts)} failed")
        return Num(x=len(counts))

    return create_step(
        id=sid, input_schema=Num, output_schema=Num, execute=run, retries=retries
    ), counts


async def test_step_retries_until_success() -> None:
    s, counts = _flaky("flaky", fail_times=2, retries=2)
    wf = create_workflow(id="retry-step", input_schema=Num).then(s).commit()
    result = await (await wf.create_run()).start(input_data={"x": 0})
    assert result.status == "success"
    assert counts == [0, 1, 2]
    assert result.result == {"x": 3}


async def test_retries_exhausted_fails_with_last_error() -> None:
    s, counts = _flaky("flaky", fail_times=10, retries=1)
    wf = create_workflow(id="retry-exhaust", input_schema=Num).then(s).commit()
    result = await (await wf.create_run()).start(input_data={"x": 0})
    assert result.status == "failed"
    assert counts == [0, 1]
    assert result.error is not None
    assert result.error["message"] == "attempt 2 failed"


async def test_workflow_retry_config_applies_to_steps() -> None:
    s, counts = _flaky("flaky", fail_times=10)
    wf = (
        create_workflow(
            id="retry-wf", input_schema=Num, retry_config=RetryConfig(attempts=2, delay=1)
        )
        .then(s)
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={"x": 0})
    assert result.status == "failed"
    assert counts == [0, 1, 2]


async def test_step_retries_override_the_workflow_config() -> None:
    s, counts = _flaky("flaky", fail_times=10, retries=0)
    wf = (
        create_workflow(id="retry-override", input_schema=Num, retry_config=RetryConfig(attempts=3))
        .then(s)
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={"x": 0})
    assert result.status == "failed"
    assert counts == [0]


async def test_no_retries_by_default() -> None:
    s, counts = _flaky("flaky", fail_times=1)
    wf = create_workflow(id="retry-default", input_schema=Num).then(s).commit()
    result = await (await wf.create_run()).start(input_data={"x": 0})
    assert result.status == "failed"
    assert counts == [0]


async def test_non_retryable_error_stops_at_once() -> None:
    counts: list[int] = []

    async def run(ctx: StepContext[Num]) -> Num:
        counts.append(ctx.retry_count)
        raise NonRetryableError("fatal, do not retry")

    s = create_step(id="fatal", input_schema=Num, output_schema=Num, execute=run, retries=5)
    wf = create_workflow(id="retry-fatal", input_schema=Num).then(s).commit()
    result = await (await wf.create_run()).start(input_data={"x": 0})
    assert result.status == "failed"
    assert counts == [0]
    assert result.error is not None
    assert result.error["name"] == "NonRetryableError"
    assert result.error["message"] == "fatal, do not retry"


def test_retry_config_validation_and_timedelta() -> None:
    assert RetryConfig(attempts=1, delay=timedelta(milliseconds=50)).delay == 50.0
    assert RetryConfig(attempts=1, delay=20).delay == 20.0
    with pytest.raises(ValueError):
        RetryConfig(attempts=-1)
    with pytest.raises(ValueError):
        create_step(id="bad", execute=lambda ctx: None, retries=-1)
