"""Fixtures for the CLI tests: the test app on a fresh SQLite file, an in-process runner
(click's CliRunner) and the real `treadle` console script in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from treadle.cli.app import cli

HERE = Path(__file__).parent
APP_FILE = HERE / "cli_app.py"
APP_TARGET = f"{APP_FILE}:make_app"
DB_ENV = "TREADLE_CLI_TEST_DB"
ROOT = HERE.parents[1]
PROCESS_TIMEOUT_S = 60

Invoke = Callable[..., Result]
Treadle = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture(autouse=True)
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own SQLite file; the test app (and its subprocesses) use it."""
    path = tmp_path / "runs.db"
    monkeypatch.setenv(DB_ENV, str(path))
    monkeypatch.delenv("TREADLE_APP", raising=False)
    monkeypatch.delenv("TREADLE_API_TOKEN", raising=False)
    monkeypatch.delenv("TREADLE_DB", raising=False)
    return path


@pytest.fixture(autouse=True)
def restore_sys_path() -> Iterator[None]:
    """The loader puts the app's folder (and the working directory) on sys.path: undo it."""
    saved = list(sys.path)
    yield
    sys.path[:] = saved


@pytest.fixture
def invoke() -> Invoke:
    """`invoke("run", "greet", ...)`: the CLI in this process, on the test app."""
    runner = CliRunner()

    def call(*args: str, app: str | None = APP_TARGET, stdin: str | None = None) -> Result:
        prefix = ["--app", app] if app is not None else []
        return runner.invoke(cli, [*prefix, *args], input=stdin, catch_exceptions=False)

    return call


@pytest.fixture(scope="session")
def treadle_exe() -> Path:
    """The installed `treadle` console script (installed in editable mode if it is missing)."""
    exe = Path(sys.executable).parent / "treadle"
    if not exe.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "-e", str(ROOT)],
            check=True,
            timeout=600,
        )
    assert exe.exists(), f"the console script was not installed at {exe}"
    return exe


@pytest.fixture
def treadle(treadle_exe: Path, tmp_path: Path) -> Treadle:
    """`treadle("run", "greet", ...)`: the console script in a subprocess, on the test app,
    in tmp_path; returns the finished process (text stdout and stderr)."""

    def call(*args: str, app: str | None = APP_TARGET) -> subprocess.CompletedProcess[str]:
        prefix = ["--app", app] if app is not None else []
        return subprocess.run(
            [str(treadle_exe), *prefix, *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=dict(os.environ),
            timeout=PROCESS_TIMEOUT_S,
        )

    return call


@pytest.fixture
def app_target() -> str:
    """The `--app` value naming the test app."""
    return APP_TARGET
