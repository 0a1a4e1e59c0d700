"""Ctrl-C during `treadle run` cancels the run cleanly (exit 130), and the progress line drawn
on a terminal (and only there)."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path

DEADLINE_S = 30.0


def read_until(fd: int, marker: bytes, seen: bytearray) -> None:
    """Read `fd` into `seen` until `marker` appears (the process prints it when it is ready)."""
    deadline = time.monotonic() + DEADLINE_S
    while marker not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"{marker!r} never came; got {bytes(seen)!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 4096)
            assert chunk, f"the stream closed before {marker!r}; got {bytes(seen)!r}"
            seen += chunk


def stop(process: subprocess.Popen) -> None:
    """After a failed assertion: do not leave the process behind."""
    if process.poll() is None:
        process.kill()
        process.wait()


def start_hanging_run(treadle_exe: Path, app_target: str, cwd: Path, **streams) -> subprocess.Popen:
    return subprocess.Popen(
        [str(treadle_exe), "--app", app_target, "run", "hang"],
        cwd=cwd,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        **streams,
    )


def test_ctrl_c_cancels_the_run_and_exits_130(treadle_exe, app_target, tmp_path, treadle):
    process = start_hanging_run(treadle_exe, app_target, tmp_path, stderr=subprocess.PIPE)
    try:
        seen = bytearray()
        read_until(process.stdout.fileno(), b"  wait-forever started\n", seen)

        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=DEADLINE_S)
    finally:
        stop(process)

    assert process.returncode == 130, err
    stdout = (bytes(seen) + out).decode()
    assert "  wait-forever canceled after" in stdout
    assert "status: canceled" in stdout
    assert "canceling the run" in err.decode()
    assert "\x1b" not in err.decode()  # not a terminal: no progress line
    run_id = stdout.splitlines()[0].split()[1]
    shown = treadle("runs", "show", run_id, "--json")
    state = json.loads(shown.stdout)
    assert state["status"] == "canceled"
    assert state["steps"]["wait-forever"]["status"] == "canceled"


def test_progress_line_on_a_terminal(treadle_exe, app_target, tmp_path):
    leader, follower = pty.openpty()
    try:
        process = start_hanging_run(treadle_exe, app_target, tmp_path, stderr=follower)
        os.close(follower)
        seen = bytearray()
        read_until(leader, b"running: wait-forever", seen)
        assert b"\r\x1b[2K" in seen  # drawn in place
        assert b"s]" in seen  # the elapsed time, e.g. "[0.5s]"

        process.send_signal(signal.SIGINT)
        process.communicate(timeout=DEADLINE_S)
    finally:
        stop(process)
        os.close(leader)

    assert process.returncode == 130
