"""Instruction counts (valgrind callgrind) for the core engine: stable where wall time is not.

The development VM's wall-clock speed drifts by 30-50% from minute to minute; instruction counts
do not. This runs N=100 and N=1100 runs of a 1-step and a 10-step workflow under callgrind and
reports the difference per run, split into a fixed per-run cost and a per-step cost.

With `--streaming` it also counts the same 10-step runs streamed (`run.stream()` read by
`async for`) and reports the ratio to the plain runs (target S1 <= 1.2).

Run: .venv/bin/python bench/instructions.py [--streaming]   (needs valgrind; about 80 s, or
160 s with --streaming)
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
from pathlib import Path


def _workload(steps: int, runs: int, streamed: bool = False) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from core import Num, inc

    from treadle import create_step, create_workflow

    wf = create_workflow(id="w", input_schema=Num, output_schema=Num)
    for i in range(steps):
        wf = wf.then(create_step(id=f"s{i}", input_schema=Num, output_schema=Num, execute=inc))
    wf = wf.commit()

    async def main() -> None:
        for _ in range(runs):
            run = await wf.create_run()
            if streamed:
                stream = run.stream(input_data={"n": 0})
                async for _ in stream:
                    pass
                await stream.result
            else:
                await run.start(input_data={"n": 0})
            wf._runs.clear()  # pyright: ignore[reportPrivateUsage]

    asyncio.run(main())


def _count(steps: int, runs: int, streamed: bool = False) -> int:
    mode = ["--streamed"] if streamed else []
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, __file__, "--workload", str(steps), str(runs), *mode],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = re.search(r"Collected\s*:\s*(\d+)", out.stderr)
    if found is None:
        raise SystemExit(f"could not read callgrind's count:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    if len(sys.argv) >= 4 and sys.argv[1] == "--workload":
        _workload(int(sys.argv[2]), int(sys.argv[3]), "--streamed" in sys.argv)
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
        streamed = (_count(10, 1100, True) - _count(10, 100, True)) / 1000
        print(f"W1 streamed / step  {streamed / 10:10.0f} instructions")
        print(f"S1 streamed / plain {streamed / ten:10.2f}x (target <= 1.2)")


if __name__ == "__main__":
    main()
