"""Durable-run benchmarks (every step persisted, input and output validation on).

D1: W1 (a 10-step sequential workflow) on SQLite, per step.
D2: per-step cost of a 1,000-step run divided by that of a 10-step run (both on SQLite).
D3: 10,000 suspended runs in one SQLite file, resumed one after another: runs per second.
D4: W1 on PostgreSQL over loopback, per step (needs TREADLE_BENCH_POSTGRES_DSN or
    TREADLE_TEST_POSTGRES_DSN; `eval "$(scripts/postgres.sh start)"` provides one), with the
    store's defaults, then with `synchronous_commit=False` (the same on a server that does not
    fsync, like scripts/postgres.sh's; about a third cheaper on one that does).

Run: .venv/bin/python bench/durable.py [--suspended 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from treadle import StepContext, Treadle, create_step, create_workflow
from treadle.storage import SQLiteStore

sys.path.insert(0, str(Path(__file__).parent))
from core import Num, inc


def chain(n: int, wid: str) -> Any:
    wf = create_workflow(id=wid, input_schema=Num, output_schema=Num)
    for i in range(n):
        wf = wf.then(create_step(id=f"s{i}", input_schema=Num, output_schema=Num, execute=inc))
    return wf.commit()


class Answer(BaseModel):
    add: int


async def gate(ctx: StepContext[Num]) -> Num:
    if ctx.resume_data is None:
        await ctx.suspend({"need": "add"})
    return Num(n=ctx.input_data.n + ctx.resume_data["add"])


def approval() -> Any:
    g = create_step(
        id="gate", input_schema=Num, output_schema=Num, resume_schema=Answer, execute=gate
    )
    return create_workflow(id="approval", input_schema=Num, output_schema=Num).then(g).commit()


async def per_step(store: Any, steps: int, runs: int, repeat: int) -> float:
    """Best-of-`repeat` microseconds per step for `runs` runs of a `steps`-step chain."""
    wf = chain(steps, f"chain{steps}")
    Treadle(workflows={"chain": wf}, storage=store)
    best = float("inf")
    for _ in range(repeat + 1):  # the first pass warms up (and creates the tables)
        t0 = time.perf_counter()
        for _ in range(runs):
            run = await wf.create_run()
            result = await run.start(input_data={"n": 0})
            assert result.status == "success", result.error
        best = min(best, (time.perf_counter() - t0) / runs / steps * 1e6)
        wf._runs.clear()  # pyright: ignore[reportPrivateUsage]
    return best


async def resume_rate(path: Path, count: int) -> float:
    wf = approval()
    app = Treadle(workflows={"approval": wf}, storage=SQLiteStore(path))
    ids: list[str] = []
    for _ in range(count):
        run = await wf.create_run()
        result = await run.start(input_data={"n": 1})
        assert result.status == "suspended"
        ids.append(run.run_id)
    wf._runs.clear()  # pyright: ignore[reportPrivateUsage]  # resume from the store, not memory
    t0 = time.perf_counter()
    for rid in ids:
        run = await wf.create_run(run_id=rid)
        result = await run.resume(resume_data={"add": 1})
        assert result.status == "success"
    rate = count / (time.perf_counter() - t0)
    await app.storage.close()
    return rate


async def main(suspended: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d1 = await per_step(SQLiteStore(Path(tmp) / "d1.db"), 10, 500, repeat)
        print(f"D1 W1 on SQLite               {d1:10.1f} us/step   target <= 40")
        d2_long = await per_step(SQLiteStore(Path(tmp) / "d2.db"), 1000, 3, repeat)
        ratio = d2_long / d1
        print(
            f"D2 1,000-step run             {d2_long:10.1f} us/step   ratio to 10-step {ratio:.2f}  target <= 1.5"
        )
        rate = await resume_rate(Path(tmp) / "d3.db", suspended)
        print(f"D3 resume {suspended:,} suspended runs {rate:10.0f} runs/s    target >= 1000")
    dsn = os.environ.get("TREADLE_BENCH_POSTGRES_DSN") or os.environ.get(
        "TREADLE_TEST_POSTGRES_DSN"
    )
    if dsn:
        from treadle.storage import PostgresStore

        d4 = await per_step(PostgresStore(dsn), 10, 200, repeat)
        print(f"D4 W1 on PostgreSQL (loopback) {d4:9.1f} us/step   target <= 300")
        d4_async = await per_step(PostgresStore(dsn, synchronous_commit=False), 10, 200, repeat)
        print(f"   the same, synchronous_commit off {d4_async:6.1f} us/step")
    else:
        print('D4 skipped: set TREADLE_BENCH_POSTGRES_DSN (eval "$(scripts/postgres.sh start)")')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--suspended", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.suspended, args.repeat))
