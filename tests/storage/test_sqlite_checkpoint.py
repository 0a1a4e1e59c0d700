"""SQLiteStore's checkpoints: run on a thread of their own, never in a step's commit."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from treadle.storage import RunRecord, SQLiteStore
from treadle.storage import _sqlite_checkpoint as checkpoint_module
from treadle.storage._sqlite_checkpoint import BACKSTOP_PAGES, Checkpointer

WF = "wf"
T0 = 1_700_000_000_000


def _record(run_id: str, status: str = "running", **columns: Any) -> RunRecord:
    snapshot = {"runId": run_id, "status": status, "context": {"input": {"n": 1}}, "value": {}}
    return RunRecord(WF, run_id, status, snapshot, created_at=T0, updated_at=T0, **columns)


def _wal_frames(db: Path) -> tuple[int, int]:
    """(frames in the WAL, frames of it already copied into the database)."""
    conn = sqlite3.connect(db)
    try:
        _, log, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return log, done
    finally:
        conn.close()


def _checkpointer(store: SQLiteStore) -> Checkpointer:
    found = store._checkpointer  # pyright: ignore[reportPrivateUsage]
    assert found is not None
    return found


async def test_the_store_connection_leaves_checkpoints_to_the_thread(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "t.db")
    await store.save_run(_record("r1"))
    cur = store._cur  # pyright: ignore[reportPrivateUsage]
    assert cur is not None
    assert cur.execute("PRAGMA wal_autocheckpoint").fetchone() == (BACKSTOP_PAGES,)
    await store.close()


async def test_writes_are_checkpointed_by_the_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoint_module, "CHECKPOINT_EVERY", 8)
    db = tmp_path / "t.db"
    store = SQLiteStore(db)
    await store.save_run(_record("r1"))
    checkpointer = _checkpointer(store)
    assert checkpointer._thread is None  # pyright: ignore[reportPrivateUsage]
    checkpointed = checkpointer.checkpointed
    for i in range(7):  # with save_run's, the 8th operation asks for a checkpoint
        await store.save_step(WF, "r1", f"s{i}", {"status": "success", "output": i})
    assert checkpointed.wait(10), "no checkpoint ran"
    thread = checkpointer._thread  # pyright: ignore[reportPrivateUsage]
    assert thread is not None and thread is not threading.current_thread()
    log, done = _wal_frames(db)
    assert log > 0 and done == log  # everything written so far is in the database file
    record = await store.load_run(WF, "r1")
    assert record is not None and [k for k in record.snapshot["context"] if k != "input"] == [
        f"s{i}" for i in range(7)
    ]
    await store.close()
    assert not thread.is_alive()
    assert store._checkpointer is None  # pyright: ignore[reportPrivateUsage]


async def test_an_idle_thread_ends_and_a_new_request_starts_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoint_module, "IDLE_S", 0.01)
    store = SQLiteStore(tmp_path / "t.db")
    await store.save_run(_record("r1"))
    checkpointer = _checkpointer(store)
    checkpointer.request()
    first = checkpointer._thread  # pyright: ignore[reportPrivateUsage]
    assert first is not None
    first.join(10)
    assert not first.is_alive()
    assert checkpointer._thread is None  # pyright: ignore[reportPrivateUsage]
    checkpointer.checkpointed.clear()
    checkpointer.request()
    assert checkpointer.checkpointed.wait(10)
    second = checkpointer._thread  # pyright: ignore[reportPrivateUsage]
    assert second is not None and second is not first
    await store.close()
    assert not second.is_alive()


async def test_a_closed_checkpointer_starts_no_thread(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "t.db")
    await store.save_run(_record("r1"))
    checkpointer = _checkpointer(store)
    await store.close()
    checkpointer.request()
    assert checkpointer._thread is None  # pyright: ignore[reportPrivateUsage]
    # The store reopens the file on its next use, with a checkpointer of its own.
    assert await store.load_run(WF, "r1") is not None
    assert _checkpointer(store) is not checkpointer
    await store.close()


async def test_a_memory_database_has_no_checkpointer() -> None:
    store = SQLiteStore(":memory:")
    await store.save_run(_record("r1"))
    assert store._checkpointer is None  # pyright: ignore[reportPrivateUsage]
    await store.close()
