"""Mastra's own JavaScript client (@mastra/client-js, from the npm registry) drives a live server.

`scripts/clientjs.sh` installs it (with the Node 22 it needs, from the npm `node` package). Without
it this test fails under CI and skips locally with the command to run.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from server.live_server import LiveServer

HERE = Path(__file__).parent
NODE = HERE / "node_modules" / ".bin" / "node"
CLIENT = HERE / "node_modules" / "@mastra" / "client-js"


def node_or_skip() -> Path:
    if NODE.exists() and CLIENT.exists():
        return NODE
    message = "the client-js packages are not installed: run scripts/clientjs.sh"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def test_mastra_client_drives_a_treadle_server(tmp_path: Path) -> None:
    node = node_or_skip()
    from clientjs.app import make_app

    with LiveServer(make_app(tmp_path / "runs.db")) as live:
        done = subprocess.run(
            [str(node), str(HERE / "drive.mjs")],
            cwd=HERE,
            env={**os.environ, "TREADLE_URL": live.base_url},
            capture_output=True,
            text=True,
            timeout=120,
        )
    lines = done.stdout.strip().splitlines()
    assert lines, f"no report from drive.mjs; stderr:\n{done.stderr}"
    report = json.loads(lines[-1])
    assert report["ok"], f"{report.get('error')}\nstderr:\n{done.stderr}"
    assert done.returncode == 0
    assert report["workflows"] == ["approval", "endless", "greeting"]
    assert report["streamed"]["events"] == 6
