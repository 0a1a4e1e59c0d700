"""`.for_each(step, concurrency=n)`: order, empty input, real concurrency, failure stops the queue."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel

from treadle import StepContext, create_step, create_workflow


class Item(BaseModel):
    n: int


class Seed(BaseModel):
    items: list[int]


def _explode():
    async def run(ctx: StepContext[Seed]) -> list[dict[str, int]]:
        return [{"n": i} for i in ctx.input_data.items]

    return create_step(id="explode", input_schema=Seed, execute=run)


async def test_outputs_keep_input_order_even_when_finishing_out_of_order() -> None:
    done = {i: asyncio.Event() for i in range(3)}
    finish_order: list[int] = []

    async def square(ctx: StepContext[Item]) -> Item:
        i = ctx.input_data.n
        if i < 2:
            await done[i + 1].wait()  # item 2 finishes first, then 1, then 0
        finish_order.append(i)
        done[i].set()
        return Item(n=i * i)

    s = create_step(id="square", input_schema=Item, output_schema=Item, execute=square)
    wf = (
        create_workflow(id="fe-order", input_schema=Seed)
        .then(_explode())
        .for_each(s, concurrency=3)
        .commit()
    )
    result = await asyncio.wait_for(
        (await wf.create_run()).start(input_data={"items": [0, 1, 2]}), 5
    )
    assert result.status == "success"
    assert finish_order == [2, 1, 0]
    assert result.result == [{"n": 0}, {"n": 1}, {"n": 4}]
    assert result.steps["square"].payload == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert result.steps["square"].output == [{"n": 0}, {"n": 1}, {"n": 4}]


async def test_sequential_by_default() -> None:
    in_flight = 0
    peak = 0
    seen: list[int] = []

    async def work(ctx: StepContext[Item]) -> Item:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(3):
            await asyncio.sleep(0)
        seen.append(ctx.input_data.n)
        in_flight -= 1
        return ctx.input_data

    s = create_step(id="work", input_schema=Item, output_schema=Item, execute=work)
    wf = create_workflow(id="fe-seq", input_schema=Seed).then(_explode()).for_each(s).commit()
    result = await (await wf.create_run()).start(input_data={"items": [1, 2, 3, 4]})
    assert result.status == "success"
    assert peak == 1
    assert seen == [1, 2, 3, 4]


async def test_empty_list_gives_empty_output() -> None:
    calls: list[int] = []

    async def work(ctx: StepContext[Item]) -> Item:
        calls.append(ctx.input_data.n)
        return ctx.input_data

    s = create_step(id="work", input_schema=Item, output_schema=Item, execute=work)
    wf = (
        create_workflow(id="fe-empty", input_schema=Seed)
        .then(_explode())
        .for_each(s, concurrency=2)
        .commit()
    )
    result = await (await wf.create_run()).start(input_data={"items": []})
    assert result.status == "success"
    assert result.result == []
    assert calls == []


async def test_concurrency_overlaps_and_never_exceeds_the_limit() -> None:
    first_two = {0: asyncio.Event(), 1: asyncio.Event()}
    in_flight = 0
    peak = 0

    async def work(ctx: StepContext[Item]) -> Item:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        i = ctx.input_data.n
        if i in first_two:  # items 0 and 1 must be in flight together (handshake)
            first_two[i].set()
            await first_two[1 - i].wait()
        for _ in range(5):
            await asyncio.sleep(0)
        in_flight -= 1
        return Item(n=i + 100)

    s = create_step(id="work", input_schema=Item, output_schema=Item, execute=work)
    wf = (
        create_workflow(id="fe-conc", input_schema=Seed)
        .then(_explode())
        .for_each(s, concurrency=2)
        .commit()
    )
    run = await wf.create_run()
    result = await asyncio.wait_for(run.start(input_data={"items": list(range(6))}), timeout=5)
    assert result.status == "success"
    assert peak == 2
    assert result.result == [{"n": i + 100} for i in range(6)]


async def test_failure_stops_the_queue_sequential() -> None:
    calls: list[int] = []

    async def work(ctx: StepContext[Item]) -> Item:
        calls.append(ctx.input_data.n)
        if ctx.input_data.n == 2:
            raise ValueError("item two")
        return ctx.input_data

    s = create_step(id="work", input_schema=Item, output_schema=Item, execute=work)
    wf = create_workflow(id="fe-fail", input_schema=Seed).then(_explode()).for_each(s).commit()
    result = await (await wf.create_run()).start(input_data={"items": [1, 2, 3, 4]})
    assert result.status == "failed"
    assert calls == [1, 2]
    assert result.steps["work"].status == "failed"
    assert result.error is not None
    assert result.error["message"] == "item two"


async def test_failure_stops_the_queue_concurrent_in_flight_finish() -> None:
    calls: list[int] = []
    failed = asyncio.Event()
    second_started = asyncio.Event()

    async def work(ctx: StepContext[Item]) -> Item:
        i = ctx.input_data.n
        calls.append(i)
        if i == 1:
            second_started.set()
        if i == 0:
            await second_started.wait()
            failed.set()
            raise ValueError("zero")
        if i == 1:
            await failed.wait()  # in flight when item 0 fails: still finishes
        return ctx.input_data

    s = create_step(id="work", input_schema=Item, output_schema=Item, execute=work)
    wf = (
        create_workflow(id="fe-fail-conc", input_schema=Seed)
        .then(_explode())
        .for_each(s, concurrency=2)
        .commit()
    )
    result = await asyncio.wait_for(
        (await wf.create_run()).start(input_data={"items": [0, 1, 2, 3, 4]}), 5
    )
    assert result.status == "failed"
    assert sorted(calls) == [0, 1]
    assert result.error is not None
    assert result.error["message"] == "zero"


async def test_non_list_input_fails() -> None:
    async def work(ctx: StepContext[object]) -> object:
        return ctx.input_data

    s = create_step(id="work", execute=work)
    wf = create_workflow(id="fe-notlist", input_schema=Item).for_each(s).commit()
    result = await (await wf.create_run()).start(input_data={"n": 1})
    assert result.status == "failed"
    assert result.error is not None
    assert "list" in result.error["message"]
    assert "work" in result.error["message"]
