"""Fixtures for the durability tests: worker processes and a store (SQLite file or a fresh
PostgreSQL schema) that they share.

Postgres: `eval "$(scripts/postgres.sh start)"` exports TREADLE_TEST_POSTGRES_DSN. Without it the
Postgres cases skip locally and FAIL under CI (env `CI`), so CI never passes by skipping them.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pg_support import admin, dsn_or_skip

WORKER = Path(__file__).with_name("worker.py")
LINE_TIMEOUT_S = 30.0


# -- Postgres ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """The DSN of the test database, from TREADLE_TEST_POSTGRES_DSN."""
    return dsn_or_skip()


@pytest.fixture
def postgres_schema(postgres_dsn: str) -> Iterator[str]:
    """A fresh, empty schema for this test alone (dropped afterwards). Sync (its own short event
    loop), so the sync `store_spec` fixture can request it by parameter."""
    name = f"t_{secrets.token_hex(6)}"
    asyncio.run(admin(postgres_dsn, f'CREATE SCHEMA "{name}"'))
    yield name
    asyncio.run(admin(postgres_dsn, f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


# -- the shared store -------------------------------------------------------------------------------
@dataclass
class StoreSpec:
    """How the workers (`spec`) and the test (`open()`) reach the same store."""

    kind: str
    spec: str
    sqlite_path: Path | None = None
    dsn: str | None = None
    schema: str | None = None

    def open(self) -> Any:
        if self.kind == "sqlite":
            from treadle.storage import SQLiteStore

            return SQLiteStore(self.sqlite_path)
        from treadle.storage import PostgresStore

        assert self.dsn is not None and self.schema is not None
        return PostgresStore(self.dsn, schema=self.schema)


@pytest.fixture(params=["sqlite", "postgres"])
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> StoreSpec:
    if request.param == "sqlite":
        path = tmp_path / "runs.db"
        return StoreSpec("sqlite", f"sqlite:{path}", sqlite_path=path)
    dsn: str = request.getfixturevalue("postgres_dsn")
    schema: str = request.getfixturevalue("postgres_schema")
    return StoreSpec("postgres", f"postgres:{dsn}|{schema}", dsn=dsn, schema=schema)


@pytest.fixture
async def store(store_spec: StoreSpec) -> AsyncIterator[Any]:
    """The test's own connection to the store the workers use (closed after the test)."""
    s = store_spec.open()
    yield s
    await s.close()


# -- worker processes -------------------------------------------------------------------------------
class Worker:
    """One `python worker.py <command> <spec> <args>` process. Its stdout is read line by line by
    a thread; `expect()` blocks (bounded) until a line with the wanted event arrives."""

    def __init__(
        self, command: str, spec: str, args: dict[str, Any], env: dict[str, str], log_dir: Path
    ) -> None:
        self.command = command
        self.stderr_path = log_dir / f"worker-{command}-{secrets.token_hex(3)}.stderr"
        self._stderr = self.stderr_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER), command, spec, json.dumps(args)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, **env},
        )
        self.lines: list[dict[str, Any]] = []
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            text = raw.decode(errors="replace").strip()
            if not text:
                continue
            try:
                line = json.loads(text)
            except ValueError:
                line = {"event": "garbage", "text": text}
            self._queue.put(line)
        self._queue.put(None)  # EOF

    def expect(self, *events: str, timeout: float = LINE_TIMEOUT_S) -> dict[str, Any]:
        """The next line whose event is one of `events`; fails on a crash line, EOF or
        timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self._queue.get(timeout=max(left, 0.001))
            except queue.Empty:
                self._dump_stacks()
                pytest.fail(f"{self}: no {events} line within {timeout}s{self._diag()}")
            if line is None:
                self._queue.put(None)  # keep EOF visible to later calls
                pytest.fail(f"{self}: exited before printing {events}{self._diag()}")
            self.lines.append(line)
            if line["event"] in events:
                return line
            if line["event"] in ("crash", "garbage", "timeout", "unexpected"):
                pytest.fail(f"{self}: {line}{self._diag()}")

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        """SIGKILL this worker (by its pid) and reap it."""
        self.proc.kill()
        self.proc.wait(timeout=LINE_TIMEOUT_S)

    def finish(self, timeout: float = LINE_TIMEOUT_S) -> int:
        """Wait for the "exit" line and the process's end; returns its exit code."""
        self.expect("exit", timeout=timeout)
        return self.proc.wait(timeout=timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=LINE_TIMEOUT_S)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()
        self._stderr.close()

    def _dump_stacks(self) -> None:
        """Ask a hung worker for its thread and task stacks (SIGUSR1, see worker.py), then
        kill it, so its stderr is complete when `_diag` reads it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)
            try:
                self.proc.wait(timeout=1)  # diagnostics only: it normally keeps running
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=LINE_TIMEOUT_S)

    def _diag(self) -> str:
        try:
            err = self.stderr_path.read_text(errors="replace")[-4000:]
        except OSError:
            err = ""
        return f"\nlines so far: {self.lines}\nstderr:\n{err}"

    def __repr__(self) -> str:
        return f"<worker {self.command} pid={self.proc.pid}>"


@pytest.fixture
def side_effects(tmp_path: Path) -> Path:
    """The file the workers' steps append their names to."""
    return tmp_path / "side-effects.txt"


@pytest.fixture
def spawn(
    store_spec: StoreSpec, side_effects: Path, tmp_path: Path
) -> Iterator[Callable[..., Worker]]:
    """`spawn(command, lease_ms=None, env=None, **args)` starts a worker on this test's store
    (`lease_ms` replaces treadle.persistence.LEASE_MS in it; `env` adds variables)."""
    workers: list[Worker] = []

    def make(
        command: str, lease_ms: int | None = None, env: dict[str, str] | None = None, **args: Any
    ) -> Worker:
        env = {"SIDE_EFFECTS": str(side_effects), **(env or {})}
        if lease_ms is not None:
            env["LEASE_MS"] = str(lease_ms)
        worker = Worker(command, store_spec.spec, args, env, tmp_path)
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.close()
