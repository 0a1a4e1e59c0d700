"""PostgresStore against a real PostgreSQL (see tests/storage/conftest.py)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from storage.journal_runs import end_a_flat_run, end_a_loop
from treadle.errors import RunNotFoundError, RunStateError, StorageError
from treadle.storage.base import RunRecord

WF = "wf"
T0 = 1_700_000_000_000

MakeStore = Callable[..., Any]


def _snapshot(run_id: str, status: str = "suspended") -> dict[str, Any]:
    return {
        "runId": run_id,
        "status": status,
        "context": {
            "input": {"city": "Paris", "n": 3},
            "fetch": {"status": "success", "output": {"temp": 21.5, "big": 1e300}},
            "plan": {"status": "suspended", "suspendPayload": {"why": "approval"}},
        },
        "value": {"count": 2},
        "stepExecutionPath": ["fetch", "plan"],
        "suspendedPaths": {"plan": [1]},
        "meta": {},
        "timestamp": T0,
    }


def _record(run_id: str, snapshot: dict[str, Any] | None = None, **columns: Any) -> RunRecord:
    snap = snapshot if snapshot is not None else _snapshot(run_id)
    columns.setdefault("created_at", T0)
    columns.setdefault("updated_at", T0)
    return RunRecord(WF, run_id, str(snap.get("status", "pending")), snap, **columns)


async def test_round_trip(make_postgres_store: MakeStore) -> None:
    store = make_postgres_store()
    record = _record(
        "r1", resource_id="res", wake_at=T0 + 5, waiting_event="go", lease_owner="w",
        lease_until=T0 + 9,
    )  # fmt: skip
    assert await store.save_run(record) is record
    assert (record.version, record.created_at) == (1, T0)
    loaded = await store.load_run(WF, "r1")
    assert loaded is not None
    assert loaded.snapshot == _snapshot("r1")
    assert type(loaded.snapshot["context"]["fetch"]["output"]["big"]) is float
    assert list(loaded.snapshot["context"]) == ["input", "fetch", "plan"]
    assert (loaded.resource_id, loaded.wake_at, loaded.waiting_event) == ("res", T0 + 5, "go")
    assert (loaded.lease_owner, loaded.lease_until, loaded.version) == ("w", T0 + 9, 1)
    # a pending snapshot gains no keys
    pending = {"runId": "r2", "status": "pending", "context": {}, "value": {}}
    await store.save_run(_record("r2", dict(pending)))
    again = await store.load_run(WF, "r2")
    assert again is not None and again.snapshot == pending
    assert await store.load_run(WF, "missing") is None


async def test_cas_conflict_writes_nothing(make_postgres_store: MakeStore) -> None:
    store = make_postgres_store()
    await store.save_run(_record("r1"))
    stale = _record("r1", {"runId": "r1", "status": "failed", "context": {"x": {"s": 1}}})
    with pytest.raises(RunStateError) as caught:
        await store.save_run(stale, expected_version=5, steps={"fetch": {"status": "x"}})
    assert caught.value.code == "WORKFLOW_RUN_VERSION_CONFLICT"
    with pytest.raises(RunStateError):
        await store.save_run(_record("r1"), expected_version=0)
    loaded = await store.load_run(WF, "r1")
    assert loaded is not None
    assert (loaded.version, loaded.status, loaded.snapshot) == (1, "suspended", _snapshot("r1"))
    ok = _record("r1", _snapshot("r1", "running"))
    await store.save_run(ok, expected_version=1)
    assert ok.version == 2


@pytest.mark.parametrize("expected", [0, 1])
async def test_concurrent_cas_one_winner(make_postgres_store: MakeStore, expected: int) -> None:
    """Two processes (two stores, two connections) race on the same expected_version."""
    setup, a, b = make_postgres_store(), make_postgres_store(), make_postgres_store()
    for round_ in range(10):
        run_id = f"race-{round_}"
        if expected == 1:
            await setup.save_run(_record(run_id))
        writes = [
            store.save_run(_record(run_id, _snapshot(run_id, status)), expected_version=expected)
            for store, status in ((a, "running"), (b, "failed"))
        ]
        results = await asyncio.gather(*writes, return_exceptions=True)
        winners = [r for r in results if isinstance(r, RunRecord)]
        losers = [r for r in results if isinstance(r, RunStateError)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert losers[0].code == "WORKFLOW_RUN_VERSION_CONFLICT"
        loaded = await setup.load_run(WF, run_id)
        assert loaded is not None
        assert loaded.version == expected + 1
        assert loaded.status == winners[0].status


async def test_thousand_steps_load_in_order(make_postgres_store: MakeStore) -> None:
    store = make_postgres_store()
    await store.save_run(_record("big", {"runId": "big", "status": "running", "context": {}}))
    keys = [f"s{i:04d}" for i in range(1000)]
    for i, key in enumerate(keys):
        await store.save_step(
            WF, "big", key, {"status": "success", "output": i}, path_entry=key,
            patch={"value": {"i": i}}, updated_at=T0 + i,
        )  # fmt: skip
    loaded = await store.load_run(WF, "big")
    assert loaded is not None
    assert loaded.snapshot["stepExecutionPath"] == keys
    assert list(loaded.snapshot["context"]) == keys
    assert [r["output"] for r in loaded.snapshot["context"].values()] == list(range(1000))
    assert loaded.snapshot["value"] == {"i": 999}
    assert (loaded.version, loaded.updated_at) == (1, T0 + 999)
    # save_run replaces the path whole, keeps the step records
    short = {"runId": "big", "status": "running", "context": {}, "stepExecutionPath": ["x"]}
    await store.save_run(_record("big", short))
    loaded = await store.load_run(WF, "big")
    assert loaded is not None
    assert loaded.snapshot["stepExecutionPath"] == ["x"]
    assert len(loaded.snapshot["context"]) == 1000
    await store.save_step(WF, "big", "y", {"status": "success"}, path_entry="y")
    loaded = await store.load_run(WF, "big")
    assert loaded is not None and loaded.snapshot["stepExecutionPath"] == ["x", "y"]


async def test_save_step_missing_run(make_postgres_store: MakeStore) -> None:
    store = make_postgres_store()
    with pytest.raises(RunNotFoundError):
        await store.save_step(WF, "nope", "a", {"status": "success"}, path_entry="a")
    assert await store.load_run(WF, "nope") is None


@pytest.mark.parametrize("synchronous", [True, False])
async def test_synchronous_commit_off_is_set_on_the_stores_connections(
    make_postgres_store: MakeStore, synchronous: bool
) -> None:
    store = make_postgres_store(synchronous_commit=synchronous)
    await store.save_run(_record("r1"))
    rows = await store._run(
        "SELECT setting, source FROM pg_settings WHERE name = 'synchronous_commit'", ()
    )
    setting, source = rows[0][0], rows[0][1]
    if synchronous:
        assert source != "client"  # the server's own setting, untouched
    else:
        assert (setting, source) == ("off", "client")
    assert await store.load_run(WF, "r1") is not None


async def test_dropped_connection_is_storage_error(
    make_postgres_store: MakeStore, postgres_dsn: str, postgres_schema: str
) -> None:
    """The store's connection is killed while a call waits on it: StorageError, and the next
    call gets a new connection."""
    import asyncpg

    app = "treadle-drop-test"
    sep = "&" if "?" in postgres_dsn else "?"
    store = make_postgres_store(f"{postgres_dsn}{sep}application_name={app}")
    await store.save_run(_record("r1"))
    admin = await asyncpg.connect(postgres_dsn)
    try:
        # Hold a lock that load_run waits for, so its connection is killed mid-query (an idle
        # connection the server closes is noticed, and replaced, by asyncpg's pool).
        locker = admin.transaction()
        await locker.start()
        await admin.execute(f'LOCK TABLE "{postgres_schema}".treadle_runs IN ACCESS EXCLUSIVE MODE')
        load = asyncio.ensure_future(store.load_run(WF, "r1"))
        for _ in range(500):
            waiting = await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE application_name = $1 AND wait_event_type = 'Lock'",
                app,
            )
            if waiting:
                break
            await asyncio.sleep(0.01)
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1",
            app,
        )
        assert killed >= 1
        with pytest.raises(StorageError) as caught:
            await load
        await locker.rollback()
    finally:
        await admin.close()
    assert isinstance(caught.value.__cause__, asyncpg.InterfaceError | asyncpg.PostgresError)
    # the broken connection was dropped: the store works again
    loaded = await store.load_run(WF, "r1")
    assert loaded is not None and loaded.version == 1


async def test_unreachable_server_is_storage_error() -> None:
    from treadle.storage.postgres import PostgresStore

    store = PostgresStore("postgresql://postgres@127.0.0.1:1/none")
    with pytest.raises(StorageError) as caught:
        await store.load_run(WF, "r1")
    assert isinstance(caught.value.__cause__, OSError)
    await store.close()


async def test_not_json_is_storage_error(make_postgres_store: MakeStore) -> None:
    store = make_postgres_store()
    await store.save_run(_record("r1"))
    with pytest.raises(StorageError, match="not JSON"):
        await store.save_step(WF, "r1", "bad", {"x": object()})
    with pytest.raises(StorageError, match="not JSON"):
        await store.push_signal(WF, "r1", "go", float("nan"))
    await store.push_signal(WF, "r1", "go", None)
    assert await store.pop_signal(WF, "r1", "go") == (True, None)
    loaded = await store.load_run(WF, "r1")
    assert loaded is not None and "bad" not in loaded.snapshot["context"]


async def test_concurrent_migrations(
    postgres_dsn: str, postgres_schema_factory: Callable[[], Any]
) -> None:
    """Several stores migrating one new schema at once: all succeed, each migration once."""
    import asyncpg

    from treadle.storage.migrate import load_migrations
    from treadle.storage.postgres import PostgresStore

    schema = f"{await postgres_schema_factory()}_new"  # does not exist yet: the runner makes it
    stores = [PostgresStore(postgres_dsn, schema=schema) for _ in range(4)]
    admin = await asyncpg.connect(postgres_dsn)
    try:
        await asyncio.gather(*(s.load_run(WF, "x") for s in stores))
        rows = await admin.fetch(f'SELECT version FROM "{schema}".treadle_migrations ORDER BY 1')
        assert [r[0] for r in rows] == [
            m.version for m in load_migrations("treadle.storage", "migrations", "postgres")
        ]
    finally:
        for s in stores:
            await s.close()
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.close()


async def test_concurrent_use_of_one_store(make_postgres_store: MakeStore) -> None:
    store = make_postgres_store(max_connections=3)
    await store.save_run(_record("r1", {"runId": "r1", "status": "running", "context": {}}))
    await asyncio.gather(
        *(store.save_step(WF, "r1", f"k{i}", {"i": i}) for i in range(50)),
        *(store.push_signal(WF, "r1", "go", i) for i in range(20)),
    )
    popped = await asyncio.gather(*(store.pop_signal(WF, "r1", "go") for _ in range(25)))
    assert sorted(d for ok, d in popped if ok) == list(range(20))
    loaded = await store.load_run(WF, "r1")
    assert loaded is not None and len(loaded.snapshot["context"]) == 50


# --- the step journal (migration 0002) ---------------------------------------------------------


def _base(run_id: str) -> dict[str, Any]:
    return {
        "runId": run_id,
        "status": "running",
        "context": {"input": {"n": 1}, "old": {"status": "success", "output": 0}},
        "value": {"v": 0},
        "meta": {"m": 1},
        "stepExecutionPath": ["old"],
    }


# (key, record, path_entry, patch, updated_at): new keys, a key written again, steps without a
# path entry, patches adding and replacing head keys, updated_at given or not.
_STEPS: list[tuple[str, dict[str, Any], str | None, dict[str, Any] | None, int | None]] = [
    ("a", {"status": "running", "output": 1}, None, None, None),
    ("b", {"status": "success", "output": 1.5e20}, "b", {"value": {"v": 1}}, T0 + 1),
    ("a", {"status": "success", "output": 2}, "a", None, T0 + 2),
    ("old", {"status": "success", "output": "again"}, "old", {"extra": [1]}, None),
    ("c", {"status": "success", "output": None}, "c", {"value": {"v": 3}, "meta": {}}, T0 + 4),
    ("b", {"status": "success", "output": "b2"}, None, {"extra": {"x": 1e300}}, None),
]


async def _write_steps(stores: list[Any], run_id: str) -> None:
    for key, record, entry, patch, updated in _STEPS:
        for store in stores:
            await store.save_step(
                WF, run_id, key, record, path_entry=entry, patch=patch, updated_at=updated
            )


async def _same(store: Any, oracle: Any, run_id: str, what: str) -> RunRecord:
    loaded, expected = await store.load_run(WF, run_id), await oracle.load_run(WF, run_id)
    assert loaded is not None and expected is not None
    assert loaded.snapshot == expected.snapshot, what
    assert list(loaded.snapshot["context"]) == list(expected.snapshot["context"]), what
    assert list(loaded.snapshot) == list(expected.snapshot), what  # head key order (dict.update)
    got = (loaded.version, loaded.updated_at, loaded.status, loaded.created_at)
    assert got == (expected.version, expected.updated_at, expected.status, expected.created_at)
    return loaded


async def _journal_rows(dsn: str, schema: str, run_id: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        count: int = await conn.fetchval(
            f'SELECT count(*) FROM "{schema}".treadle_journal WHERE run_id = $1', run_id
        )
    finally:
        await conn.close()
    return count


async def test_journal_replay_matches_reference(
    make_postgres_store: MakeStore, postgres_dsn: str, postgres_schema: str
) -> None:
    """Interleaved save_step calls (new and rewritten keys, path entries, patches, updated_at)
    read back as InMemoryStore has them: through load_run and list_runs, after a head write that
    keeps the journal (its records journaled too), after a refused (CAS) save_run, and with
    replace_steps (which folds it)."""
    from treadle.storage.memory import InMemoryStore

    store, oracle = make_postgres_store(), InMemoryStore()
    both = [store, oracle]
    for s in both:
        await s.save_run(_record("r1", _base("r1")))
        await s.save_run(_record("r2", _base("r2"), created_at=T0 - 1))
    await _write_steps(both, "r1")
    await _same(store, oracle, "r1", "after save_step calls")
    # the first head write journaled its record ("old"), then save_step's
    assert await _journal_rows(postgres_dsn, postgres_schema, "r1") == 1 + len(_STEPS)
    rows, total = await store.list_runs(WF)
    assert total == 2 and [r.run_id for r in rows] == ["r1", "r2"]
    assert rows[0].snapshot == (await store.load_run(WF, "r1")).snapshot
    assert rows[0].updated_at == T0 + 4

    # a refused save_run writes nothing, with or without the fold in its statement
    with pytest.raises(RunStateError):
        await store.save_run(_record("r1", _base("r1")), expected_version=7)
    with pytest.raises(RunStateError):
        await store.save_run(_record("r1", _base("r1")), expected_version=7, replace_steps=True)
    assert await _journal_rows(postgres_dsn, postgres_schema, "r1") == 1 + len(_STEPS)
    await _same(store, oracle, "r1", "after a refused save_run")

    # a head write keeps the journal: the run's steps written by save_step stay, the new head
    # (path, patched keys, updated_at) wins over the journaled path entries and patches
    loaded = await store.load_run(WF, "r1")
    assert loaded is not None
    head = dict(loaded.snapshot)
    head["context"] = {"input": head["context"]["input"], "b": {"status": "given"}, "d": {}}
    head["stepExecutionPath"] = ["z"]
    head["value"] = {"v": "head"}
    for s in both:
        await s.save_run(_record("r1", dict(head), updated_at=T0 + 10), expected_version=1)
    assert await _journal_rows(postgres_dsn, postgres_schema, "r1") == 1 + len(_STEPS) + 2
    written = await _same(store, oracle, "r1", "after a head write over the journal")
    assert list(written.snapshot["context"]) == ["input", "old", "a", "b", "c", "d"]
    await _write_steps(both, "r1")  # journal again, after the watermark
    await _same(store, oracle, "r1", "after more save_step calls")
    again = await store.load_run(WF, "r1")
    assert again is not None
    await store.save_run(again)  # save what was loaded: nothing changes but the version
    reloaded = await oracle.load_run(WF, "r1")
    assert reloaded is not None
    await oracle.save_run(reloaded)
    await _same(store, oracle, "r1", "after saving the loaded run")

    # replace_steps: journaled records not given are dropped, the given ones keep their order
    await _write_steps(both, "r1")
    head["context"] = {"input": {"n": 1}, "c": {"status": "c"}, "a": {"status": "a"}}
    for s in both:
        await s.save_run(_record("r1", dict(head)), steps={"c": {"k": 1}}, replace_steps=True)
    replaced = await _same(store, oracle, "r1", "after save_run(replace_steps=True)")
    assert list(replaced.snapshot["context"]) == ["input", "c"]
    assert await _journal_rows(postgres_dsn, postgres_schema, "r1") == 0  # folded
    await _write_steps(both, "r1")
    await _same(store, oracle, "r1", "after save_step calls over the folded journal")
    await _same(store, oracle, "r2", "the other run")


async def test_reopen_sees_the_journal(make_postgres_store: MakeStore) -> None:
    """A crash-like reopen: a new store on the same schema sees every save_step, written by
    the first store and never folded, and both stores write one run in the order awaited."""
    from treadle.storage.memory import InMemoryStore

    first, oracle = make_postgres_store(), InMemoryStore()
    for s in (first, oracle):
        await s.save_run(_record("r1", _base("r1")))
    await _write_steps([first, oracle], "r1")
    second = make_postgres_store()  # nothing cached: like a process started after a crash
    await _same(second, oracle, "r1", "a fresh store reading the journal")
    for i, writer in enumerate([second, first, second, first]):
        for s in (writer, oracle):
            await s.save_step(WF, "r1", f"k{i % 3}", {"i": i}, path_entry=f"k{i}")
    await _same(first, oracle, "r1", "two stores appending to one run")
    await _same(make_postgres_store(), oracle, "r1", "a third store")


async def test_save_step_is_one_insert(
    make_postgres_store: MakeStore, postgres_dsn: str, postgres_schema: str
) -> None:
    """save_step sends one statement, an INSERT into the journal, and writes no other row: the
    runs row keeps its tuple version (xmin, ctid), steps are unchanged."""
    import asyncpg

    store = make_postgres_store(max_connections=1)
    await store.save_run(_record("r1"))
    conns = store._idle  # the connection the store keeps
    assert len(conns) == 1
    logged: list[str] = []
    conns[0].add_query_logger(lambda query: logged.append(query.query))
    admin = await asyncpg.connect(postgres_dsn)
    tables = f'"{postgres_schema}"'
    state = (
        f"SELECT (SELECT xmin::text || ctid::text FROM {tables}.treadle_runs),"
        f" (SELECT count(*) FROM {tables}.treadle_steps)"
    )
    try:
        before = tuple(await admin.fetchrow(state))
        await store.save_step(
            WF, "r1", "new", {"status": "success"}, path_entry="new", patch={"value": 1},
            updated_at=T0 + 1,
        )  # fmt: skip
        await asyncio.sleep(0)  # asyncpg calls query loggers with loop.call_soon
        assert len(logged) == 1, logged
        statement = " ".join(logged[0].split())
        assert statement.startswith(f"INSERT INTO {tables}.treadle_journal "), statement
        assert ";" not in statement and "WITH" not in statement.upper()
        assert tuple(await admin.fetchrow(state)) == before
    finally:
        await admin.close()
    loaded = await store.load_run(WF, "r1")
    assert loaded is not None
    assert loaded.snapshot["stepExecutionPath"] == ["fetch", "plan", "new"]
    assert (loaded.snapshot["value"], loaded.updated_at) == (1, T0 + 1)


async def test_list_due_runs_sees_journaled_updated_at(make_postgres_store: MakeStore) -> None:
    store = make_postgres_store()
    for run_id, updated in (("a", T0 + 1), ("b", T0 + 2)):
        snap = {"runId": run_id, "status": "waiting", "context": {}}
        await store.save_run(_record(run_id, snap, wake_at=T0, updated_at=updated))
    await store.save_step(WF, "a", "s", {"status": "success"}, updated_at=T0 + 5)
    due = await store.list_due_runs(T0 + 10)
    assert [(r.run_id, r.updated_at) for r in due] == [("b", T0 + 2), ("a", T0 + 5)]


async def test_upgrade_from_schema_1(
    make_postgres_store: MakeStore,
    postgres_dsn: str,
    postgres_schema: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A schema made by 0001 alone, with a run in it, gains the journal on first use."""
    import asyncpg

    import treadle.storage._postgres_conn as module

    only_first = module.load_migrations("treadle.storage", "migrations", "postgres")[:1]
    monkeypatch.setattr(module, "load_migrations", lambda *_: only_first)
    old = make_postgres_store()
    assert await old.pop_signal(WF, "r1", "go") == (False, None)  # migrates to version 1
    await old.close()
    monkeypatch.undo()
    admin = await asyncpg.connect(postgres_dsn)
    try:
        await admin.execute(
            f'SET search_path TO "{postgres_schema}";'
            " INSERT INTO treadle_runs VALUES ('wf', 'r1', NULL, 'running', 3, 1, 1, 2, NULL,"
            ' NULL, NULL, NULL, 1, \'{"runId": "r1", "context": {}}\');'
            " INSERT INTO treadle_steps (workflow_name, run_id, key, record)"
            " VALUES ('wf', 'r1', 'a', '{\"s\": 1}');"
            " INSERT INTO treadle_path VALUES ('wf', 'r1', 0, 'a')"
        )
    finally:
        await admin.close()
    store = make_postgres_store()
    await store.save_step(WF, "r1", "b", {"s": 2}, path_entry="b", updated_at=5)
    loaded = await store.load_run(WF, "r1")
    assert loaded is not None
    assert loaded.snapshot == {
        "runId": "r1",
        "context": {"a": {"s": 1}, "b": {"s": 2}},
        "stepExecutionPath": ["a", "b"],
    }
    assert (loaded.version, loaded.updated_at) == (3, 5)


