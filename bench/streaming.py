"""Streaming benchmark: the cost of streaming a run over running it plainly (in memory).

S1: W1 (10 sequential trivial steps) with `run.start()`, then with `run.stream()` consumed by
`async for` (every event built and handed over, then `await stream.result`); the ratio is the
target (<= 1.2). For information: the same run with a `watch` callback.

The two variants are measured in alternating rounds, so machine drift hits both alike.

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
    variants = {"start": plain, "stream": streamed, "watch": watched}
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
    print(f"(best of {repeat}; python {'.'.join(map(str, sys.version_info[:3]))})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    asyncio.run(main(parser.parse_args().repeat))
