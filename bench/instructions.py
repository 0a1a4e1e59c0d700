"""Instruction counts (valgrind callgrind) for the core engine: stable where wall time is not.

The development VM's wall-clock speed drifts by 30-50% from minute to minute; instruction counts
do not. This runs N=100 and N=1100 runs of a 1-step and a 10-step workflow under callgrind and
reports the difference per run, split into a fixed per-run cost and a per-step cost.

With `--streaming` it also counts the same 10-step runs streamed (`run.stream()` read by
`async for`) and reports the ratio to the plain runs (target S1 <= 1.2), and the floor under
it (`bench/streaming.py`'s: the plain runs, each followed by only the hand-over of its 22 events,
already made, as `WorkflowEvent`s through an async generator). With `--durable` it
counts them on a SQLite file, every step persisted (D1's workload): the user-space part of a
durable step (Python and SQLite; the kernel's share, the system calls, is not counted).

Run: .venv/bin/python bench/instructions.py [--streaming] [--durable]   (needs valgrind; about
80 s, plus 80 s for `--durable` and 160 s for `--streaming`)
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def _workload(steps: int, runs: int, mode: str = "plain") -> None:
    """`runs` runs of a `steps`-step workflow: plain, streamed, durable, or "floor" (plain, then
    the hand-over of its stream's events, already made, as bench/streaming.py's floor)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from core import Num, inc
    from streaming import hand_over

    from treadle import Treadle, create_step, create_workflow

    wf = create_workflow(id="w", input_schema=Num, output_schema=Num)
    for i in range(steps):
        wf = wf.then(create_step(id=f"s{i}", input_schema=Num, output_schema=Num, execute=inc))
    wf = wf.commit()
    folder = tempfile.mkdtemp()
    if mode == "durable":
        from treadle.storage import SQLiteStore

        Treadle(workflows={"w": wf}, storage=SQLiteStore(Path(folder) / "d1.db"))

    async def main() -> None:
        events: list[Any] = []
        if mode == "floor":
            stream = (await wf.create_run()).stream(input_data={"n": 0})
            events = [e.model_dump(by_alias=True, exclude_none=True) async for e in stream]
        for _ in range(runs):
            run = await wf.create_run()
            if mode == "streamed":
                stream = run.stream(input_data={"n": 0})
                async for _ in stream:
                    pass
                await stream.result
            else:
                await run.start(input_data={"n": 0})
                if mode == "floor":
                    async for _ in hand_over(events):
                        pass
            wf._runs.clear()  # pyright: ignore[reportPrivateUsage]

    asyncio.run(main())
    shutil.rmtree(folder)


def _count(steps: int, runs: int, mode: str = "plain") -> int:
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, __file__, "--workload", str(steps), str(runs), mode],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = re.search(r"Collected\s*:\s*(\d+)", out.stderr)
    if found is None:
        raise SystemExit(f"could not read callgrind's count:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    if len(sys.argv) >= 5 and sys.argv[1] == "--workload":
        _workload(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    one = (_count(1, 1100) - _count(1, 100)) / 1000
    ten = (_count(10, 1100) - _count(10, 100)) / 1000
    per_step = (ten - one) / 9
    print(f"per step            {per_step:10.0f} instructions")
    print(f"fixed per run       {one - per_step:10.0f} instructions")
    print(f"W1 (10 steps) / step{ten / 10:10.0f} instructions")
    if "--streaming" in sys.argv:
        streamed = (_count(10, 1100, "streamed") - _count(10, 100, "streamed")) / 1000
        floor = (_count(10, 1100, "floor") - _count(10, 100, "floor")) / 1000
        print(f"W1 streamed / step  {streamed / 10:10.0f} instructions")
        print(f"S1 streamed / plain {streamed / ten:10.2f}x (target <= 1.2)")
        print(f"floor / plain       {floor / ten:10.2f}x (plain, then only the hand-over)")
    if "--durable" in sys.argv:
        one_d = (_count(1, 1100, "durable") - _count(1, 100, "durable")) / 1000
        ten_d = (_count(10, 1100, "durable") - _count(10, 100, "durable")) / 1000
        step_d = (ten_d - one_d) / 9
        print(f"durable per step    {step_d:10.0f} instructions (SQLite file, user space)")
        print(f"durable fixed / run {one_d - step_d:10.0f} instructions")
        print(f"D1 (10 steps) / step{ten_d / 10:10.0f} instructions")


if __name__ == "__main__":
    main()
