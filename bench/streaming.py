"""Streaming benchmark: the cost of streaming a run over running it plainly (in memory).

S1: W1 (10 sequential trivial steps) with `run.start()`, then with `run.stream()` consumed by
`async for` (every event built and handed over, then `await stream.result`); the ratio is the
target (<= 1.2). For information: the same run with a `watch` callback, and the floor: the plain
run followed by nothing but the hand-over of its 22 events, made from copies of prepared ones,
each as the `WorkflowEvent` the API promises (built the cheapest way, without validation)
through an async generator; no design that hands every event to `async for` costs less.

The variants are measured in alternating rounds, so machine drift hits both alike.

Run: .venv/bin/python bench/streaming.py [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from core import w1  # pyright: ignore[reportMissingImports]

from treadle.events import event_from_dict

ITERATIONS = 1000
STEPS = 10


async def plain(wf: Any) -> None:
    run = await wf.create_run()
    result = await run.start(input_data={"n": 0})
    assert result.status == "success", result
    wf._runs.clear()


async def streamed(wf: Any) -> None:
    run = await wf.create_run()
    stream = run.stream(input_data={"n": 0})
    count = 0
    async for _ in stream:
        count += 1
    result = await stream.result
    assert result.status == "success" and count == 2 + 2 * STEPS, (result, count)
    wf._runs.clear()


async def hand_over(events: list[dict[str, Any]]) -> Any:
    """Each event made into the reader's `WorkflowEvent`, with a payload of its own (a run's
    events are made for it: their payloads cannot be shared with another run's)."""
    for seq, event in enumerate(events, 1):
        yield event_from_dict({**event, "payload": {**event["payload"]}}, seq)


async def floor_of(wf: Any, events: list[dict[str, Any]]) -> None:
    await plain(wf)
    async for _ in hand_over(events):
        pass


async def run_events(wf: Any) -> list[dict[str, Any]]:
    """A streamed run's events, as the stream's JSON (for the floor)."""
    run = await wf.create_run()
    stream = run.stream(input_data={"n": 0})
    events = [event.model_dump(by_alias=True, exclude_none=True) async for event in stream]
    wf._runs.clear()
    return events


async def watched(wf: Any) -> None:
    run = await wf.create_run()
    seen: list[Any] = []
    run.watch(seen.append)
    result = await run.start(input_data={"n": 0})
    assert result.status == "success" and len(seen) == 3 * STEPS
    wf._runs.clear()


async def round_of(fn: Callable[[Any], Awaitable[None]], wf: Any) -> float:
    t0 = time.perf_counter()
    for _ in range(ITERATIONS):
        await fn(wf)
    return (time.perf_counter() - t0) / ITERATIONS


async def main(repeat: int) -> None:
    wf = w1()
    events = await run_events(wf)

    async def floor(wf: Any) -> None:
        await floor_of(wf, events)

    variants = {"start": plain, "stream": streamed, "watch": watched, "floor": floor}
    for fn in variants.values():  # warm up
        for _ in range(100):
            await fn(wf)
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(repeat):
        for name, fn in variants.items():
            best[name] = min(best[name], await round_of(fn, wf))
    per_step = {name: secs * 1e6 / STEPS for name, secs in best.items()}
    ratio = best["stream"] / best["start"]
    print(f"W1 start           {per_step['start']:8.1f} us/step")
    print(f"W1 stream (async for) {per_step['stream']:5.1f} us/step")
    print(f"W1 watch           {per_step['watch']:8.1f} us/step")
    verdict = "ok" if ratio <= 1.2 else "OVER"
    print(f"S1 stream / start  {ratio:8.2f}x        target <= 1.2 {verdict}")
    floor_ratio = best["floor"] / best["start"]
    print(f"floor / start      {floor_ratio:8.2f}x        (start, then only the hand-over)")
    print(f"(best of {repeat}; python {'.'.join(map(str, sys.version_info[:3]))})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    asyncio.run(main(parser.parse_args().repeat))