# --- the event log (migration 0003) ------------------------------------------------------------


def _events(seqs: range | list[int], kind: str = "workflow-step-result") -> list[Any]:
    return [
        (seq, {"type": kind, "runId": "r1", "payload": {"n": seq, "big": 1e300}}) for seq in seqs
    ]


async def _connect(dsn: str) -> Any:
    import asyncpg

    return await asyncpg.connect(dsn)


async def test_upgrade_from_schema_2(
    make_postgres_store: MakeStore,
    postgres_dsn: str,
    postgres_schema: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A schema at version 2, with runs as the store of that version wrote them, gains the event
    log on first use: the runs are kept as they were and start with empty logs."""
    await _migrate_only(make_postgres_store, monkeypatch, 2)
    conn = await _connect(postgres_dsn)
    try:
        await _insert_old_run(
            conn, postgres_schema, "r1", _old_head("r1", "running"), path=["a"],
            steps=[("a", {"n": 1})], journal=[("late", {"n": 2}, "late", None, T0 + 5)],
        )  # fmt: skip
        await _insert_old_run(conn, postgres_schema, "r2", _old_head("r2", "success"))
    finally:
        await conn.close()
    store = make_postgres_store()
    r1 = _want("r1", "running", {"a": {"n": 1}, "late": {"n": 2}}, ["a", "late"])
    await _loads_as(store, "r1", r1, updated_at=T0 + 5)
    await _loads_as(store, "r2", _want("r2", "success", {}, None), updated_at=T0)
    for run_id in ("r1", "r2"):
        assert await store.load_events(WF, run_id) == []
        assert await store.last_event_seq(WF, run_id) == 0
    await store.append_events(WF, "r1", _events(range(1, 4)))
    assert await store.load_events(WF, "r1") == _events(range(1, 4))
    assert await store.load_events(WF, "r2") == []
    admin = await _connect(postgres_dsn)
    try:
        schema = store.schema
        rows = await admin.fetch(f'SELECT version FROM "{schema}".treadle_migrations ORDER BY 1')
        assert [r[0] for r in rows] == [1, 2, 3, 4]
    finally:
        await admin.close()


async def test_append_events_is_one_statement_and_atomic(
    make_postgres_store: MakeStore, postgres_dsn: str, postgres_schema: str
) -> None:
    """A batch is one INSERT (one round trip): all of it is written or none of it."""
    store = make_postgres_store(max_connections=1)
    await store.save_run(_record("r1"))
    await store.append_events(WF, "r1", _events([1]))
    conns = store._idle  # the connection the store keeps
    assert len(conns) == 1
    logged: list[str] = []
    conns[0].add_query_logger(lambda query: logged.append(query.query))
    await store.append_events(WF, "r1", _events(range(2, 202)))
    await asyncio.sleep(0)  # asyncpg calls query loggers with loop.call_soon
    assert len(logged) == 1, logged
    statement = " ".join(logged[0].split())
    assert statement.startswith(f'INSERT INTO "{postgres_schema}".treadle_events '), statement
    assert await store.last_event_seq(WF, "r1") == 201
    admin = await _connect(postgres_dsn)
    try:
        await admin.execute(
            f'ALTER TABLE "{postgres_schema}".treadle_events'
            " ADD CONSTRAINT no_seven_hundred CHECK (seq <> 700)"
        )
    finally:
        await admin.close()
    with pytest.raises(StorageError, match="no_seven_hundred"):
        await store.append_events(WF, "r1", _events(range(202, 1001)))
    assert await store.last_event_seq(WF, "r1") == 201
    assert await store.load_events(WF, "r1", after=200) == _events([201])
    with pytest.raises(RunNotFoundError):
        await store.append_events(WF, "nope", _events(range(1, 3)))
    # an event that is not JSON: ValueError before anything is sent, as SQLiteStore's encoder
    with pytest.raises(ValueError):
        await store.append_events(WF, "r1", [(202, {"type": "x", "nan": float("nan")})])
    with pytest.raises(ValueError):
        await store.append_events(WF, "r1", [*_events([202]), (203, {"type": "x", "v": {1, 2}})])
    assert await store.last_event_seq(WF, "r1") == 201


async def test_delete_run_takes_entries_appended_while_it_waited(
    make_postgres_store: MakeStore, postgres_dsn: str, postgres_schema: str
) -> None:
    """An append that commits while delete_run waits for the run's row (the append's foreign
    key check holds a share lock on it) is deleted with the run: a run re-created under the
    same id starts with an empty log."""
    store = make_postgres_store()
    await store.save_run(_record("r1"))
    await store.append_events(WF, "r1", _events([1]))
    other = await _connect(postgres_dsn)
    try:
        await other.execute("BEGIN")
        await other.execute(
            f'INSERT INTO "{postgres_schema}".treadle_events'
            " (workflow_name, run_id, seq, type, event) VALUES ($1, 'r1', 2, 'log', '{}')",
            WF,
        )
        deleting = asyncio.create_task(store.delete_run(WF, "r1"))
        await _until_a_backend_waits_for_a_lock(other)
        assert not deleting.done()  # waiting for the other transaction's lock on the run
        await other.execute("COMMIT")
        await asyncio.wait_for(deleting, 10)
    finally:
        await other.close()
    await store.save_run(_record("r1"))
    assert await store.load_events(WF, "r1") == []
    assert await store.last_event_seq(WF, "r1") == 0


def test_import_treadle_does_not_load_asyncpg() -> None:
    code = (
        "import sys, treadle, treadle.storage\n"
        "assert 'asyncpg' not in sys.modules, 'asyncpg loaded'\n"
        "sys.modules['asyncpg'] = None\n"
        "try:\n"
        "    treadle.storage.PostgresStore\n"
        "except ImportError as e:\n"
        "    assert 'treadle[postgres]' in str(e), e\n"
        "else:\n"
        "    raise SystemExit('no ImportError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


async def _until_a_backend_waits_for_a_lock(conn: Any) -> None:
    """Postgres says when a statement blocks on a lock: poll pg_stat_activity (bounded)."""
    deadline = time.monotonic() + 10
    while not await conn.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    ):
        assert time.monotonic() < deadline, "no statement ever waited for the lock"
        await asyncio.sleep(0.01)


# --- the path in the head, the journal's watermark (migration 0004) -----------------------------


async def _migrate_only(make_store: MakeStore, monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    """This test's schema as the store of version `count` left it (its first migrations)."""
    import treadle.storage._postgres_conn as module

    first = module.load_migrations("treadle.storage", "migrations", "postgres")[:count]
    assert [m.version for m in first] == list(range(1, count + 1))
    monkeypatch.setattr(module, "load_migrations", lambda *_: first)
    old = make_store()
    assert await old.pop_signal(WF, "none", "go") == (False, None)  # migrates; reads no run
    await old.close()
    monkeypatch.undo()


