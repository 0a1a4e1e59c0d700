"""Core engine benchmarks (in memory, input and output validation on).

W1: a 10-step sequential workflow of trivial steps (reported per step).
W2: a parallel fan-out of 100 trivial steps and a join (per run).
W3: a do_until loop of 1,000 iterations (per run).

Run: .venv/bin/python bench/core.py [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel

from treadle import create_step, create_workflow


class Num(BaseModel):
    n: int


async def inc(ctx: Any) -> Num:
    return Num(n=ctx.input_data.n + 1)


def w1() -> Any:
    wf = create_workflow(id="w1", input_schema=Num, output_schema=Num)
    for i in range(10):
        wf = wf.then(create_step(id=f"s{i}", input_schema=Num, output_schema=Num, execute=inc))
    return wf.commit()


def w2() -> Any:
    fan = [
        create_step(id=f"p{i}", input_schema=Num, output_schema=Num, execute=inc)
        for i in range(100)
    ]

    async def join(ctx: Any) -> Num:
        return Num(n=sum(v["n"] for v in ctx.input_data.values()))

    joiner = create_step(id="join", input_schema=dict[str, Any], output_schema=Num, execute=join)
    return (
        create_workflow(id="w2", input_schema=Num, output_schema=Num)
        .parallel(fan)
        .then(joiner)
        .commit()
    )


def w3() -> Any:
    body = create_step(id="body", input_schema=Num, output_schema=Num, execute=inc)
    return (
        create_workflow(id="w3", input_schema=Num, output_schema=Num)
        .do_until(body, lambda ctx: ctx.input_data["n"] >= 1000)
        .commit()
    )


async def timed(run_once: Callable[[], Awaitable[Any]], iterations: int, repeat: int) -> float:
    """Best-of-`repeat` mean seconds per call over `iterations` calls."""
    for _ in range(max(1, iterations // 10)):
        await run_once()
    samples: list[float] = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(iterations):
            await run_once()
        samples.append((time.perf_counter() - t0) / iterations)
    return min(samples)


async def main(repeat: int) -> None:
    rows: list[tuple[str, float, str, float]] = []
    for name, build, iters, per, target in (
        ("W1 10-step sequential", w1, 2000, 10, 10.0),
        ("W2 100-way parallel + join", w2, 200, 1, 1500.0),
        ("W3 do_until x1000", w3, 20, 1, 10_000.0),
    ):
        wf = build()

        async def once(wf: Any = wf) -> Any:
            run = await wf.create_run()
            result = await run.start(input_data={"n": 0})
            assert result.status == "success", result
            wf._runs.clear()  # keep the handle cache from growing during the benchmark
            return result

        secs = await timed(once, iters, repeat)
        micros = secs * 1e6 / per
        rows.append((name, micros, "us/step" if per > 1 else "us/run", target))
    for name, value, unit, target in rows:
        verdict = "ok" if value <= target else "OVER"
        print(f"{name:30s} {value:10.1f} {unit:8s} target <= {target:g} {verdict}")
    print(f"(best of {repeat}; python {'.'.join(map(str, __import__('sys').version_info[:3]))})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    asyncio.run(main(parser.parse_args().repeat))
