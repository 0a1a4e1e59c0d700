"""Schemathesis against the live server's /openapi.json: no generated request gets a 5xx.

Runs the schemathesis CLI (examples, coverage, stateful and fuzzing phases) against a real
uvicorn server serving every example, with a clock on which sleeps pass at once. Random
workflow and run ids would only ever meet a 404, so a config file steers most requests to the
registered workflows and to runs made beforehand in every state (created, succeeded,
suspended, waiting for an event): bodies are then validated against real schemas and real
runs are started, streamed, resumed, cancelled and time-travelled.

Two passes, because a request may rightly never end: a stream follows its run to the end, and a
run waiting for a human (or an event) ends only when answered. The first pass covers every
operation on the workflows whose runs always end; the second covers the workflows that wait,
leaving out the operations that follow a run to its end (streams, observe, the `-async` ones).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from server.live_server import LiveServer
from treadle import Treadle
from treadle.server import create_app
from treadle.storage import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
TOKEN = "fuzz-token"
ENDING = ("fan-out", "nested-report", "batch-enrich", "retry-until-ready", "reminder")
WAITING = ("approval", "order-approval", "reminder-ack")
# Operations that follow a run until it ends: streams, observe, and every `-async` one (which
# returns the run's result). Not for runs that wait.
FOLLOWING = r"(-async|[Ss]tream[A-Za-z]*|/observe)$"


class SkippingClock:
    """Sleeps pass at once and move the time on: fuzzed delays of an hour end at once."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self._now = float(start_ms)

    def now_ms(self) -> int:
        return int(self._now)

    async def sleep(self, ms: float) -> None:
        self._now += max(ms, 0)
        await asyncio.sleep(0)


def fuzz_app(db: Path) -> Treadle:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from examples import make_app

    return make_app(SQLiteStore(str(db)), clock=SkippingClock())


def _inputs(client: httpx.Client, workflow_id: str) -> dict[str, Any]:
    """A valid input for the workflow: its Studio example (the schema's `examples`)."""
    info = client.get(f"/api/workflows/{workflow_id}").json()
    schema = json.loads(info["inputSchema"])["json"]
    examples = schema.get("examples") or [{}]
    return examples[0]


def _seed_runs(live: LiveServer, workflow_ids: tuple[str, ...]) -> list[str]:
    """Runs in each state for each workflow; their ids go into the fuzzer's dictionary."""
    ids: list[str] = []
    with httpx.Client(base_url=live.base_url, headers=live.headers, timeout=30) as client:
        for workflow_id in workflow_ids:
            data = _inputs(client, workflow_id)
            for kind in ("created", "started"):
                run_id = f"fuzz-{workflow_id}-{kind}"
                made = client.post(
                    f"/api/workflows/{workflow_id}/create-run", params={"runId": run_id}
                )
                assert made.status_code == 200, made.text
                if kind == "started":
                    started = client.post(
                        f"/api/workflows/{workflow_id}/start",
                        params={"runId": run_id},
                        json={"inputData": data},
                    )
                    assert started.status_code == 200, started.text
                ids.append(run_id)
    return ids


def _config(path: Path, workflow_ids: tuple[str, ...], run_ids: list[str]) -> Path:
    def values(items: Any) -> str:
        return json.dumps(list(items))

    path.write_text(
        f"""
[dictionaries.workflows]
values = {values(workflow_ids)}

[dictionaries.runs]
values = {values(run_ids)}

[parameters]
"path.workflowId" = {{ dictionary = "workflows", probability = 0.85 }}
"path.runId" = {{ dictionary = "runs", probability = 0.85 }}
"query.runId" = {{ dictionary = "runs", probability = 0.85 }}
"""
    )
    return path


def _schemathesis(live: LiveServer, config: Path, report: Path, *extra: str) -> None:
    done = subprocess.run(
        [
            str(SCHEMATHESIS), "--config-file", str(config), "run",
            f"{live.base_url}/openapi.json",
            "--checks", "not_a_server_error",
            "--header", f"Authorization: Bearer {TOKEN}",
            "--max-examples", "5",
            "--request-timeout", "20",
            "--generation-deterministic",
            "--report-dir", str(report),
            *extra,
        ],
        cwd=report.parent,
        capture_output=True,
        text=True,
        timeout=900,
    )  # fmt: skip
    summary = done.stdout[-4000:]
    assert done.returncode == 0, f"schemathesis found problems:\n{summary}\n{done.stderr[-2000:]}"
    assert "Server error" not in done.stdout


class StatusCounter:
    """ASGI wrapper counting the answers to POSTs on workflows: (status // 100) -> count."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.counts: dict[int, int] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return

        async def counting(message: Any) -> None:
            if message["type"] == "http.response.start":
                kind = message["status"] // 100
                self.counts[kind] = self.counts.get(kind, 0) + 1
            await send(message)

        await self.app(scope, receive, counting)


def _fuzz(tmp_path: Path, workflow_ids: tuple[str, ...], *extra: str) -> None:
    served = StatusCounter(create_app(fuzz_app(tmp_path / "fuzz.db"), token=TOKEN, studio=False))
    with LiveServer(served, token=TOKEN) as live:
        runs = _seed_runs(live, workflow_ids)
        seeded = served.counts.get(2, 0)
        config = _config(tmp_path / "schemathesis.toml", workflow_ids, runs)
        _schemathesis(live, config, tmp_path / "report", *extra)
    # The requests reached real workflows and runs: many were served, not only refused.
    assert served.counts.get(2, 0) - seeded >= 20, served.counts


def test_runs_that_end_get_no_server_error(tmp_path: Path) -> None:
    _fuzz(tmp_path, ENDING)


def test_runs_that_wait_get_no_server_error(tmp_path: Path) -> None:
    _fuzz(tmp_path, WAITING, "--exclude-path-regex", FOLLOWING)
