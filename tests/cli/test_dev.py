"""`treadle dev`: prints its URLs, serves the API on the chosen port, stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

DEADLINE_S = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_api(url: str, process: subprocess.Popen, headers: dict[str, str] | None = None):
    """Poll until the server answers (it is a separate process: nothing to await but its port)."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        assert process.poll() is None, "the server exited early"
        try:
            return httpx.get(url, headers=headers, timeout=5)
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"{url} never answered"
            time.sleep(0.05)


def start_dev(treadle_exe: Path, cwd: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(treadle_exe), "dev", *args],
        cwd=cwd,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen) -> tuple[str, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        return process.communicate(timeout=DEADLINE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def test_dev_serves_the_app_and_stops_cleanly(treadle_exe, app_target, tmp_path):
    port = free_port()
    process = start_dev(treadle_exe, tmp_path, app_target, "--port", str(port))
    try:
        answer = wait_for_api(f"http://127.0.0.1:{port}/api/workflows", process)
    finally:
        out, err = stop(process)

    assert answer.status_code == 200
    assert {"greet", "approve", "explode", "hang", "nested-approve"} <= set(answer.json())
    assert process.returncode == 0, err
    lines = out.splitlines()
    base = f"http://127.0.0.1:{port}"
    assert lines[0].startswith(f"Treadle dev server for {app_target}")
    assert lines[1:4] == [
        f"  Studio:   {base}/",
        f"  API:      {base}/api",
        f"  OpenAPI:  {base}/openapi.json  (interactive docs: {base}/docs)",
    ]


def test_dev_with_a_generated_token_and_no_studio(treadle_exe, app_target, tmp_path):
    port = free_port()
    process = start_dev(treadle_exe, tmp_path, "--port", str(port), "--token", "--no-studio")
    url = f"http://127.0.0.1:{port}/api/workflows"
    try:
        refused = wait_for_api(url, process)
        token = _printed_token(process)
        allowed = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
    finally:
        out, err = stop(process)

    assert refused.status_code == 401
    assert allowed.status_code == 200
    assert "approval" in allowed.json()  # no APP: the bundled examples
    assert "Studio:" not in out
    assert process.returncode == 0, err


def _printed_token(process: subprocess.Popen) -> str:
    """The token from the `  Token:    <token>  (...)` line, printed before serving began."""
    assert process.stdout is not None
    for _ in range(6):
        line = process.stdout.readline()
        if line.startswith("  Token:"):
            return line.split()[1]
    pytest.fail("no token line was printed")


def test_dev_reports_a_busy_port(treadle, app_target):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        done = treadle("dev", app_target, "--port", str(port), app=None)

    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr


def test_dev_rejects_port_zero(treadle, app_target):
    done = treadle("dev", app_target, "--port", "0", app=None)

    assert done.returncode == 2
    assert "--port" in done.stderr
