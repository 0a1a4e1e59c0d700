"""Schemathesis against the live server's /openapi.json: no generated request gets a 5xx.

Runs the schemathesis CLI (examples, coverage, stateful and fuzzing phases) against a real
uvicorn server serving the examples whose runs end whatever the input: a stream follows its run
to the end, so a fuzzed `delay_seconds` of an hour, a loop of a million attempts, or
`closeOnSuspend: false` on a run waiting for a human would read as a hung request (those are
covered by their own tests).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from server.live_server import LiveServer
from treadle import Treadle
from treadle.storage import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
BOUNDED = ("fan-out", "nested-report")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def fuzz_app(db: Path) -> Treadle:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from examples import make_app

    examples = make_app(SQLiteStore(str(db)))
    bounded = {key: examples.get_workflow(key) for key in BOUNDED}
    return Treadle(workflows=bounded, storage=examples.storage)


def test_no_generated_request_gets_a_server_error(tmp_path: Path) -> None:
    with LiveServer(fuzz_app(tmp_path / "fuzz.db"), token="fuzz-token") as live:
        done = subprocess.run(
            [
                str(SCHEMATHESIS), "run", f"{live.base_url}/openapi.json",
                "--checks", "not_a_server_error",
                "--header", "Authorization: Bearer fuzz-token",
                "--max-examples", "5",
                "--request-timeout", "20",
                "--generation-deterministic",
                "--report-dir", str(tmp_path / "report"),
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=900,
        )  # fmt: skip
    summary = done.stdout[-4000:]
    assert done.returncode == 0, f"schemathesis found problems:\n{summary}\n{done.stderr[-2000:]}"
    assert "Server error" not in done.stdout
