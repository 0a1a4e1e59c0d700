"""PostgresStore against a real PostgreSQL (see tests/storage/conftest.py)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

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
