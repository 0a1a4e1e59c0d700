"""Run-aware logging: records made during a run carry its ids and are kept per run."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from treadle import StepContext, Treadle, create_step, create_workflow
from treadle.storage import SQLiteStore

LOGGER = "treadle-tests.shop"


class N(BaseModel):
    n: int


@pytest.fixture
def shop_log() -> Iterator[logging.Logger]:
    log = logging.getLogger(LOGGER)
    log.setLevel(logging.INFO)
    yield log
    log.setLevel(logging.NOTSET)


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def shop(log: logging.Logger) -> Any:
    def charge(ctx: StepContext[N]) -> N:
        log.info("charging %s", ctx.input_data.n)
        log.debug("not kept: below the logger's level")
        return N(n=ctx.input_data.n + 1)

    async def ship(ctx: StepContext[N]) -> N:
        log.warning("shipping late")
        try:
            raise ValueError("no courier")
        except ValueError:
            log.exception("courier lookup failed")
        return ctx.input_data

    steps = [
        create_step(id="charge", input_schema=N, output_schema=N, execute=charge),
        create_step(id="ship", input_schema=N, output_schema=N, execute=ship),
    ]
    return create_workflow(id="shop", input_schema=N).then(steps[0]).then(steps[1]).commit()


async def test_records_carry_run_workflow_and_step_ids(shop_log: logging.Logger) -> None:
    capture = Capture()
    shop_log.addHandler(capture)
    try:
        wf = shop(shop_log)
        run = await wf.create_run()
        await run.start(input_data={"n": 1})
        shop_log.info("outside any run")
    finally:
        shop_log.removeHandler(capture)
    ids = [(r.run_id, r.workflow_id, r.step_id) for r in capture.records]  # type: ignore[attr-defined]
    assert ids == [
        (run.run_id, "shop", "charge"),
        (run.run_id, "shop", "ship"),
        (run.run_id, "shop", "ship"),
        (None, None, None),
    ]


async def test_run_logs_returns_the_kept_records_in_order(shop_log: logging.Logger) -> None:
    wf = shop(shop_log)
    run = await wf.create_run()
    await run.start(input_data={"n": 1})
    other = await wf.create_run()
    await other.start(input_data={"n": 5})

    logs = await run.logs()
    assert [(e["level"], e["stepId"], e["message"]) for e in logs] == [
        ("INFO", "charge", "charging 1"),
        ("WARNING", "ship", "shipping late"),
        ("ERROR", "ship", "courier lookup failed"),
    ]
    assert all(e["runId"] == run.run_id and e["workflowId"] == "shop" for e in logs)
    assert logs[2]["error"] == {"name": "ValueError", "message": "no courier"}
    seqs = [e["seq"] for e in logs]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3

    assert [e["message"] for e in await run.logs(level="warning")] == [
        "shipping late",
        "courier lookup failed",
    ]
    assert [e["message"] for e in await run.logs(after=seqs[0], limit=1)] == ["shipping late"]
    assert (await wf.get_run_logs(other.run_id))[0]["message"] == "charging 5"
    with pytest.raises(ValueError, match="unknown log level 'LOUD'"):
        await run.logs(level="LOUD")


async def test_records_are_kept_in_the_store_and_not_streamed(
    shop_log: logging.Logger, tmp_path: Path
) -> None:
    store = SQLiteStore(tmp_path / "runs.db")
    wf = shop(shop_log)
    Treadle(workflows={"shop": wf}, storage=store)
    run = await wf.create_run()
    streamed = [e.type async for e in run.stream(input_data={"n": 2})]
    assert "log" not in streamed

    reopened = SQLiteStore(tmp_path / "runs.db")
    wf2 = shop(shop_log)
    Treadle(workflows={"shop": wf2}, storage=reopened)
    messages = [e["message"] for e in await wf2.get_run_logs(run.run_id)]
    assert messages == ["charging 2", "shipping late", "courier lookup failed"]
    # Interleaved with the stream events in one numbering.
    stored = await reopened.load_events("shop", run.run_id)
    kinds = [e["type"] for _, e in stored]
    assert kinds.index("log") > kinds.index("workflow-start")
    assert kinds[-1] == "workflow-finish"
    await store.close()
    await reopened.close()


async def test_records_from_parallel_steps_name_their_own_step(shop_log: logging.Logger) -> None:
    gate = asyncio.Event()

    async def left(ctx: StepContext[N]) -> N:
        shop_log.info("left before")
        await gate.wait()
        shop_log.info("left after")
        return ctx.input_data

    async def right(ctx: StepContext[N]) -> N:
        shop_log.info("right")
        gate.set()
        return ctx.input_data

    wf = (
        create_workflow(id="par-logs", input_schema=N)
        .parallel(
            [
                create_step(id="left", input_schema=N, output_schema=N, execute=left),
                create_step(id="right", input_schema=N, output_schema=N, execute=right),
            ]
        )
        .commit()
    )
    run = await wf.create_run()
    await run.start(input_data={"n": 1})
    by_message = {e["message"]: e["stepId"] for e in await run.logs()}
    assert by_message == {"left before": "left", "left after": "left", "right": "right"}


async def test_a_bad_format_string_is_kept_not_raised() -> None:
    # Not propagated: pytest's own capture handler re-raises formatting errors.
    quiet = logging.getLogger(f"{LOGGER}.quiet")
    quiet.setLevel(logging.INFO)
    quiet.propagate = False

    def noisy(ctx: StepContext[N]) -> N:
        quiet.info("%d items", "many")  # wrong type for %d
        return ctx.input_data

    wf = (
        create_workflow(id="noisy", input_schema=N)
        .then(create_step(id="noisy", input_schema=N, output_schema=N, execute=noisy))
        .commit()
    )
    run = await wf.create_run()
    result = await run.start(input_data={"n": 1})
    assert result.status == "success"
    (entry,) = await run.logs()
    assert "unformattable" in entry["message"]
