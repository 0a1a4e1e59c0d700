"""The server the load test and `bench/server.py` hit: one 3-step workflow, served on a port.

Run: python tests/load/load_app.py PORT DB_PATH
"""

from __future__ import annotations

import asyncio
import sys

from pydantic import BaseModel

from treadle import StepContext, Treadle, create_step, create_workflow
from treadle.storage import SQLiteStore

STEPS = 3


class Count(BaseModel):
    n: int


async def bump(ctx: StepContext[Count]) -> Count:
    await asyncio.sleep(0)  # a real await: runs interleave on the server's loop
    return Count(n=ctx.input_data.n + 1)


def make_workflow() -> object:
    wf = create_workflow(id="count", input_schema=Count, output_schema=Count)
    for i in range(STEPS):
        wf = wf.then(create_step(id=f"bump-{i}", input_schema=Count, output_schema=Count,
                                 execute=bump))  # fmt: skip
    return wf.commit()


def main() -> None:
    from treadle.server import serve

    port, db = int(sys.argv[1]), sys.argv[2]
    app = Treadle(workflows={"count": make_workflow()}, storage=SQLiteStore(db))  # type: ignore[dict-item]
    # Idle connections outlive the test: 200 clients on 2 busy cores can leave a pooled
    # connection idle past uvicorn's default 5 s, and a request sent as the server closes it
    # fails (HTTP/1.1's keep-alive race, not a server fault).
    serve(app, host="127.0.0.1", port=port, studio=False, log_level="warning", keep_alive_s=300)


if __name__ == "__main__":
    main()