def _old_head(run_id: str, status: str) -> dict[str, Any]:
    return {"runId": run_id, "status": status, "value": {"v": 0}, "input": {"n": 1}}


async def _insert_old_run(
    conn: Any,
    schema: str,
    run_id: str,
    head: dict[str, Any],
    *,
    path: list[str] | None = None,
    past_path: list[str] | None = None,
    steps: list[tuple[str, Any]] | None = None,
    journal: list[tuple[str, Any, str | None, Any, int | None]] | None = None,
    updated_at: int = T0,
    wake_at: int | None = None,
) -> None:
    """A run as the store of schemas 1-3 wrote it: `path` (None: no stepExecutionPath) in
    treadle_path up to path_len, rows past it (`past_path`, left by a longer path), step records
    in order, and journal rows (key, record, path_entry, patch, updated_at) not yet folded."""
    t = f'"{schema}"'
    await conn.execute(
        f"INSERT INTO {t}.treadle_runs (workflow_name, run_id, resource_id, status, version,"
        " schema_version, created_at, updated_at, wake_at, path_len, head)"
        " VALUES ($1, $2, 'res', $3, 3, 1, $4, $5, $6, $7, $8)",
        WF, run_id, head["status"], T0, updated_at, wake_at,
        len(path) if path is not None else None, json.dumps(head),
    )  # fmt: skip
    for pos, step_id in enumerate([*(path or []), *(past_path or [])]):
        await conn.execute(
            f"INSERT INTO {t}.treadle_path VALUES ($1, $2, $3, $4)", WF, run_id, pos, step_id
        )
    for key, record in steps or []:
        await conn.execute(
            f"INSERT INTO {t}.treadle_steps (workflow_name, run_id, key, record)"
            " VALUES ($1, $2, $3, $4)",
            WF, run_id, key, json.dumps(record),
        )  # fmt: skip
    for key, record, entry, patch, updated in journal or []:
        await conn.execute(
            f"INSERT INTO {t}.treadle_journal (workflow_name, run_id, key, record, path_entry,"
            " patch, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            WF, run_id, key, json.dumps(record), entry,
            json.dumps(patch) if patch is not None else None, updated,
        )  # fmt: skip


