"""Load: 200 concurrent clients each start and stream a run on a live server; nothing is lost."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from load_app import STEPS
from load_client import expected_types, start_and_stream

CLIENTS = 200
DEADLINE_S = 120.0  # the whole test is bounded; a hung stream fails it instead of hanging CI


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("load_app.py")), str(port),
         str(tmp_path / "load.db")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def wait_until_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    """A separate process: nothing to await but its port answering (bounded)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            if httpx.get(f"{url}/api/workflows", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise TimeoutError(f"server at {url} did not answer within 30 s")


async def test_200_concurrent_streams_lose_and_duplicate_nothing(server_url: str) -> None:
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=server_url, limits=limits, timeout=60) as http:
        runs = await asyncio.wait_for(
            asyncio.gather(*(start_and_stream(http, i, sse=i % 2 == 1) for i in range(CLIENTS))),
            DEADLINE_S,
        )
        assert len({r.run_id for r in runs}) == CLIENTS
        for i, run in enumerate(runs):
            assert [e["type"] for e in run.events] == expected_types(STEPS), run.run_id
            assert {e["runId"] for e in run.events} == {run.run_id}
            assert run.events[-1]["payload"]["workflowStatus"] == "success"
            if run.ids:  # SSE: ids are the run's event seq, contiguous from 1
                assert run.ids == list(range(1, len(run.events) + 1))
            outputs = [e["payload"]["output"] for e in run.events
                       if e["type"] == "workflow-step-result"]  # fmt: skip
            assert outputs[-1] == {"n": i + STEPS}
        listed = await http.get("/api/workflows/count/runs", params={"perPage": CLIENTS + 10})
        body = listed.json()
        assert body["total"] == CLIENTS
        assert {r["snapshot"]["status"] if isinstance(r.get("snapshot"), dict) else r.get("status")
                for r in body["runs"]} == {"success"}  # fmt: skip
