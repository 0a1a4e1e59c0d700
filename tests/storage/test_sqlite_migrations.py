"""SQLiteStore on files written at older schema versions: what they held reads as before."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from storage.sqlite_files import journal_of_num as _journal
from storage.sqlite_files import rows as _rows
from treadle.storage import InMemoryStore, RunRecord, SQLiteStore
from treadle.storage import _sqlite_sql as sqlite_sql
from treadle.storage.base import split_snapshot
from treadle.storage.migrate import load_migrations, run_migrations

WF = "wf"
T0 = 1_700_000_000_000
MIGRATIONS = load_migrations("treadle.storage", "migrations", "sqlite")

# One journal row of schema 2 to 6: (seq, key, record, path_entry, patch, updated_at).
OldRow = tuple[int, str, dict[str, Any], str | None, dict[str, Any] | None, int | None]


def _old_file(db: Path, version: int) -> sqlite3.Connection:
    """A new file at schema `version`: the migrations up to it, as a store of that version
    applied them (foreign keys on)."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    run_migrations(sqlite_sql.executor(conn), [m for m in MIGRATIONS if m.version <= version])
    return conn


def _old_run(
    conn: sqlite3.Connection,
    record: RunRecord,
    *,
    watermark: int = 0,
    steps: Mapping[str, dict[str, Any]] | None = None,
    journal: Sequence[OldRow] = (),
) -> None:
    """A run as a store of schema 3 to 6 wrote it: its `runs` row (the head with its path),
    its compacted records in `steps`, its journal rows."""
    head, _ = split_snapshot(record.snapshot, {})
    wf, rid = record.workflow_name, record.run_id
    columns = (
        wf, rid, record.resource_id, record.status, record.version, record.created_at,
        record.updated_at, record.wake_at, record.waiting_event, record.lease_owner,
        record.lease_until, watermark, sqlite_sql.encode_plain(head),
    )  # fmt: skip
    conn.execute(
        "INSERT INTO runs (workflow_name, run_id, resource_id, status, version, schema_version, "
        "created_at, updated_at, wake_at, waiting_event, lease_owner, lease_until, journal_seq, "
        "head) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
        columns,
    )
    conn.executemany(
        "INSERT INTO steps (workflow_name, run_id, key, seq, record) VALUES (?, ?, ?, ?, ?)",
        [
            (wf, rid, key, seq, _text(value))
            for seq, (key, value) in enumerate((steps or {}).items(), 1)
        ],
    )
    conn.executemany(
        "INSERT INTO journal (workflow_name, run_id, seq, key, record, path_entry, patch, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (wf, rid, seq, key, _text(value), entry, _text(patch), at)
            for seq, key, value, entry, patch, at in journal
        ],
    )


def _text(value: dict[str, Any] | None) -> str | None:
    return None if value is None else sqlite_sql.encode_plain(value)


def _rec(n: int) -> dict[str, Any]:
    return {"status": "success", "output": {"n": n}, "startedAt": T0 + n}


def _run(
    run_id: str,
    status: str,
    context: dict[str, Any],
    path: list[str],
    workflow_name: str = WF,
    **columns: Any,
) -> RunRecord:
    snapshot = {
        "runId": run_id,
        "status": status,
        "value": {"v": 0},
        "context": {"input": {"n": 1}, **context},
        "stepExecutionPath": path,
        "suspendedPaths": {},
        "timestamp": T0,
    }
    return RunRecord(workflow_name, run_id, status, snapshot, **columns)


async def _same(store: SQLiteStore, memory: InMemoryStore, runs: Sequence[tuple[str, str]]) -> None:
    """The store reads back what the reference store holds: loads, lists, the due list."""
    for wf, run_id in runs:
        got, want = await store.load_run(wf, run_id), await memory.load_run(wf, run_id)
        assert got == want, run_id
        if got is not None and want is not None:
            assert list(got.snapshot) == list(want.snapshot)
            assert list(got.snapshot["context"]) == list(want.snapshot["context"])
    assert await store.list_runs(WF) == await memory.list_runs(WF)
    assert await store.list_runs() == await memory.list_runs()
    paged = {"page": 1, "per_page": 2}
    assert await store.list_runs(WF, **paged) == await memory.list_runs(WF, **paged)
    assert await store.list_due_runs(T0 + 1000) == await memory.list_due_runs(T0 + 1000)


