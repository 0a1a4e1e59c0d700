"""HTTP server benchmark: runs started and streamed per second through the Mastra routes.

A server process (tests/load/load_app.py: one 3-step workflow on a SQLite file) and this client
process on loopback. Each client does create-run then stream (RS framing, or SSE for half of
them) and checks every event arrived once. Reports throughput and latency per round.

Run: .venv/bin/python bench/server.py [--clients 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

LOAD = Path(__file__).resolve().parents[1] / "tests" / "load"
sys.path.insert(0, str(LOAD))
from load_app import STEPS  # noqa: E402  # pyright: ignore[reportMissingImports]
from load_client import expected_types, start_and_stream  # noqa: E402  # pyright: ignore[reportMissingImports]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/workflows", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise TimeoutError(url)


async def timed_round(http: httpx.AsyncClient, clients: int) -> tuple[float, list[float]]:
    async def one(i: int) -> float:
        t0 = time.perf_counter()
        run = await start_and_stream(http, i, sse=i % 2 == 1)
        assert [e["type"] for e in run.events] == expected_types(STEPS), run.run_id
        return time.perf_counter() - t0

    t0 = time.perf_counter()
    latencies = await asyncio.gather(*(one(i) for i in range(clients)))
    return time.perf_counter() - t0, sorted(latencies)


async def drive(url: str, clients: int, rounds: int) -> None:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as http:
        await timed_round(http, clients)  # warm-up: connections, lazily built routes
        for r in range(rounds):
            wall, lat = await timed_round(http, clients)
            p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]
            print(f"round {r + 1}: {clients} runs in {wall:.2f} s = {clients / wall:,.0f} runs/s; "
                  f"latency p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [sys.executable, str(LOAD / "load_app.py"), str(port), f"{tmp}/bench.db"]
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_up(url)
            asyncio.run(drive(url, args.clients, args.rounds))
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
