"""SQLiteStore: durability, compare-and-set, locking, migrations (real files under tmp_path)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from storage.journal_runs import end_a_flat_run, end_a_loop
from storage.sqlite_files import journal_of as _journal_rows
from storage.sqlite_files import rows as _rows
from treadle.errors import RunNotFoundError, RunStateError, SnapshotVersionError, StorageError
from treadle.storage import InMemoryStore, RunRecord, SQLiteStore
from treadle.storage import _sqlite_sql as sqlite_sql
from treadle.storage import sqlite as sqlite_module
from treadle.storage.migrate import Migration, load_migrations, run_migrations

WF = "wf"
T0 = 1_700_000_000_000


def _full(run_id: str, status: str = "suspended") -> dict[str, Any]:
    return {
        "runId": run_id,
        "status": status,
        "context": {
            "input": {"city": "Paris", "tags": ["a", "b"]},
            "fetch": {"status": "success", "payload": {}, "output": {"t": 21.5}, "startedAt": T0},
            "plan": {"status": "suspended", "payload": None, "suspendPayload": {"why": "ok"}},
        },
        "value": {"count": 2, "flag": False, "big": 2**70},
        "stepExecutionPath": ["fetch", "plan", "fetch"],
        "suspendedPaths": {"plan": [1]},
        "resumeLabels": {},
        "meta": {"é": "ü 🧵"},
        "requestContext": {},
        "timestamp": T0,
        "result": None,
    }


def _record(run_id: str, snapshot: dict[str, Any] | None = None, **columns: Any) -> RunRecord:
    snapshot = snapshot if snapshot is not None else _full(run_id)
    columns.setdefault("created_at", T0)
    columns.setdefault("updated_at", T0)
    status = columns.pop("status", None) or str(snapshot.get("status", "pending"))
    return RunRecord(WF, run_id, status, snapshot, **columns)


@pytest.fixture
async def store(tmp_path: Path):
    s = SQLiteStore(tmp_path / "t.db")
    yield s
    await s.close()


async def test_round_trip_matches_memory_store(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    store, memory = SQLiteStore(db), InMemoryStore()
    for s in (store, memory):
        await s.save_run(_record("r1", resource_id="res", wake_at=T0 + 5, lease_owner="w"))
        await s.save_run(_record("pending", {"runId": "pending", "context": {}, "value": {}}))
        await s.save_step(WF, "r1", "late", {"status": "success"}, path_entry="late")
        await s.save_step(WF, "r1", "fetch", {"status": "failed"}, patch={"value": {"n": None}})
    await store.close()
    reopened = SQLiteStore(db)  # durable: a new connection reads it back
    for run_id in ("r1", "pending"):
        got, want = await reopened.load_run(WF, run_id), await memory.load_run(WF, run_id)
        assert got is not None and want is not None
        assert got.snapshot == want.snapshot
        assert list(got.snapshot) == list(want.snapshot)
        assert list(got.snapshot["context"]) == list(want.snapshot["context"])
        assert got == want
    pending = await reopened.load_run(WF, "pending")
    assert pending is not None
    assert pending.snapshot == {"runId": "pending", "context": {}, "value": {}}
    await reopened.close()


async def test_memory_database(tmp_path: Path) -> None:
    store = SQLiteStore(":memory:")
    await store.save_run(_record("r1"))
    loaded = await store.load_run(WF, "r1")
    assert loaded is not None and loaded.snapshot == _full("r1")
    await store.close()


async def test_cas_conflict_writes_nothing(store: SQLiteStore) -> None:
    first = await store.save_run(_record("r1"), expected_version=0)
    assert first.version == 1
    with pytest.raises(RunStateError) as info:
        await store.save_run(_record("r1", status="failed"), expected_version=0)
    assert info.value.code == "WORKFLOW_RUN_VERSION_CONFLICT"
    stale = _record("r1", {"runId": "r1", "status": "failed", "context": {"x": {"s": 1}}})
    with pytest.raises(RunStateError):
        await store.save_run(stale, expected_version=7)
    assert stale.version == 0  # the record is not touched by a refused write
    loaded = await store.load_run(WF, "r1")
    assert loaded is not None
    assert (loaded.version, loaded.snapshot) == (1, _full("r1"))
    second = await store.save_run(_record("r1", status="running"), expected_version=1)
    assert second.version == 2


async def test_thousand_steps_load_in_order(store: SQLiteStore) -> None:
    await store.save_run(_record("big", {"runId": "big", "context": {"input": 1}}))
    keys = [f"s{i % 700}" for i in range(1000)]  # repeated keys: upserts, duplicate path entries
    for i, key in enumerate(keys):
        await store.save_step(WF, "big", key, {"status": "success", "output": i}, path_entry=key)
    loaded = await store.load_run(WF, "big")
    assert loaded is not None
    assert loaded.snapshot["stepExecutionPath"] == keys
    context = loaded.snapshot["context"]
    assert list(context) == ["input", *[f"s{i}" for i in range(700)]]
    assert context["s5"]["output"] == 705 and context["s699"]["output"] == 699
    assert loaded.version == 1


async def test_two_stores_on_one_file_see_each_others_writes(tmp_path: Path) -> None:
    a, b = SQLiteStore(tmp_path / "t.db"), SQLiteStore(tmp_path / "t.db")
    await a.save_run(_record("r1"))
    await b.save_step(WF, "r1", "b-step", {"status": "success"}, path_entry="b-step")
    loaded = await a.load_run(WF, "r1")
    assert loaded is not None
    assert loaded.snapshot["stepExecutionPath"][-1] == "b-step"
    await a.save_run(_record("r1"), expected_version=1)  # version 2, seen by b's CAS
    with pytest.raises(RunStateError):
        await b.save_run(_record("r1", status="running"), expected_version=1)
    await b.push_signal(WF, "r1", "go", {"n": 1})
    assert await a.pop_signal(WF, "r1", "go") == (True, {"n": 1})
    assert await b.pop_signal(WF, "r1", "go") == (False, None)
    await a.delete_run(WF, "r1")
    assert await b.load_run(WF, "r1") is None
    await a.close()
    await b.close()


async def test_locked_database_is_retried_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "t.db"
    store = SQLiteStore(db, busy_timeout_ms=1)
    await store.save_run(_record("r1", {"runId": "r1", "context": {}, "stepExecutionPath": []}))
    backing_off = asyncio.Event()
    real_sleep = asyncio.sleep

    async def observed_sleep(delay: float) -> None:
        backing_off.set()
        await real_sleep(delay)

    monkeypatch.setattr(sqlite_module, "_sleep", observed_sleep)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # hold the write lock
    try:
        first = asyncio.create_task(store.save_step(WF, "r1", "a", {"n": 1}, path_entry="a"))
        await backing_off.wait()
        assert not first.done()
        # a later write queues behind the waiting one instead of overtaking it
        second = asyncio.create_task(store.save_step(WF, "r1", "b", {"n": 2}, path_entry="b"))
        await asyncio.sleep(0)
        assert not second.done()
    finally:
        holder.execute("COMMIT")
        holder.close()
    await asyncio.gather(first, second)
    loaded = await store.load_run(WF, "r1")
    assert loaded is not None
    assert loaded.snapshot["stepExecutionPath"] == ["a", "b"]
    assert loaded.snapshot["context"] == {"a": {"n": 1}, "b": {"n": 2}}
    await store.close()


async def test_lock_never_released_raises_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    store = SQLiteStore(db, busy_timeout_ms=1, lock_wait_ms=30)
    await store.save_run(_record("r1"))
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageError, match=r"t\.db") as info:
            await store.save_step(WF, "r1", "x", {"n": 1}, path_entry="x", patch={"value": 1})
        assert isinstance(info.value.__cause__, sqlite3.OperationalError)
        with pytest.raises(StorageError):
            await store.save_run(_record("r2"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    loaded = await store.load_run(WF, "r1")
    assert loaded is not None and loaded.snapshot == _full("r1")
    assert await store.load_run(WF, "r2") is None
    await store.close()


async def test_failed_write_is_rolled_back(store: SQLiteStore) -> None:
    bad: dict[Any, Any] = {"ok": {}, None: {}}  # NOT NULL key fails after the head was written
    with pytest.raises(StorageError) as info:
        await store.save_run(_record("r1"), steps=bad)
    assert isinstance(info.value.__cause__, sqlite3.IntegrityError)
    assert await store.load_run(WF, "r1") is None
    assert await store.list_runs() == ([], 0)
    with pytest.raises(RunNotFoundError):
        await store.save_step(WF, "r1", "x", {}, path_entry="x")


@pytest.mark.parametrize("stored", [99, "garbage", None])
async def test_unknown_schema_version_refused(tmp_path: Path, stored: object) -> None:
    db = tmp_path / "t.db"
    store = SQLiteStore(db)
    await store.save_run(_record("r1"))
    conn = sqlite3.connect(db, isolation_level=None)
    if stored is None:  # NOT NULL column: rebuild the value as a blob instead
        conn.execute("UPDATE runs SET schema_version = x'00'")
    else:
        conn.execute("UPDATE runs SET schema_version = ?", (stored,))
    conn.close()
    with pytest.raises(SnapshotVersionError):
        await store.load_run(WF, "r1")
    with pytest.raises(SnapshotVersionError):
        await store.list_runs(WF)
    await store.close()


async def test_migrations_recorded_once(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    versions = [m.version for m in load_migrations("treadle.storage", "migrations", "sqlite")]
    assert versions[0] == 1 and versions == sorted(versions)
    for _ in range(3):
        store = SQLiteStore(db)
        await store.save_run(_record("r1"))
        await store.close()
    recorded = _rows(db, "SELECT version, applied_at FROM treadle_migrations ORDER BY version")
    assert [v for v, _ in recorded] == versions
    assert len({at for _, at in recorded}) >= 1
    tables = {r[0] for r in _rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"runs", "steps", "journal", "signals", "events", "treadle_migrations"} <= tables
    assert "path" not in tables  # moved into the head by 0003
    assert _rows(db, "PRAGMA journal_mode") == [("wal",)]


def test_new_file_opened_by_two_threads_at_once(tmp_path: Path) -> None:
    """Two connections racing to migrate a new file: each migration is applied once."""
    db = tmp_path / "t.db"
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        async def go() -> None:
            store = SQLiteStore(db, busy_timeout_ms=5)
            start.wait()
            await store.save_run(_record(f"r{n}"))
            await store.close()

        try:
            asyncio.run(go())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    versions = load_migrations("treadle.storage", "migrations", "sqlite")
    assert _rows(db, "SELECT count(*) FROM treadle_migrations") == [(len(versions),)]
    assert _rows(db, "SELECT count(*) FROM runs") == [(4,)]


async def test_patch_falls_back_for_keys_and_values_sqlite_json_cannot_take(
    store: SQLiteStore,
) -> None:
    nan_head = _full("r1")
    nan_head["value"] = {"x": float("inf")}  # stored head SQLite's json_set refuses
    await store.save_run(_record("r1", nan_head))
    await store.save_step(WF, "r1", "a", {}, patch={'we"ird\\key': 1, "": 2, "meta": None})
    await store.save_step(WF, "r1", "b", {}, patch={"result": float("nan")})
    loaded = await store.load_run(WF, "r1")
    assert loaded is not None
    snap = loaded.snapshot
    assert snap['we"ird\\key'] == 1 and snap[""] == 2 and snap["meta"] is None
    assert snap["value"] == {"x": float("inf")} and snap["result"] != snap["result"]


def test_migration_runner_applies_pending_in_order_and_rolls_back_a_failure(
    tmp_path: Path,
) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    execute = sqlite_sql.executor(conn)
    one = Migration(
        1, "one", "CREATE TABLE a (x);\n-- a comment; with a semicolon\nINSERT INTO a VALUES (';');"
    )
    two = Migration(2, "two", "CREATE TABLE b (x);")
    assert run_migrations(execute, [one, two]) == [1, 2]
    assert run_migrations(execute, [one, two]) == []
    three = Migration(3, "three", "CREATE TABLE c (x);")
    broken = Migration(4, "broken", "CREATE TABLE d (x); INSERT INTO nowhere VALUES (1);")
    with pytest.raises(sqlite3.OperationalError):
        run_migrations(execute, [one, two, three, broken])
    assert not conn.in_transaction
    assert conn.execute("SELECT version FROM treadle_migrations").fetchall() == [(1,), (2,), (3,)]
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"a", "b", "c"} <= names and "d" not in names  # 4 rolled back whole
    assert conn.execute("SELECT x FROM a").fetchall() == [(";",)]
    conn.close()


async def test_an_app_without_storage_keeps_its_runs_in_treadle_db(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from treadle import Treadle, create_step, create_workflow

    monkeypatch.chdir(tmp_path)

    async def hello(ctx: object) -> dict[str, str]:
        return {"hi": "there"}

    wf = create_workflow(id="hello").then(create_step(id="s", execute=hello)).commit()
    app = Treadle(workflows={"hello": wf})
    run = await wf.create_run()
    assert (await run.start(input_data={})).status == "success"
    await app.storage.close()
    assert (tmp_path / "treadle.db").exists()
    from treadle.storage import SQLiteStore

    again = SQLiteStore(tmp_path / "treadle.db")
    stored = await again.load_run("hello", run.run_id)
    await again.close()
    assert stored is not None and stored.status == "success"


# --- the step journal ------------------------------------------------------------------------


async def _interleaved(store: Any) -> None:
    """save_step calls mixing new and repeated keys, path entries, patches and updated_at."""
    await store.save_run(_record("j", resource_id="res"))
    await store.save_step(WF, "j", "a", {"n": 1}, path_entry="a", updated_at=T0 + 1)
    await store.save_step(WF, "j", "fetch", {"n": 2}, patch={"value": {"v": 1}, "new": [1]})
    await store.save_step(WF, "j", "b", {"n": 3}, path_entry="b")
    await store.save_step(WF, "j", "a", {"n": 4}, path_entry="a", patch={"value": {"v": 2}})
    await store.save_step(WF, "j", "c", {"n": 5}, updated_at=T0 + 9, patch={"meta": None})
    await store.save_step(WF, "j", "b", {"n": 6}, path_entry="b")


async def test_journal_replay_equals_what_was_written(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    store, memory = SQLiteStore(db), InMemoryStore()
    for s in (store, memory):
        await _interleaved(s)
    # the head write's step records first (appended by save_run), then save_step's
    assert [k for _, k in _journal_rows(db, "j")] == [
        "fetch",
        "plan",
        "a",
        "fetch",
        "b",
        "a",
        "c",
        "b",
    ]
    assert [seq for seq, _ in _journal_rows(db, "j")] == [1, 2, 3, 4, 5, 6, 7, 8]
    got, want = await store.load_run(WF, "j"), await memory.load_run(WF, "j")
    assert got is not None and want is not None
    assert got == want
    assert list(got.snapshot) == list(want.snapshot)
    assert list(got.snapshot["context"]) == ["input", "fetch", "plan", "a", "b", "c"]
    assert got.snapshot["stepExecutionPath"] == ["fetch", "plan", "fetch", "a", "b", "a", "b"]
    assert got.snapshot["value"] == {"v": 2} and got.snapshot["meta"] is None
    assert (got.updated_at, got.version) == (T0 + 9, 1)
    assert _rows(db, "SELECT updated_at FROM runs") == [(T0,)]  # the runs row lags
    (listed,), total = await store.list_runs(WF)
    assert total == 1 and listed == got
    await store.close()


async def test_head_writes_keep_the_journal_until_the_run_ends(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    store, memory = SQLiteStore(db), InMemoryStore()
    for s in (store, memory):
        await _interleaved(s)
        loaded = await s.load_run(WF, "j")
        assert loaded is not None
        loaded.snapshot["status"] = "waiting"
        await s.save_run(loaded, steps={"c": {"n": 7}})  # a head write with one step
        await s.save_step(WF, "j", "d", {"n": 8}, path_entry="d", updated_at=T0 + 20)
    # not folded: the step record is appended; the head supersedes rows 1-8 but their records
    assert [k for _, k in _journal_rows(db, "j")][-3:] == ["b", "c", "d"]
    assert _rows(db, "SELECT journal_seq FROM runs") == [(8,)]
    assert _rows(db, "SELECT count(*) FROM steps") == [(0,)]
    got, want = await store.load_run(WF, "j"), await memory.load_run(WF, "j")
    assert got is not None and want is not None
    assert got == want and list(got.snapshot["context"]) == list(want.snapshot["context"])
    assert got.updated_at == T0 + 20
    # the run ends: the journal repeats keys, so it is folded into `steps` and deleted
    for s in (store, memory):
        ended = await s.load_run(WF, "j")
        assert ended is not None
        ended.status = ended.snapshot["status"] = "success"
        await s.save_run(ended, steps={})
    assert _journal_rows(db, "j") == []
    records = _rows(db, "SELECT key, record FROM steps WHERE run_id = 'j' ORDER BY seq")
    assert records == [
        ("fetch", '{"n":2}'),
        ("plan", '{"status":"suspended","payload":null,"suspendPayload":{"why":"ok"}}'),
        ("a", '{"n":4}'),
        ("b", '{"n":6}'),
        ("c", '{"n":7}'),
        ("d", '{"n":8}'),
    ]
    got, want = await store.load_run(WF, "j"), await memory.load_run(WF, "j")
    assert got is not None and want is not None
    assert got == want and list(got.snapshot["context"]) == list(want.snapshot["context"])
    for s in (store, memory):  # numbering goes on after the watermark
        await s.save_step(WF, "j", "e", {"n": 9}, path_entry="e")
    assert _journal_rows(db, "j") == [(11, "e")]
    got, want = await store.load_run(WF, "j"), await memory.load_run(WF, "j")
    assert got == want
    # replace_steps: the journal goes too, only the given records stay
    for s in (store, memory):
        await s.save_run(_record("j"), steps={"z": {"n": 10}}, replace_steps=True)
    assert [k for _, k in _journal_rows(db, "j")] == ["z"]
    assert _rows(db, "SELECT count(*) FROM steps") == [(0,)]
    got, want = await store.load_run(WF, "j"), await memory.load_run(WF, "j")
    assert got is not None and want is not None
    assert got == want and list(got.snapshot["context"]) == ["input", "z"]
    await store.save_step(WF, "j", "y", {})
    await store.delete_run(WF, "j")
    assert _rows(db, "SELECT count(*) FROM journal") == [(0,)]
    await store.close()


async def test_an_ended_loop_is_folded(tmp_path: Path) -> None:
    """A loop-like run writes one key 50 times; its terminal head write folds the journal."""
    db = tmp_path / "t.db"
    store, memory = SQLiteStore(db), InMemoryStore()
    for s in (store, memory):
        await end_a_loop(s, {})
    assert _journal_rows(db, "loop") == []
    assert _rows(db, "SELECT key, record FROM steps ORDER BY seq") == [
        ("body", '{"i":49}'),
        ("after", '{"done":true}'),
    ]
    got, want = await store.load_run(WF, "loop"), await memory.load_run(WF, "loop")
    assert got is not None and want is not None
    assert got == want and list(got.snapshot) == list(want.snapshot)
    assert got.snapshot["stepExecutionPath"] == ["body"] * 50 + ["after"]
    # a run without a repeated key is not folded (its journal is already one row per key)
    for s in (store, memory):
        await end_a_flat_run(s, {})
    assert [k for _, k in _journal_rows(db, "flat")] == ["x"]
    assert await store.load_run(WF, "flat") == await memory.load_run(WF, "flat")
    await store.close()


async def test_head_write_is_one_statement(store: SQLiteStore) -> None:
    await store.save_run(_record("warm", _full("warm", "running")), steps={})
    await store.save_step(WF, "warm", "s", {})  # statements prepared, connection open
    statements: list[str] = []
    conn = store._conn  # pyright: ignore[reportPrivateUsage]
    assert conn is not None
    conn.set_trace_callback(statements.append)
    try:
        new = _record("r1", _full("r1", "pending"))
        await store.save_run(new, steps={})  # a new run's first write
        assert len(statements) == 1, statements
        await store.save_step(WF, "r1", "fetch", {"n": 1}, path_entry="fetch")
        await store.save_step(WF, "r1", "plan", {"n": 2}, path_entry="plan")
        statements.clear()
        new.status = new.snapshot["status"] = "running"
        await store.save_run(new, steps={})  # a head write of an existing run
        assert len(statements) == 1, statements
        statements.clear()
        await store.save_run(new, expected_version=new.version, steps={})  # with the CAS in it
        assert len(statements) == 1, statements
        statements.clear()
        new.status = new.snapshot["status"] = "success"
        await store.save_run(new, steps={})  # the end of a run without a repeated key
        assert len(statements) == 1, statements
    finally:
        conn.set_trace_callback(None)
    assert all(s.startswith("INSERT INTO runs ") for s in statements)
    loaded = await store.load_run(WF, "r1")
    assert loaded is not None and loaded.version == 4
    assert loaded.snapshot["context"]["fetch"] == {"n": 1}


async def test_a_0002_file_with_path_rows_opens_under_0003(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    old = [m for m in load_migrations("treadle.storage", "migrations", "sqlite") if m.version <= 2]
    assert [m.version for m in old] == [1, 2]
    run_migrations(sqlite_sql.executor(conn), old)
    head = {k: v for k, v in _full("r1").items() if k not in ("context", "stepExecutionPath")}
    head["input"] = {"city": "Paris", "tags": ["a", "b"]}
    columns = "workflow_name, run_id, resource_id, status, version, schema_version, "
    columns += "created_at, updated_at, has_path, head"
    for run_id, has_path, path in (("r1", 1, ["fetch", "plan", "fetch"]), ("r2", 1, []),
                                   ("r3", 0, []), ("r4", 0, ["x"])):  # fmt: skip
        conn.execute(
            f"INSERT INTO runs ({columns}) VALUES (?, ?, 'res', 'suspended', 3, 1, ?, ?, ?, ?)",
            (WF, run_id, T0, T0 + 1, has_path, json.dumps({**head, "runId": run_id})),
        )
        conn.executemany(
            "INSERT INTO path VALUES (?, ?, ?, ?)",
            [(WF, run_id, pos, step) for pos, step in enumerate(path)],
        )
        conn.execute(
            "INSERT INTO steps VALUES (?, ?, 'fetch', 1, ?)",
            (WF, run_id, json.dumps(_full(run_id)["context"]["fetch"])),
        )
    # r1's journal since its last head write: a step, a patch, an updated_at
    conn.execute(
        "INSERT INTO journal VALUES (?, 'r1', 1, 'plan', '{\"n\":1}', 'plan', '{\"value\":1}', ?)",
        (WF, T0 + 5),
    )
    conn.close()
    store = SQLiteStore(db)
    got = await store.load_run(WF, "r1")
    assert got is not None
    want = _full("r1")
    want["context"]["plan"] = {"n": 1}
    want["stepExecutionPath"] = ["fetch", "plan", "fetch", "plan"]
    want["value"] = 1
    assert got.snapshot == want
    order = [k for k in head if k != "input"] + ["context", "stepExecutionPath"]
    assert list(got.snapshot) == order  # as the 0002 store assembled it
    assert (got.version, got.updated_at, got.resource_id) == (3, T0 + 5, "res")
    paths = {r.run_id: r.snapshot.get("stepExecutionPath") for r in (await store.list_runs())[0]}
    assert paths == {"r1": want["stepExecutionPath"], "r2": [], "r3": None, "r4": ["x"]}
    tables = {r[0] for r in _rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "path" not in tables
    # the run goes on: journaled rows after the watermark are still replayed, then it ends
    await store.save_step(WF, "r1", "late", {"n": 2}, path_entry="late")
    again = await store.load_run(WF, "r1")
    assert again is not None
    assert again.snapshot["stepExecutionPath"] == [*want["stepExecutionPath"], "late"]
    again.status = again.snapshot["status"] = "success"
    await store.save_run(again, steps={})
    final = await store.load_run(WF, "r1")
    assert final is not None and final.snapshot == again.snapshot
    await store.close()


async def test_journal_survives_a_crash_like_reopen(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    writer, memory = SQLiteStore(db), InMemoryStore()
    for s in (writer, memory):
        await _interleaved(s)
    # no close, no head write: a new store on the file (another process after a crash)
    reader = SQLiteStore(db)
    got, want = await reader.load_run(WF, "j"), await memory.load_run(WF, "j")
    assert got is not None and got == want
    for s in (reader, memory):  # the new store continues the run's journal, then folds it
        await s.save_step(WF, "j", "a", {"n": 11}, path_entry="a")
    assert [seq for seq, _ in _journal_rows(db, "j")] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    got, want = await reader.load_run(WF, "j"), await memory.load_run(WF, "j")
    assert got is not None and got == want
    got.status = "success"
    await reader.save_run(got)  # not tracked by this store: it asks, and folds the repeats
    # rows 1-9 folded; left: the records it was given (steps=None: all of them)
    assert _journal_rows(db, "j") == [(10, "fetch"), (11, "plan"), (12, "a"), (13, "b"), (14, "c")]
    again = await writer.load_run(WF, "j")
    assert again is not None and again.snapshot == got.snapshot and again.version == 2
    await writer.close()
    await reader.close()


async def test_save_step_is_one_statement(store: SQLiteStore) -> None:
    await store.save_run(_record("r1"))
    await store.save_step(WF, "r1", "warm", {})  # statements prepared, connection open
    statements: list[str] = []
    conn = store._conn  # pyright: ignore[reportPrivateUsage]
    assert conn is not None
    conn.set_trace_callback(statements.append)
    try:
        await store.save_step(
            WF, "r1", "new", {"n": 1}, path_entry="new", patch={"value": 1}, updated_at=T0 + 1
        )
        with pytest.raises(RunNotFoundError):
            await store.save_step(WF, "missing", "new", {"n": 1}, path_entry="new")
    finally:
        conn.set_trace_callback(None)
    assert len(statements) == 2, statements  # one each, no BEGIN/COMMIT, no runs lookup
    assert all(s.startswith("INSERT INTO journal ") for s in statements)
    loaded = await store.load_run(WF, "r1")
    assert loaded is not None and loaded.updated_at == T0 + 1 and loaded.snapshot["value"] == 1


def _bare(run_id: str) -> RunRecord:
    """A run without step records (none journaled by its first head write)."""
    return _record(run_id, {"runId": run_id, "context": {}})


async def test_a_run_deleted_and_created_again_elsewhere_gets_its_steps(tmp_path: Path) -> None:
    """A store keeps each run's number to append its steps by it; another process deleting the
    run and creating it again (under another number, or the same one) must not make it
    write into the old run's range, nor into another run's."""
    db = tmp_path / "t.db"
    a, b = SQLiteStore(db), SQLiteStore(db)
    await a.save_run(_bare("keep"))
    await a.save_run(_bare("r1"))  # a knows r1 as number 2
    await a.save_step(WF, "r1", "old", {"n": 1}, path_entry="old")
    await b.delete_run(WF, "r1")
    await b.save_run(_bare("other"))  # now number 2
    await b.save_run(_bare("r1"))
    assert _rows(db, "SELECT run_id, num FROM runs ORDER BY num") == [
        ("keep", 1), ("other", 2), ("r1", 3)
    ]  # fmt: skip
    await a.save_step(WF, "r1", "new", {"n": 2}, path_entry="new")
    await a.save_step(WF, "r1", "next", {"n": 3}, path_entry="next")  # by its new number
    loaded = await b.load_run(WF, "r1")
    assert loaded is not None
    assert loaded.snapshot["context"] == {"new": {"n": 2}, "next": {"n": 3}}
    assert loaded.snapshot["stepExecutionPath"] == ["new", "next"]
    assert _journal_rows(db, "r1") == [(1, "new"), (2, "next")]
    assert _journal_rows(db, "other") == []
    other = await b.load_run(WF, "other")
    assert other is not None and other.snapshot == {"runId": "other", "context": {}}
    # created again under the same number (it was the largest): the old rows went with the run
    await b.delete_run(WF, "r1")
    await b.save_run(_bare("r1"))
    assert _rows(db, "SELECT num FROM runs WHERE run_id = 'r1'") == [(3,)]
    await a.save_step(WF, "r1", "again", {"n": 4}, path_entry="again")
    loaded = await b.load_run(WF, "r1")
    assert loaded is not None
    assert loaded.snapshot["context"] == {"again": {"n": 4}}
    assert loaded.snapshot["stepExecutionPath"] == ["again"]
    await a.close()
    await b.close()


async def test_save_step_on_a_run_deleted_elsewhere_raises_run_not_found(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    a, b = SQLiteStore(db), SQLiteStore(db)
    await a.save_run(_bare("keep"))
    await a.save_run(_bare("r1"))
    await a.save_step(WF, "r1", "s", {"n": 1}, path_entry="s")  # a knows r1's number
    await b.delete_run(WF, "r1")
    for _ in range(2):  # known by number, then forgotten: by key
        with pytest.raises(RunNotFoundError):
            await a.save_step(WF, "r1", "late", {"n": 2}, path_entry="late")
        with pytest.raises(RunNotFoundError):
            await a.save_step(WF, "r1", "late", {"n": 2}, patch={"value": 1})
    assert _rows(db, "SELECT count(*) FROM journal") == [(0,)]
    with pytest.raises(RunNotFoundError):
        await a.save_step(WF, "never", "x", {}, path_entry="x", updated_at=T0)
    await a.close()
    await b.close()


async def test_delete_run_removes_its_journal(store: SQLiteStore, tmp_path: Path) -> None:
    for run_id in ("r1", "r2", "r3"):
        await store.save_run(_record(run_id))
        for key in ("a", "b"):
            await store.save_step(WF, run_id, key, {"n": 1}, path_entry=key, updated_at=T0 + 1)
    await store.delete_run(WF, "r2")
    db = tmp_path / "t.db"
    ranges = "SELECT id >> 32, count(*) FROM journal GROUP BY 1 ORDER BY 1"
    assert _rows(db, ranges) == [(1, 4), (3, 4)]  # its records, then two steps
    await store.delete_run(WF, "r3")  # the largest number: the next run gets 2 again
    await store.save_run(_bare("r4"))
    assert _rows(db, "SELECT num FROM runs WHERE run_id = 'r4'") == [(2,)]
    loaded = await store.load_run(WF, "r4")
    assert loaded is not None and loaded.snapshot["context"] == {}
    assert _rows(db, ranges) == [(1, 4)]


# --- the event log (migration 0004) ------------------------------------------------------------


def _events(seqs: range | list[int], kind: str = "workflow-step-result") -> list[Any]:
    return [(seq, {"type": kind, "runId": "r1", "payload": {"n": seq, "é": "🧵"}}) for seq in seqs]


async def test_append_events_is_one_transaction(store: SQLiteStore) -> None:
    """A batch is one BEGIN IMMEDIATE ... COMMIT around one executemany (no run lookup); one
    entry is one autocommit INSERT."""
    await store.save_run(_record("r1"))
    await store.append_events(WF, "r1", _events([1]))  # statements prepared, connection open
    statements: list[str] = []
    conn = store._conn  # pyright: ignore[reportPrivateUsage]
    assert conn is not None
    conn.set_trace_callback(statements.append)
    try:
        await store.append_events(WF, "r1", _events(range(2, 202)))
        batch, statements[:] = list(statements), []
        await store.append_events(WF, "r1", _events([202]))
        single = list(statements)
    finally:
        conn.set_trace_callback(None)
    assert batch[0] == "BEGIN IMMEDIATE" and batch[-1] == "COMMIT", batch[:2]
    inserts = batch[1:-1]
    assert len(inserts) == 200 and all(s.startswith("INSERT INTO events ") for s in inserts)
    assert len(single) == 1 and single[0].startswith("INSERT INTO events "), single
    assert await store.last_event_seq(WF, "r1") == 202


async def test_a_failed_batch_writes_nothing(tmp_path: Path) -> None:
    """An entry failing in the middle of a batch rolls the whole batch back."""
    db = tmp_path / "t.db"
    store = SQLiteStore(db)
    await store.save_run(_record("r1"))
    await store.append_events(WF, "r1", _events([1]))
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(
        "CREATE TRIGGER no_seven BEFORE INSERT ON events WHEN NEW.seq = 7 "
        "BEGIN SELECT RAISE(ABORT, 'seven refused'); END"
    )
    conn.close()
    with pytest.raises(StorageError, match="seven refused"):
        await store.append_events(WF, "r1", _events(range(2, 11)))
    assert await store.load_events(WF, "r1") == _events([1])
    assert await store.last_event_seq(WF, "r1") == 1
    with pytest.raises(TypeError):  # not JSON: refused before anything is written
        await store.append_events(WF, "r1", [*_events([2]), (3, {"type": "x", "v": {1, 2}})])
    assert await store.last_event_seq(WF, "r1") == 1
    await store.append_events(WF, "r1", _events(range(2, 7)))  # the store goes on
    assert await store.last_event_seq(WF, "r1") == 6
    await store.close()


async def test_append_events_waits_for_a_locked_database(tmp_path: Path) -> None:
    """A batch appended while another connection holds the write lock is retried and written
    whole once the lock is released."""
    db = tmp_path / "t.db"
    store = SQLiteStore(db, busy_timeout_ms=1, lock_wait_ms=5000)
    await store.save_run(_record("r1"))
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    task = asyncio.create_task(store.append_events(WF, "r1", _events(range(1, 51))))
    await asyncio.sleep(0.05)
    assert not task.done()
    holder.execute("ROLLBACK")
    holder.close()
    await asyncio.wait_for(task, 5)
    assert await store.load_events(WF, "r1") == _events(range(1, 51))
    await store.close()