async def test_a_0006_file_opens_under_0007_as_it_was(tmp_path: Path) -> None:
    """Runs with journal rows up to the watermark and after it, a folded run, waiting runs
    (one with a journaled updated_at that decides the due order), signals and events: after
    0007 they load, list and come due exactly as before, and keep working."""
    db = tmp_path / "old.db"
    conn = _old_file(db, 6)
    memory = InMemoryStore()
    # a: s0 compacted in `steps`, s1-s3 journaled up to the watermark (the head holds their
    # path entries), then s4 (with a patch) and s2 again after it
    context = {f"s{n}": _rec(n) for n in range(4)}
    a = _run(
        "a",
        "suspended",
        context,
        list(context),
        resource_id="res",
        created_at=T0 + 1,
        updated_at=T0 + 3,
    )
    await memory.save_run(a)
    await memory.save_step(
        WF, "a", "s4", _rec(4), path_entry="s4", patch={"value": {"v": 4}}, updated_at=T0 + 4
    )
    await memory.save_step(WF, "a", "s2", _rec(22), path_entry="s2", updated_at=T0 + 5)
    _old_run(
        conn,
        a,
        watermark=3,
        steps={"s0": _rec(0)},
        journal=[
            (1, "s1", _rec(1), "s1", None, T0 + 1),
            (2, "s2", _rec(2), "s2", None, T0 + 2),
            (3, "s3", _rec(3), "s3", None, T0 + 3),
            (4, "s4", _rec(4), "s4", {"value": {"v": 4}}, T0 + 4),
            (5, "s2", _rec(22), "s2", None, T0 + 5),
        ],
    )
    # f: ended and folded: its records in `steps`, its journal (up to seq 7) deleted
    f = _run(
        "f",
        "success",
        {"k1": _rec(1), "k2": _rec(2)},
        ["k1", "k2", "k1"],
        created_at=T0 + 2,
        updated_at=T0 + 9,
    )
    await memory.save_run(f)
    _old_run(conn, f, watermark=7, steps={"k1": _rec(1), "k2": _rec(2)})
    # w: waiting for a time; its runs row says updated_at T0+5, its journal T0+50
    w = _run(
        "w",
        "waiting",
        {"x1": _rec(1)},
        ["x1"],
        created_at=T0 + 3,
        updated_at=T0 + 5,
        wake_at=T0 + 100,
    )
    await memory.save_run(w)
    await memory.save_step(WF, "w", "x2", _rec(2), path_entry="x2", updated_at=T0 + 50)
    await memory.push_signal(WF, "w", "other", {"k": 1})
    _old_run(
        conn,
        w,
        watermark=1,
        journal=[
            (1, "x1", _rec(1), "x1", None, T0 + 4),
            (2, "x2", _rec(2), "x2", None, T0 + 50),
        ],
    )
    # v: waiting for a signal it has (updated_at T0+10: due before w, not after it)
    v = _run("v", "waiting", {}, [], created_at=T0 + 4, updated_at=T0 + 10, waiting_event="go")
    await memory.save_run(v)
    await memory.push_signal(WF, "v", "go", {"n": 1})
    _old_run(conn, v)
    conn.executemany(
        "INSERT INTO signals (workflow_name, run_id, name, data) VALUES (?, ?, ?, ?)",
        [(WF, "w", "other", '{"k":1}'), (WF, "v", "go", '{"n":1}')],
    )
    # the same run id in another workflow, journaled after its watermark
    b = _run("a", "running", {}, [], workflow_name="wf2", created_at=T0 + 5, updated_at=T0 + 5)
    await memory.save_run(b)
    await memory.save_step("wf2", "a", "z", _rec(9), path_entry="z", updated_at=T0 + 7)
    _old_run(conn, b, journal=[(1, "z", _rec(9), "z", None, T0 + 7)])
    events = [(n, {"type": "workflow-step-result", "runId": "a", "n": n}) for n in (1, 2)]
    await memory.append_events(WF, "a", events)
    conn.executemany(
        "INSERT INTO events (workflow_name, run_id, seq, type, event) VALUES (?, 'a', ?, ?, ?)",
        [(WF, n, e["type"], sqlite_sql.encode(e)) for n, e in events],
    )
    nums = conn.execute("SELECT rowid, workflow_name, run_id FROM runs ORDER BY rowid").fetchall()
    old_journal = conn.execute(
        "SELECT r.rowid, j.seq, j.key, j.record, j.path_entry, j.patch, j.updated_at "
        "FROM journal AS j JOIN runs AS r USING (workflow_name, run_id) ORDER BY r.rowid, j.seq"
    ).fetchall()
    conn.close()

    store = SQLiteStore(db)
    runs = [(WF, "a"), (WF, "f"), (WF, "w"), (WF, "v"), ("wf2", "a")]
    await _same(store, memory, runs)
    assert [r.run_id for r in await store.list_due_runs(T0 + 1000)] == ["v", "w"]
    assert _rows(db, "SELECT max(version) FROM treadle_migrations") == [(7,)]
    # every run keeps its rowid as its number; every journal row is copied to its range
    assert _rows(db, "SELECT num, workflow_name, run_id FROM runs ORDER BY num") == nums
    assert [n for n, _, _ in nums] == [1, 2, 3, 4, 5]
    copied = "SELECT id >> 32, id & 4294967295, key, record, path_entry, patch, updated_at"
    assert _rows(db, f"{copied} FROM journal ORDER BY id") == old_journal
    assert _rows(db, "PRAGMA foreign_key_check") == []
    assert _rows(db, "PRAGMA integrity_check") == [("ok",)]
    indexes = _rows(db, "SELECT name FROM sqlite_master WHERE tbl_name = 'runs'")
    assert {"runs_by_created", "runs_due"} <= {name for (name,) in indexes}
    for s in (store, memory):
        assert await s.load_events(WF, "a") == events
        assert await s.pop_signal(WF, "v", "go") == (True, {"n": 1})

    # ... and keeps working: steps, head writes, the fold at the end, deletes, new runs
    for s in (store, memory):
        await s.save_step(WF, "a", "s5", _rec(5), path_entry="s5", updated_at=T0 + 6)
        loaded = await s.load_run(WF, "a")
        assert loaded is not None
        loaded.status = loaded.snapshot["status"] = "running"
        await s.save_run(loaded, steps={})
        await s.save_step(WF, "f", "late", _rec(8), path_entry="late")
        await s.save_step("wf2", "a", "z2", _rec(10), path_entry="z2")
    assert _journal(db, 1)[-1] == (6, "s5")
    assert _rows(db, "SELECT journal_seq FROM runs WHERE num = 1") == [(6,)]
    assert _journal(db, 2) == [(8, "late")]  # after the folded watermark, not at 1
    assert _journal(db, 5) == [(1, "z"), (2, "z2")]
    await _same(store, memory, runs)
    for s in (store, memory):
        ended = await s.load_run(WF, "a")
        assert ended is not None
        ended.status = ended.snapshot["status"] = "success"
        await s.save_run(ended, steps={})  # s2 twice in the journal: folded
    assert _journal(db, 1) == []
    assert _rows(db, "SELECT key FROM steps WHERE run_id = 'a' ORDER BY seq") == [
        ("s0",),
        ("s1",),
        ("s2",),
        ("s3",),
        ("s4",),
        ("s5",),
    ]
    await _same(store, memory, runs)
    for s in (store, memory):
        await s.delete_run(WF, "w")
    assert _journal(db, 3) == []
    assert _rows(db, "SELECT count(*) FROM signals WHERE run_id = 'w'") == [(0,)]
    for s in (store, memory):
        await s.save_run(_run("n", "running", {}, [], created_at=T0 + 6, updated_at=T0 + 6))
        await s.save_step(WF, "n", "m", _rec(1), path_entry="m", updated_at=T0 + 7)
    assert _rows(db, "SELECT num FROM runs WHERE run_id = 'n'") == [(6,)]
    assert _journal(db, 6) == [(1, "m")]
    await _same(store, memory, [*runs, (WF, "n")])
    await store.close()