def _want(
    run_id: str,
    status: str,
    records: dict[str, Any],
    path: list[str] | None,
    **patched: Any,
) -> dict[str, Any]:
    """The snapshot the store of schema 3 assembled from an `_old_head` run (key order too)."""
    head: dict[str, Any] = {"runId": run_id, "status": status, "value": {"v": 0}, **patched}
    snapshot = {**head, "context": {"input": {"n": 1}, **records}}
    if path is not None:
        snapshot["stepExecutionPath"] = path
    return snapshot


async def _loads_as(store: Any, run_id: str, want: dict[str, Any], *, updated_at: int) -> None:
    loaded = await store.load_run(WF, run_id)
    assert loaded is not None, run_id
    assert loaded.snapshot == want, run_id
    assert list(loaded.snapshot) == list(want), run_id
    assert list(loaded.snapshot["context"]) == list(want["context"]), run_id
    assert (loaded.version, loaded.updated_at, loaded.resource_id) == (3, updated_at, "res")


async def test_upgrade_from_schema_3(
    make_postgres_store: MakeStore,
    postgres_dsn: str,
    postgres_schema: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A schema at version 3 gains the path column and the watermark: runs with and without a
    path, with a journal not yet folded, and waiting ones load, list and due-list as the store
    of version 3 read them; then they go on under the new layout."""
    await _migrate_only(make_postgres_store, monkeypatch, 3)
    conn = await _connect(postgres_dsn)
    journal = [
        ("b", {"n": 2}, "b", {"value": {"v": 1}}, T0 + 5),
        ("a", {"n": 3}, "a", None, None),
        ("c", {"big": 1e300}, None, {"extra": [1]}, T0 + 6),
        ("b", {"n": 5}, None, None, None),
    ]
    try:
        for run_id, status, columns in [
            ("r1", "suspended", {"path": ["fetch", "plan", "fetch"], "past_path": ["stale"],
                                 "steps": [("fetch", {"n": 1}), ("plan", {"n": 2})]}),
            ("r2", "running", {"path": ["a"], "steps": [("a", {"n": 1})], "journal": journal}),
            ("r3", "pending", {"past_path": ["x"]}),  # path_len NULL: no path
            ("r4", "running", {"journal": [("j", {}, "j", None, None)]}),
            ("r5", "suspended", {"path": []}),
            ("w1", "waiting", {"wake_at": T0 + 10, "updated_at": T0 + 2,
                               "journal": [("s", {"n": 1}, "s", None, T0 + 5)]}),
            ("w2", "waiting", {"wake_at": T0 + 10, "updated_at": T0 + 4}),
        ]:  # fmt: skip
            await _insert_old_run(
                conn, postgres_schema, run_id, _old_head(run_id, status), **columns
            )
    finally:
        await conn.close()
    r2 = {"a": {"n": 3}, "b": {"n": 5}, "c": {"big": 1e300}}
    wants = {
        "r1": (_want("r1", "suspended", {"fetch": {"n": 1}, "plan": {"n": 2}},
                     ["fetch", "plan", "fetch"]), T0),
        "r2": (_want("r2", "running", r2, ["a", "b", "a"], value={"v": 1}, extra=[1]), T0 + 6),
        "r3": (_want("r3", "pending", {}, None), T0),
        "r4": (_want("r4", "running", {"j": {}}, ["j"]), T0),
        "r5": (_want("r5", "suspended", {}, []), T0),
        "w1": (_want("w1", "waiting", {"s": {"n": 1}}, ["s"]), T0 + 5),
        "w2": (_want("w2", "waiting", {}, None), T0 + 4),
    }  # fmt: skip
    store = make_postgres_store()
    for run_id, (want, updated_at) in wants.items():
        await _loads_as(store, run_id, want, updated_at=updated_at)
    listed, total = await store.list_runs(WF)
    assert total == len(wants)
    assert [r.run_id for r in listed] == sorted(wants, reverse=True)
    for row in listed:
        assert row == await store.load_run(WF, row.run_id)
    due = await store.list_due_runs(T0 + 20)
    assert [(r.run_id, r.updated_at) for r in due] == [("w2", T0 + 4), ("w1", T0 + 5)]
    admin = await _connect(postgres_dsn)
    t = f'"{postgres_schema}"'
    try:
        assert await admin.fetchval(f"SELECT to_regclass('{t}.treadle_path')") is None
        columns = await admin.fetch(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = $1 AND table_name = 'treadle_runs'",
            postgres_schema,
        )
        assert {"path", "journal_seq"} <= {c[0] for c in columns}
        assert "path_len" not in {c[0] for c in columns}

        # r2 goes on, then ends: this store saw none of its writes, so its statement finds the
        # journal repeating a key and folds it
        await store.save_step(WF, "r2", "d", {"n": 4}, path_entry="d", updated_at=T0 + 7)
        loaded = await store.load_run(WF, "r2")
        assert loaded is not None
        assert loaded.snapshot["stepExecutionPath"] == ["a", "b", "a", "d"]
        loaded.status = loaded.snapshot["status"] = "success"
        await store.save_run(loaded, steps={})
        assert await _journal_rows(postgres_dsn, postgres_schema, "r2") == 0
        ended = await store.load_run(WF, "r2")
        assert ended is not None and ended.snapshot == loaded.snapshot
        assert list(ended.snapshot["context"]) == ["input", "a", "b", "c", "d"]
        assert (ended.version, ended.updated_at) == (4, T0 + 7)

        # a head write of w1 supersedes its journaled updated_at (and path entry), in every read
        w1 = await store.load_run(WF, "w1")
        assert w1 is not None
        w1.updated_at = T0 + 1
        w1.snapshot["stepExecutionPath"] = ["other"]
        await store.save_run(w1, steps={})
        assert await admin.fetchval(
            f"SELECT journal_seq > 0 FROM {t}.treadle_runs WHERE run_id = 'w1'"
        )
        assert await _journal_rows(postgres_dsn, postgres_schema, "w1") == 1  # kept
        due = await store.list_due_runs(T0 + 20)
        assert [(r.run_id, r.updated_at) for r in due] == [("w1", T0 + 1), ("w2", T0 + 4)]
        again = await store.load_run(WF, "w1")
        assert again is not None and again.snapshot == w1.snapshot
        assert again.updated_at == T0 + 1
    finally:
        await admin.close()


async def test_head_write_touches_only_the_runs_row(
    make_postgres_store: MakeStore, postgres_dsn: str, postgres_schema: str
) -> None:
    """A head write given no step records is ONE statement on treadle_runs: from the run's
    creation to its end (no key repeated), the journal and the steps keep their rows (a fold
    would delete the journal) and the head supersedes the journal's path entries, patches and
    updated_at."""
    store = make_postgres_store(max_connections=1)
    await store.save_run(_record("warm"), steps={})
    logged: list[str] = []
    store._idle[0].add_query_logger(lambda query: logged.append(" ".join(query.query.split())))
    t = f'"{postgres_schema}"'
    state = (
        f"SELECT (SELECT array_agg(xmin::text || ctid::text ORDER BY seq) FROM {t}.treadle_journal),"
        f" (SELECT count(*) FROM {t}.treadle_steps)"
    )
    admin = await _connect(postgres_dsn)
    try:
        record = _record("r1", _snapshot("r1", "running"))
        await store.save_run(record, steps={})
        await store.save_step(WF, "r1", "fetch", {"n": 1}, path_entry="fetch", updated_at=T0 + 1)
        await store.save_step(WF, "r1", "plan", {"n": 2}, path_entry="plan", patch={"value": 5})
        before = tuple(await admin.fetchrow(state))
        await asyncio.sleep(0)  # asyncpg calls query loggers with loop.call_soon
        assert len(logged) == 3
        assert logged[0].startswith(f"INSERT INTO {t}.treadle_runs "), logged[0]
        logged.clear()
        for status, expected in (("waiting", None), ("running", 2), ("success", None)):
            record.status = record.snapshot["status"] = status
            record.updated_at += 10
            await store.save_run(record, expected_version=expected, steps={})
        await asyncio.sleep(0)
        assert len(logged) == 3, logged
        for statement in logged:
            assert statement.startswith(
                (f"INSERT INTO {t}.treadle_runs ", f"UPDATE {t}.treadle_runs ")
            ), statement
        assert tuple(await admin.fetchrow(state)) == before
    finally:
        await admin.close()
    loaded = await store.load_run(WF, "r1")
    assert loaded is not None
    want = _snapshot("r1", "success")
    want["context"] = {"input": want["context"]["input"], "fetch": {"n": 1}, "plan": {"n": 2}}
    assert loaded.snapshot == want
    assert (loaded.version, loaded.updated_at, loaded.status) == (4, T0 + 30, "success")


async def _steps_rows(dsn: str, schema: str, run_id: str) -> list[tuple[str, Any]]:
    conn = await _connect(dsn)
    try:
        rows = await conn.fetch(
            f'SELECT key, record::text FROM "{schema}".treadle_steps WHERE run_id = $1'
            " ORDER BY seq",
            run_id,
        )
    finally:
        await conn.close()
    return [(r[0], json.loads(r[1])) for r in rows]


async def test_an_ended_loop_is_folded(
    make_postgres_store: MakeStore, postgres_dsn: str, postgres_schema: str
) -> None:
    """A loop-like run journals one key 50 times; its terminal head write folds the journal
    into treadle_steps, and the run loads the same. A run without a repeated key is not."""
    from treadle.storage.memory import InMemoryStore

    store, oracle = make_postgres_store(), InMemoryStore()
    for s in (store, oracle):
        await end_a_loop(s, {"last": {"n": 1}})
    assert await _journal_rows(postgres_dsn, postgres_schema, "loop") == 0
    assert await _steps_rows(postgres_dsn, postgres_schema, "loop") == [
        ("body", {"i": 49}),
        ("after", {"done": True}),
        ("last", {"n": 1}),
    ]
    got = await _same(store, oracle, "loop", "the ended loop")
    assert got.snapshot["stepExecutionPath"] == ["body"] * 50 + ["after"]
    for s in (store, oracle):
        await end_a_flat_run(s, {"y": {"n": 2}})
    assert await _journal_rows(postgres_dsn, postgres_schema, "flat") == 2  # x, then y
    assert await _steps_rows(postgres_dsn, postgres_schema, "flat") == []
    await _same(store, oracle, "flat", "the ended run without a repeated key")


async def test_runs_written_by_two_stores(
    make_postgres_store: MakeStore, postgres_dsn: str, postgres_schema: str
) -> None:
    """Runs journaled by another store (process) than the one that ends them load right: a
    repeat the ending store did not see is left in the journal (harmless); a head write by the
    other store breaks the ending store's tracking, and it folds after asking; a run it never
    tracked is folded by its end's statement when the journal repeats a key."""
    from treadle.storage.memory import InMemoryStore

    a, b, oracle = make_postgres_store(), make_postgres_store(), InMemoryStore()

    async def end(store: Any, run_id: str) -> None:
        for s in (store, oracle):
            loaded = await s.load_run(WF, run_id)
            assert loaded is not None
            loaded.status = loaded.snapshot["status"] = "success"
            await s.save_run(loaded, steps={})

    for run_id in ("seen", "broken", "fresh"):
        for s in (a, oracle):
            await s.save_run(_record(run_id, _base(run_id)), steps={})
            await s.save_step(WF, run_id, "x", {"by": "a"}, path_entry="x")
        for s in (b, oracle):
            await s.save_step(WF, run_id, "x", {"by": "b"}, path_entry="x", updated_at=T0 + 3)
        await _same(a, oracle, run_id, "journaled by two stores")

    await end(a, "seen")  # a saw no repeat: not folded
    assert await _journal_rows(postgres_dsn, postgres_schema, "seen") == 2
    await _same(a, oracle, "seen", "ended by a")
    await _same(b, oracle, "seen", "ended by a, read by b")

    for s in (b, oracle):  # b writes the head: a's tracking of the run is broken
        loaded = await s.load_run(WF, "broken")
        assert loaded is not None
        loaded.status = loaded.snapshot["status"] = "waiting"
        await s.save_run(loaded, steps={})
    await end(a, "broken")
    assert await _journal_rows(postgres_dsn, postgres_schema, "broken") == 0
    assert await _steps_rows(postgres_dsn, postgres_schema, "broken") == [("x", {"by": "b"})]
    await _same(a, oracle, "broken", "ended by a after b's head write")

    await end(b, "fresh")  # b never tracked it: the end's statement checks and folds
    assert await _journal_rows(postgres_dsn, postgres_schema, "fresh") == 0
    await _same(b, oracle, "fresh", "ended by b")
    await _same(a, oracle, "fresh", "ended by b, read by a")
