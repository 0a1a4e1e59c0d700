"""FakeClock: time moves only with advance(); sleepers wake in deadline order; no real sleeps."""

from __future__ import annotations

import asyncio

import pytest

from treadle._engine.clock import Clock
from treadle.testing import FakeClock


def test_is_a_clock_and_starts_where_told() -> None:
    clock: Clock = FakeClock(start_ms=1_000)
    assert clock.now_ms() == 1_000
    assert FakeClock().now_ms() == 0


async def test_time_moves_only_with_advance() -> None:
    clock = FakeClock(start_ms=100)
    await asyncio.sleep(0)
    assert clock.now_ms() == 100
    await clock.advance(50)
    assert clock.now_ms() == 150
    await clock.advance(0)
    assert clock.now_ms() == 150
    with pytest.raises(ValueError):
        await clock.advance(-1)


async def test_sleeper_wakes_only_at_its_deadline() -> None:
    clock = FakeClock()
    woke_at: list[int] = []

    async def sleeper() -> None:
        await clock.sleep(100)
        woke_at.append(clock.now_ms())

    task = asyncio.create_task(sleeper())
    await clock.wait_for_sleepers(1)
    assert clock.sleepers == 1
    assert clock.deadlines == [100]
    await clock.advance(99)
    assert woke_at == []
    assert clock.sleepers == 1
    await clock.advance(1)
    assert woke_at == [100]  # advance returns after the woken task has run
    assert clock.sleepers == 0
    await task


async def test_wakes_in_deadline_order_at_each_deadline() -> None:
    clock = FakeClock()
    woke: list[tuple[str, int]] = []

    async def sleeper(name: str, ms: int) -> None:
        await clock.sleep(ms)
        woke.append((name, clock.now_ms()))

    tasks = [
        asyncio.create_task(sleeper(name, ms))
        for name, ms in [("c", 30), ("a", 10), ("late", 500), ("b", 20), ("a2", 10)]
    ]
    await clock.wait_for_sleepers(5)
    await clock.advance(100)
    assert woke == [("a", 10), ("a2", 10), ("b", 20), ("c", 30)]
    assert clock.now_ms() == 100
    assert clock.sleepers == 1
    await clock.advance(400)
    assert woke[-1] == ("late", 500)
    await asyncio.gather(*tasks)


async def test_repeated_sleeps_inside_one_advance() -> None:
    clock = FakeClock()
    ticks: list[int] = []

    async def ticker() -> None:
        while True:
            await clock.sleep(10)
            ticks.append(clock.now_ms())

    task = asyncio.create_task(ticker())
    await clock.wait_for_sleepers(1)
    await clock.advance(35)
    assert ticks == [10, 20, 30]
    assert clock.deadlines == [40]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert clock.sleepers == 0


async def test_cancelled_sleeper_is_dropped() -> None:
    clock = FakeClock()
    task = asyncio.create_task(clock.sleep(10))
    other = asyncio.create_task(clock.sleep(20))
    await clock.wait_for_sleepers(2)
    task.cancel()
    assert clock.sleepers == 1  # counted out at once, before its task runs again
    await clock.advance(30)  # skips the cancelled one without waiting for it
    await other
    with pytest.raises(asyncio.CancelledError):
        await task
    assert clock.sleepers == 0
    assert clock.deadlines == []


async def test_zero_and_negative_sleep_only_yield() -> None:
    clock = FakeClock(start_ms=5)
    await clock.sleep(0)
    await clock.sleep(-3)
    assert clock.sleepers == 0
    assert clock.now_ms() == 5


async def test_wait_for_sleepers_waits_for_the_code_under_test() -> None:
    clock = FakeClock()
    reached: list[str] = []

    async def code_under_test(gate: asyncio.Event) -> None:
        await gate.wait()
        reached.append("sleeping")
        await clock.sleep(1_000)
        reached.append("done")

    gate = asyncio.Event()
    task = asyncio.create_task(code_under_test(gate))
    waiter = asyncio.create_task(clock.wait_for_sleepers(1))
    await asyncio.sleep(0)
    assert not waiter.done()
    gate.set()
    await waiter
    assert reached == ["sleeping"]
    await clock.advance(1_000)
    assert reached == ["sleeping", "done"]
    await task
    await clock.wait_for_sleepers(0)  # already true: returns at once


async def test_fractional_durations() -> None:
    clock = FakeClock()
    task = asyncio.create_task(clock.sleep(2.5))
    await clock.wait_for_sleepers(1)
    await clock.advance(2)
    assert not task.done()
    await clock.advance(0.5)
    assert clock.now_ms() == 2
    await task