async def test_a_0003_file_opens_under_0004_with_empty_logs(tmp_path: Path) -> None:
    """A database at schema version 3 gains the events table on first open (and the rest up
    to the latest): every run is kept as it was and starts with an empty log."""
    db = tmp_path / "old.db"
    conn = _old_file(db, 3)
    memory = InMemoryStore()
    r1 = _run("r1", "suspended", {"fetch": _rec(1)}, ["fetch"], created_at=T0, updated_at=T0)
    await memory.save_run(r1)
    await memory.save_step(WF, "r1", "late", _rec(2), path_entry="late", updated_at=T0 + 5)
    _old_run(
        conn,
        r1,
        watermark=1,
        journal=[
            (1, "fetch", _rec(1), None, None, None),
            (2, "late", _rec(2), "late", None, T0 + 5),
        ],
    )
    r2 = _run("r2", "success", {"a": _rec(3)}, ["a"], created_at=T0 + 1, updated_at=T0 + 1)
    await memory.save_run(r2)
    _old_run(conn, r2, steps={"a": _rec(3)})
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert "events" not in tables
    store = SQLiteStore(db)
    for run_id in ("r1", "r2"):
        assert await store.load_run(WF, run_id) == await memory.load_run(WF, run_id)
    latest = MIGRATIONS[-1].version
    assert _rows(db, "SELECT max(version) FROM treadle_migrations") == [(latest,)]
    for run_id in ("r1", "r2"):
        assert await store.load_events(WF, run_id) == []
        assert await store.last_event_seq(WF, run_id) == 0
    events = [(n, {"type": "log", "n": n}) for n in (1, 2, 3)]
    await store.append_events(WF, "r1", events)
    assert await store.load_events(WF, "r1") == events
    assert await store.load_events(WF, "r2") == []
    await store.delete_run(WF, "r1")  # the foreign key's cascade holds on the migrated file
    assert _rows(db, "SELECT count(*) FROM events") == [(0,)]
    assert _journal(db, 1) == []
    await store.close()


def test_0007_refuses_to_run_with_foreign_keys_on(tmp_path: Path) -> None:
    """With foreign keys on, rebuilding `runs` would cascade to every run's steps, signals
    and events: the migration fails before it and the file stays at version 6."""
    db = tmp_path / "old.db"
    conn = _old_file(db, 6)
    _old_run(conn, _run("a", "running", {}, []), steps={"s": _rec(1)})
    conn.execute(
        "INSERT INTO signals (workflow_name, run_id, name, data) VALUES (?, 'a', 'go', '1')", (WF,)
    )
    with pytest.raises(sqlite3.IntegrityError, match="0007 needs PRAGMA foreign_keys = OFF"):
        run_migrations(sqlite_sql.executor(conn), MIGRATIONS)
    assert not conn.in_transaction
    assert conn.execute("SELECT max(version) FROM treadle_migrations").fetchall() == [(6,)]
    assert conn.execute("SELECT count(*) FROM steps").fetchall() == [(1,)]
    assert conn.execute("SELECT count(*) FROM signals").fetchall() == [(1,)]
    conn.close()


async def test_a_0004_file_opens_under_0005_and_its_waiting_runs_stay_due(tmp_path: Path) -> None:
    """0005 keeps only waiting runs in `runs_due`; 0007 rebuilds the index on the new table."""
    db = tmp_path / "old.db"
    conn = _old_file(db, 4)
    _old_run(conn, _run("sleeping", "waiting", {}, [], wake_at=T0 + 10))
    _old_run(conn, _run("later", "waiting", {}, [], wake_at=T0 + 99))
    _old_run(conn, _run("busy", "running", {}, []))
    conn.close()
    store = SQLiteStore(db)
    assert [r.run_id for r in await store.list_due_runs(T0 + 50)] == ["sleeping"]
    (sql,), *_ = _rows(db, "SELECT sql FROM sqlite_master WHERE name = 'runs_due'")
    assert "WHERE status = 'waiting'" in sql
    indexed = "SELECT count(*) FROM runs INDEXED BY runs_due WHERE status = 'waiting'"
    assert _rows(db, indexed) == [(2,)]
    woke = await store.load_run(WF, "sleeping")
    assert woke is not None
    woke.status = woke.snapshot["status"] = "running"
    await store.save_run(woke)  # it leaves the index
    assert [r.run_id for r in await store.list_due_runs(T0 + 500)] == ["later"]
    assert _rows(db, indexed) == [(1,)]
    await store.close()
