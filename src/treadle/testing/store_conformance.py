"""Conformance checks for `WorkflowStore` implementations.

Every check is an async function that takes a fresh, empty store, exercises one part of the
contract written in `treadle.storage.base`, and raises `AssertionError` with a message saying
what was expected and what the store did. The checks do not use `assert` statements (they
would vanish under `python -O`) and do not need pytest.

Run them all with `run_store_conformance`, or one pytest test per check::

    @pytest.mark.parametrize("name", sorted(CHECKS))
    async def test_store(name: str) -> None:
        store = await make_my_store()
        try:
            await CHECKS[name](store)
        finally:
            await store.close()

The checks treat a record handed to the store as the store's from then on: they never change a
snapshot, step record or `RunRecord` after saving it, and build a new one for every write.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from ..errors import RunNotFoundError, RunStateError, SnapshotVersionError
from ..storage.base import SCHEMA_VERSION, RunRecord, WorkflowStore

__all__ = ["CHECKS", "StoreCheck", "run_store_conformance"]

StoreCheck = Callable[[WorkflowStore], Awaitable[None]]
"""One conformance check: takes a fresh, empty store; raises `AssertionError` on failure."""

CHECKS: dict[str, StoreCheck] = {}
"""Every conformance check by name, in the order they run."""

WF = "conformance-wf"
T0 = 1_700_000_000_000  # a plausible epoch-ms timestamp


def _check(fn: StoreCheck) -> StoreCheck:
    CHECKS[fn.__name__.removeprefix("check_")] = fn
    return fn


# --- helpers ---------------------------------------------------------------------------------


def _fail(message: str) -> None:
    raise AssertionError(message)


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _json_diff(actual: Any, expected: Any, where: str) -> str | None:
    """The first place `actual` differs from `expected` as JSON (type-exact: 1, 1.0 and True
    differ), or None when they are the same JSON value. Dict key order does not matter."""
    actual_type: type[Any] = actual.__class__
    expected_type: type[Any] = expected.__class__
    if isinstance(expected, dict) and isinstance(actual, dict):
        exp: dict[str, Any] = expected  # pyright: ignore[reportUnknownVariableType]
        act: dict[str, Any] = actual  # pyright: ignore[reportUnknownVariableType]
        missing = [k for k in exp if k not in act]
        if missing:
            return f"{where}: missing key(s) {missing!r}"
        extra = [k for k in act if k not in exp]
        if extra:
            return f"{where}: unexpected key(s) {extra!r}"
        for key in exp:
            found = _json_diff(act[key], exp[key], f"{where}[{key!r}]")
            if found is not None:
                return found
        return None
    if isinstance(expected, list | tuple) and isinstance(actual, list | tuple):
        exp_list: list[Any] = list(expected)  # pyright: ignore[reportUnknownArgumentType]
        act_list: list[Any] = list(actual)  # pyright: ignore[reportUnknownArgumentType]
        if len(act_list) != len(exp_list):
            return (
                f"{where}: expected a list of {len(exp_list)} item(s), got {len(act_list)}: "
                f"{_short(act_list)}"
            )
        for index, (a, e) in enumerate(zip(act_list, exp_list, strict=True)):
            found = _json_diff(a, e, f"{where}[{index}]")
            if found is not None:
                return found
        return None
    if actual_type is not expected_type or actual != expected:
        return f"{where}: expected {_short(expected)}, got {_short(actual)}"
    return None


def _expect_json(actual: Any, expected: Any, where: str) -> None:
    found = _json_diff(actual, expected, where)
    if found is not None:
        _fail(found)


def _expect(actual: Any, expected: Any, what: str) -> None:
    if actual != expected:
        _fail(f"{what}: expected {_short(expected)}, got {_short(actual)}")


def _record(
    run_id: str,
    snapshot: dict[str, Any] | None = None,
    *,
    workflow_name: str = WF,
    status: str | None = None,
    resource_id: str | None = None,
    created_at: int = T0,
    updated_at: int | None = None,
    schema_version: int = SCHEMA_VERSION,
    wake_at: int | None = None,
    waiting_event: str | None = None,
    lease_owner: str | None = None,
    lease_until: int | None = None,
) -> RunRecord:
    if snapshot is None:
        snapshot = _pending(run_id)
    return RunRecord(
        workflow_name=workflow_name,
        run_id=run_id,
        status=status if status is not None else str(snapshot.get("status", "pending")),
        snapshot=snapshot,
        resource_id=resource_id,
        created_at=created_at,
        updated_at=updated_at if updated_at is not None else created_at,
        schema_version=schema_version,
        wake_at=wake_at,
        waiting_event=waiting_event,
        lease_owner=lease_owner,
        lease_until=lease_until,
    )


def _pending(run_id: str) -> dict[str, Any]:
    """The snapshot a run gets when it is created: no step records, no path yet."""
    return {"runId": run_id, "status": "pending", "context": {}, "value": {}}


def _step(status: str, payload: Any, at: int, **extra: Any) -> dict[str, Any]:
    return {"status": status, "payload": payload, "startedAt": at, **extra}


def _full(run_id: str, status: str = "suspended") -> dict[str, Any]:
    """A snapshot using every part of the format."""
    return {
        "runId": run_id,
        "status": status,
        "context": {
            "input": {"city": "Paris", "days": 3, "tags": ["food", "art"]},
            "fetch": _step(
                "success", {"city": "Paris"}, T0 + 1, output={"temp": 21.5}, endedAt=T0 + 2
            ),
            "plan": _step(
                "suspended",
                {"temp": 21.5},
                T0 + 3,
                suspendPayload={"why": "approval", "options": [1, 2, 3]},
                suspendedAt=T0 + 4,
            ),
            "notify": _step("failed", {"to": None}, T0 + 5, error="boom", endedAt=T0 + 6),
        },
        "value": {"count": 2, "seen": ["fetch", "plan"], "flag": False},
        "stepExecutionPath": ["fetch", "plan", "notify"],
        "suspendedPaths": {"plan": [1]},
        "resumeLabels": {"approve": {"stepId": "plan", "foreachIndex": None}},
        "meta": {"plan": {"attempts": 1, "retryCount": 0}},
        "requestContext": {"user": "ada", "locale": "fr-FR"},
        "timestamp": T0 + 6,
        "result": {"ok": True, "items": [1, 2.5, "three"]},
        "error": {"name": "Error", "message": "boom", "stack": None},
    }


async def _load(store: WorkflowStore, run_id: str, workflow_name: str = WF) -> RunRecord:
    record = await store.load_run(workflow_name, run_id)
    if record is None:
        raise AssertionError(
            f"load_run({workflow_name!r}, {run_id!r}) returned None for a saved run"
        )
    return record


async def _raises(
    exc_type: type[BaseException], action: Awaitable[Any], what: str
) -> BaseException:
    try:
        await action
    except exc_type as exc:
        return exc
    except Exception as exc:
        raise AssertionError(
            f"{what}: expected {exc_type.__name__}, got {type(exc).__name__}: {exc}"
        ) from exc
    raise AssertionError(f"{what}: expected {exc_type.__name__}, nothing was raised")


def _ids(rows: list[RunRecord]) -> list[str]:
    return [r.run_id for r in rows]


# --- save / load -----------------------------------------------------------------------------


@_check
async def check_save_load_round_trip(store: WorkflowStore) -> None:
    """A full snapshot and every column come back exactly as saved."""
    record = _record(
        "r1",
        _full("r1"),
        resource_id="res-1",
        created_at=T0,
        updated_at=T0 + 6,
        wake_at=T0 + 60_000,
        waiting_event="approved",
        lease_owner="worker-a",
        lease_until=T0 + 30_000,
    )
    returned = await store.save_run(record)
    if returned is not record:
        _fail("save_run must return the record it was given")
    _expect(record.version, 1, "record.version after the first save_run")
    _expect(record.created_at, T0, "record.created_at after the first save_run")
    loaded = await _load(store, "r1")
    _expect_json(loaded.snapshot, _full("r1"), "loaded snapshot")
    columns = {
        "workflow_name": WF,
        "run_id": "r1",
        "status": "suspended",
        "resource_id": "res-1",
        "created_at": T0,
        "updated_at": T0 + 6,
        "version": 1,
        "schema_version": SCHEMA_VERSION,
        "wake_at": T0 + 60_000,
        "waiting_event": "approved",
        "lease_owner": "worker-a",
        "lease_until": T0 + 30_000,
    }
    for name, expected in columns.items():
        _expect(getattr(loaded, name), expected, f"loaded {name}")


@_check
async def check_load_missing_run(store: WorkflowStore) -> None:
    """load_run of a run never saved is None, also for a known run id of another workflow."""
    _expect(await store.load_run(WF, "nope"), None, "load_run of a missing run")
    await store.save_run(_record("r1"))
    _expect(await store.load_run("other-wf", "r1"), None, "load_run of r1 under another workflow")


@_check
async def check_load_returns_copy(store: WorkflowStore) -> None:
    """Changing a loaded record (snapshot, step records, path, columns) changes nothing stored."""
    await store.save_run(_record("r1", _full("r1"), resource_id="res-1"))
    first = await _load(store, "r1")
    snap = first.snapshot
    snap["context"]["fetch"]["output"]["temp"] = -1
    snap["context"]["input"]["city"] = "Lyon"
    snap["context"]["extra"] = {"status": "success"}
    snap["stepExecutionPath"].append("ghost")
    snap["value"]["count"] = 99
    snap["meta"].clear()
    snap["result"] = None
    first.status = "failed"
    first.resource_id = "changed"
    second = await _load(store, "r1")
    _expect_json(second.snapshot, _full("r1"), "snapshot reloaded after changing a loaded copy")
    _expect(second.status, "suspended", "status reloaded after changing a loaded copy")
    _expect(second.resource_id, "res-1", "resource_id reloaded after changing a loaded copy")


@_check
async def check_pending_snapshot_round_trip(store: WorkflowStore) -> None:
    """A new run's snapshot (context {}, no stepExecutionPath) gains no keys on the way."""
    await store.save_run(_record("r1", _pending("r1")))
    loaded = await _load(store, "r1")
    _expect_json(loaded.snapshot, _pending("r1"), "loaded pending snapshot")
    # and still none after a save_step without a path entry
    await store.save_step(WF, "r1", "a", _step("running", {}, T0))
    loaded = await _load(store, "r1")
    expected = _pending("r1")
    expected["context"]["a"] = _step("running", {}, T0)
    _expect_json(loaded.snapshot, expected, "snapshot after save_step without path_entry")


@_check
async def check_save_run_version_increments(store: WorkflowStore) -> None:
    """version is 1 after the insert and grows by one with every save_run."""
    for expected in (1, 2, 3, 4):
        record = _record("r1", updated_at=T0 + expected)
        await store.save_run(record)
        _expect(record.version, expected, f"record.version after save_run #{expected}")
        _expect((await _load(store, "r1")).version, expected, f"stored version after #{expected}")
    other = _record("r2")
    await store.save_run(other)
    _expect(other.version, 1, "version of another run's first save_run")


@_check
async def check_save_run_upsert_keeps_created_at_and_resource_id(store: WorkflowStore) -> None:
    """A second save_run keeps created_at and a stored non-null resource_id, and updates the
    rest of the columns."""
    await store.save_run(_record("r1", resource_id="res-1", created_at=T0))
    again = _record(
        "r1",
        _full("r1", "waiting"),
        resource_id=None,
        created_at=T0 + 500,
        updated_at=T0 + 700,
        wake_at=T0 + 900,
    )
    await store.save_run(again)
    _expect(again.created_at, T0, "record.created_at after an upsert (the stored one)")
    _expect(again.version, 2, "record.version after an upsert")
    loaded = await _load(store, "r1")
    _expect(loaded.created_at, T0, "stored created_at after an upsert")
    _expect(loaded.resource_id, "res-1", "stored resource_id after an upsert with None")
    _expect(loaded.status, "waiting", "stored status after an upsert")
    _expect(loaded.updated_at, T0 + 700, "stored updated_at after an upsert")
    _expect(loaded.wake_at, T0 + 900, "stored wake_at after an upsert")
    # a run saved first without a resource id takes one given later
    await store.save_run(_record("r2"))
    await store.save_run(_record("r2", resource_id="res-2"))
    _expect((await _load(store, "r2")).resource_id, "res-2", "resource_id set by a later save")


@_check
async def check_save_run_replaces_head(store: WorkflowStore) -> None:
    """save_run replaces the head whole: dropped keys go, the input and the path are replaced,
    cleared columns are cleared; step records not in the new snapshot stay."""
    await store.save_run(
        _record("r1", _full("r1"), wake_at=T0 + 1, waiting_event="e", lease_owner="w")
    )
    head = {
        "runId": "r1",
        "status": "running",
        "context": {"input": {"city": "Rome"}, "fetch": _step("running", {}, T0 + 9)},
        "value": {"count": 3},
        "stepExecutionPath": ["fetch"],
        "timestamp": T0 + 9,
    }
    await store.save_run(_record("r1", head, updated_at=T0 + 9))
    loaded = await _load(store, "r1")
    full = _full("r1")
    expected = dict(head)
    expected["context"] = {
        "input": {"city": "Rome"},
        "fetch": _step("running", {}, T0 + 9),
        "plan": full["context"]["plan"],
        "notify": full["context"]["notify"],
    }
    _expect_json(loaded.snapshot, expected, "snapshot after a second save_run")
    for name in ("wake_at", "waiting_event", "lease_owner"):
        _expect(getattr(loaded, name), None, f"{name} after a save_run that clears it")


# --- compare-and-set -------------------------------------------------------------------------


@_check
async def check_expected_version_zero_means_new(store: WorkflowStore) -> None:
    """expected_version=0 inserts a new run, and refuses (writing nothing) if it exists."""
    first = _record("r1", _full("r1"))
    await store.save_run(first, expected_version=0)
    _expect(first.version, 1, "version after save_run(expected_version=0) of a new run")
    err = await _raises(
        RunStateError,
        store.save_run(_record("r1", status="failed", updated_at=T0 + 5), expected_version=0),
        "save_run(expected_version=0) of an existing run",
    )
    _expect(getattr(err, "code", None), "WORKFLOW_RUN_VERSION_CONFLICT", "error code")
    loaded = await _load(store, "r1")
    _expect(loaded.version, 1, "version after the refused write")
    _expect(loaded.status, "suspended", "status after the refused write")
    _expect_json(loaded.snapshot, _full("r1"), "snapshot after the refused write")


@_check
async def check_expected_version_mismatch(store: WorkflowStore) -> None:
    """A stale expected_version raises RunStateError (WORKFLOW_RUN_VERSION_CONFLICT) and writes
    nothing: neither head, columns nor the step records given; a missing run has version 0."""
    await store.save_run(_record("r1", _full("r1"), resource_id="res-1"))
    await store.save_run(_record("r1", _full("r1"), resource_id="res-1", updated_at=T0 + 1))
    for stale in (1, 3):
        stale_write = _record(
            "r1",
            {"runId": "r1", "status": "failed", "context": {"x": _step("success", 1, T0)}},
            resource_id="res-2",
            updated_at=T0 + 50,
            wake_at=T0 + 60,
        )
        err = await _raises(
            RunStateError,
            store.save_run(stale_write, expected_version=stale, steps={"fetch": {"status": "x"}}),
            f"save_run(expected_version={stale}) when the stored version is 2",
        )
        _expect(getattr(err, "code", None), "WORKFLOW_RUN_VERSION_CONFLICT", "error code")
    loaded = await _load(store, "r1")
    _expect_json(loaded.snapshot, _full("r1"), "snapshot after refused writes")
    _expect(
        (loaded.version, loaded.status, loaded.resource_id, loaded.updated_at, loaded.wake_at),
        (2, "suspended", "res-1", T0 + 1, None),
        "(version, status, resource_id, updated_at, wake_at) after refused writes",
    )
    err = await _raises(
        RunStateError,
        store.save_run(_record("missing"), expected_version=1),
        "save_run(expected_version=1) of a missing run",
    )
    _expect(getattr(err, "code", None), "WORKFLOW_RUN_VERSION_CONFLICT", "error code")
    _expect(await store.load_run(WF, "missing"), None, "load_run after a refused insert")


@_check
async def check_expected_version_match(store: WorkflowStore) -> None:
    """The write happens when expected_version equals the stored version."""
    await store.save_run(_record("r1"))
    record = _record("r1", _full("r1", "running"), updated_at=T0 + 3)
    await store.save_run(record, expected_version=1)
    _expect(record.version, 2, "record.version after a matching expected_version")
    loaded = await _load(store, "r1")
    _expect((loaded.version, loaded.status), (2, "running"), "(version, status) stored")
    _expect_json(loaded.snapshot, _full("r1", "running"), "snapshot stored")


@_check
async def check_save_run_steps_upserts_only_given(store: WorkflowStore) -> None:
    """save_run(steps=...) upserts only those step records; the others stay as stored, and
    records of the snapshot's context not in `steps` are not written."""
    await store.save_run(_record("r1", _full("r1")))
    full = _full("r1")
    new_plan = _step("success", {"temp": 21.5}, T0 + 3, output={"ok": 1}, endedAt=T0 + 8)
    new_extra = _step("success", None, T0 + 9)
    snapshot = _full("r1", "running")
    snapshot["context"]["fetch"] = _step("failed", {}, T0 + 10, error="rewritten")
    snapshot["context"]["ghost"] = _step("success", {}, T0 + 10)
    await store.save_run(
        _record("r1", snapshot, updated_at=T0 + 10),
        steps={"plan": new_plan, "extra": new_extra},
    )
    loaded = await _load(store, "r1")
    expected = _full("r1", "running")
    expected["context"] = {
        "input": full["context"]["input"],
        "fetch": full["context"]["fetch"],
        "plan": new_plan,
        "notify": full["context"]["notify"],
        "extra": new_extra,
    }
    _expect_json(loaded.snapshot, expected, "snapshot after save_run(steps={plan, extra})")
    # steps={} writes the head only
    await store.save_run(_record("r1", _full("r1", "success"), updated_at=T0 + 11), steps={})
    expected["status"] = "success"
    _expect_json((await _load(store, "r1")).snapshot, expected, "snapshot after steps={}")


@_check
async def check_save_run_replace_steps(store: WorkflowStore) -> None:
    """save_run(replace_steps=True) deletes stored step records it does not write, including
    ones written by save_step since the last save_run (time travel rewrites a run)."""
    await store.save_run(_record("r1", _full("r1")))
    await store.save_step(WF, "r1", "late", _step("success", {}, T0 + 20), path_entry="late")
    kept = _step("success", {"temp": 1}, T0 + 21, output={"ok": 2}, endedAt=T0 + 22)
    snapshot = _full("r1", "running")
    snapshot["context"] = {"input": snapshot["context"]["input"], "fetch": kept}
    snapshot["stepExecutionPath"] = ["fetch"]
    await store.save_run(_record("r1", snapshot, updated_at=T0 + 23), replace_steps=True)
    loaded = await _load(store, "r1")
    _expect_json(loaded.snapshot, snapshot, "snapshot after save_run(replace_steps=True)")


# --- save_step -------------------------------------------------------------------------------


@_check
async def check_save_step_upserts_record(store: WorkflowStore) -> None:
    """save_step inserts a new step record and replaces an existing one, leaving the rest."""
    await store.save_run(_record("r1", _full("r1")))
    added = _step("running", {"x": 1}, T0 + 20)
    await store.save_step(WF, "r1", "added", added)
    replaced = _step("success", {"temp": 21.5}, T0 + 3, output={"day": 1}, endedAt=T0 + 21)
    await store.save_step(WF, "r1", "plan", replaced)
    expected = _full("r1")
    expected["context"]["added"] = _step("running", {"x": 1}, T0 + 20)
    expected["context"]["plan"] = _step(
        "success", {"temp": 21.5}, T0 + 3, output={"day": 1}, endedAt=T0 + 21
    )
    _expect_json((await _load(store, "r1")).snapshot, expected, "snapshot after save_step")


@_check
async def check_save_step_appends_path(store: WorkflowStore) -> None:
    """path_entry is appended to stepExecutionPath in call order (also when the run had none)."""
    await store.save_run(_record("r1"))
    for index, key in enumerate(["a", "b", "a", "c"]):
        await store.save_step(WF, "r1", key, _step("success", index, T0), path_entry=key)
    loaded = await _load(store, "r1")
    _expect_json(loaded.snapshot.get("stepExecutionPath"), ["a", "b", "a", "c"], "path")
    await store.save_run(_record("r2", _full("r2")))
    await store.save_step(WF, "r2", "late", _step("success", 1, T0), path_entry="late")
    path = (await _load(store, "r2")).snapshot.get("stepExecutionPath")
    _expect_json(path, ["fetch", "plan", "notify", "late"], "path after appending to a saved one")


@_check
async def check_save_step_patch_shallow_merge(store: WorkflowStore) -> None:
    """patch replaces the top-level snapshot keys it names, whole, and adds new ones."""
    await store.save_run(_record("r1", _full("r1")))
    await store.save_step(
        WF,
        "r1",
        "fetch",
        _step("success", {}, T0 + 30),
        patch={"value": {"count": 3}, "suspendedPaths": {}, "newKey": [1, {"a": None}]},
    )
    expected = _full("r1")
    expected["context"]["fetch"] = _step("success", {}, T0 + 30)
    expected["value"] = {"count": 3}
    expected["suspendedPaths"] = {}
    expected["newKey"] = [1, {"a": None}]
    _expect_json((await _load(store, "r1")).snapshot, expected, "snapshot after a patch")


@_check
async def check_save_step_updated_at_and_version(store: WorkflowStore) -> None:
    """save_step sets updated_at when given and never changes version (or other columns)."""
    await store.save_run(_record("r1", _full("r1"), resource_id="res", updated_at=T0 + 1))
    await store.save_step(WF, "r1", "a", _step("success", 1, T0), updated_at=T0 + 42)
    loaded = await _load(store, "r1")
    _expect(loaded.updated_at, T0 + 42, "updated_at after save_step(updated_at=...)")
    _expect(loaded.version, 1, "version after save_step")
    await store.save_step(
        WF, "r1", "b", _step("success", 2, T0), path_entry="b", patch={"value": {}}
    )
    loaded = await _load(store, "r1")
    _expect(loaded.version, 1, "version after save_step with path_entry and patch")
    _expect(
        (loaded.status, loaded.created_at, loaded.resource_id),
        ("suspended", T0, "res"),
        "(status, created_at, resource_id) after save_step",
    )


@_check
async def check_save_step_missing_run(store: WorkflowStore) -> None:
    """save_step for a run that does not exist raises RunNotFoundError and creates nothing."""
    await _raises(
        RunNotFoundError,
        store.save_step(WF, "missing", "a", _step("success", 1, T0), path_entry="a"),
        "save_step of a missing run",
    )
    _expect(await store.load_run(WF, "missing"), None, "load_run after the failed save_step")
    await store.save_run(_record("r1"))
    await _raises(
        RunNotFoundError,
        store.save_step("other-wf", "r1", "a", _step("success", 1, T0)),
        "save_step of a run id that exists only under another workflow",
    )


# --- list_runs -------------------------------------------------------------------------------


async def _seed_runs(store: WorkflowStore) -> None:
    rows = [
        ("b", T0 + 10, "success", "res-1", WF),
        ("a", T0 + 10, "failed", "res-2", WF),
        ("c", T0 + 20, "success", None, WF),
        ("d", T0 + 5, "suspended", "res-1", WF),
        ("e", T0 + 30, "success", "res-1", "other-wf"),
        ("f", T0 + 20, "running", "res-2", WF),
    ]
    for run_id, created, status, resource, workflow in rows:
        snapshot = _full(run_id, status)
        await store.save_run(
            _record(
                run_id,
                snapshot,
                workflow_name=workflow,
                resource_id=resource,
                created_at=created,
                updated_at=created + 1,
            )
        )


@_check
async def check_list_runs_order(store: WorkflowStore) -> None:
    """Runs come newest first: created_at desc, then run_id desc; total counts them all."""
    await _seed_runs(store)
    rows, total = await store.list_runs(WF)
    _expect(_ids(rows), ["f", "c", "b", "a", "d"], "list_runs(workflow) order")
    _expect(total, 5, "list_runs(workflow) total")
    rows, total = await store.list_runs()
    _expect(_ids(rows), ["e", "f", "c", "b", "a", "d"], "list_runs() order over every workflow")
    _expect(total, 6, "list_runs() total")
    empty, total = await store.list_runs("no-such-workflow")
    _expect((empty, total), ([], 0), "list_runs of a workflow with no runs")


@_check
async def check_list_runs_rows_are_full_runs(store: WorkflowStore) -> None:
    """Listed rows carry the same columns and full snapshot load_run returns."""
    await _seed_runs(store)
    rows, _ = await store.list_runs(WF)
    for row in rows:
        loaded = await _load(store, row.run_id)
        _expect_json(row.snapshot, loaded.snapshot, f"listed snapshot of {row.run_id}")
        for name in ("workflow_name", "status", "resource_id", "created_at", "updated_at"):
            _expect(getattr(row, name), getattr(loaded, name), f"listed {name} of {row.run_id}")


@_check
async def check_list_runs_filters(store: WorkflowStore) -> None:
    """workflow_name, status and resource_id filter; total is the filtered count."""
    await _seed_runs(store)
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"workflow_name": WF, "status": "success"}, ["c", "b"]),
        ({"workflow_name": WF, "resource_id": "res-1"}, ["b", "d"]),
        ({"resource_id": "res-1"}, ["e", "b", "d"]),
        ({"status": "success"}, ["e", "c", "b"]),
        ({"workflow_name": WF, "status": "success", "resource_id": "res-1"}, ["b"]),
        ({"workflow_name": "other-wf"}, ["e"]),
        ({"workflow_name": WF, "status": "nope"}, []),
        ({"workflow_name": WF, "resource_id": "res-9"}, []),
    ]
    for kwargs, expected in cases:
        rows, total = await store.list_runs(**kwargs)
        _expect(sorted(_ids(rows)), sorted(expected), f"run ids of list_runs(**{kwargs!r})")
        _expect(total, len(expected), f"total of list_runs(**{kwargs!r})")


@_check
async def check_list_runs_date_bounds_inclusive(store: WorkflowStore) -> None:
    """from_date and to_date bound created_at, both inclusive."""
    await _seed_runs(store)
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"from_date": T0 + 10}, ["f", "c", "b", "a"]),
        ({"to_date": T0 + 10}, ["b", "a", "d"]),
        ({"from_date": T0 + 10, "to_date": T0 + 10}, ["b", "a"]),
        ({"from_date": T0 + 11, "to_date": T0 + 19}, []),
        ({"from_date": T0 + 5, "to_date": T0 + 20}, ["f", "c", "b", "a", "d"]),
        ({"from_date": T0 + 6, "status": "success"}, ["c", "b"]),
    ]
    for kwargs, expected in cases:
        rows, total = await store.list_runs(WF, **kwargs)
        _expect(sorted(_ids(rows)), sorted(expected), f"run ids of list_runs(WF, **{kwargs!r})")
        _expect(total, len(expected), f"total of list_runs(WF, **{kwargs!r})")


@_check
async def check_list_runs_paging(store: WorkflowStore) -> None:
    """Paging needs both page (0-based) and per_page; total is counted before paging."""
    await _seed_runs(store)
    cases: list[tuple[int | None, int | None, list[str]]] = [
        (0, 2, ["f", "c"]),
        (1, 2, ["b", "a"]),
        (2, 2, ["d"]),
        (3, 2, []),
        (0, 10, ["f", "c", "b", "a", "d"]),
        (None, 2, ["f", "c", "b", "a", "d"]),
        (1, None, ["f", "c", "b", "a", "d"]),
    ]
    for page, per_page, expected in cases:
        rows, total = await store.list_runs(WF, page=page, per_page=per_page)
        _expect(_ids(rows), expected, f"list_runs(page={page}, per_page={per_page})")
        _expect(total, 5, f"total of list_runs(page={page}, per_page={per_page})")
    rows, total = await store.list_runs(WF, status="success", page=1, per_page=1)
    _expect((_ids(rows), total), (["b"], 2), "(ids, total) of a filtered second page")


# --- delete_run ------------------------------------------------------------------------------


@_check
async def check_delete_run(store: WorkflowStore) -> None:
    """delete_run removes the run, its step records, path and signals; other runs stay."""
    await store.save_run(_record("r1", _full("r1")))
    await store.save_step(WF, "r1", "more", _step("success", 1, T0), path_entry="more")
    await store.push_signal(WF, "r1", "go", {"n": 1})
    await store.save_run(_record("r2", _full("r2")))
    await store.push_signal(WF, "r2", "go", {"n": 2})
    await store.delete_run(WF, "r1")
    _expect(await store.load_run(WF, "r1"), None, "load_run after delete_run")
    rows, total = await store.list_runs(WF)
    _expect((_ids(rows), total), (["r2"], 1), "list_runs after delete_run")
    # a new run under the same id starts empty: no old steps, path or signals
    await store.save_run(_record("r1", _pending("r1")))
    loaded = await _load(store, "r1")
    _expect_json(loaded.snapshot, _pending("r1"), "snapshot of a run re-created after delete")
    _expect(loaded.version, 1, "version of a run re-created after delete")
    _expect(await store.pop_signal(WF, "r1", "go"), (False, None), "signal after delete_run")
    _expect(await store.pop_signal(WF, "r2", "go"), (True, {"n": 2}), "other run's signal")
    _expect_json((await _load(store, "r2")).snapshot, _full("r2"), "other run's snapshot")


@_check
async def check_delete_missing_run_is_noop(store: WorkflowStore) -> None:
    """Deleting a missing run raises nothing and changes nothing."""
    await store.save_run(_record("r1", _full("r1")))
    await store.delete_run(WF, "missing")
    await store.delete_run("other-wf", "r1")
    _expect_json((await _load(store, "r1")).snapshot, _full("r1"), "r1 after deleting others")
    await store.delete_run(WF, "r1")
    await store.delete_run(WF, "r1")


# --- leases ----------------------------------------------------------------------------------


@_check
async def check_renew_lease(store: WorkflowStore) -> None:
    """renew_lease takes a free lease or extends the owner's own; another owner's is refused
    with no write. It does not change version."""
    await store.save_run(_record("r1", status="running"))
    _expect(await store.renew_lease(WF, "r1", "a", T0 + 100), True, "renew_lease of a free run")
    loaded = await _load(store, "r1")
    _expect((loaded.lease_owner, loaded.lease_until), ("a", T0 + 100), "lease after taking it")
    _expect(await store.renew_lease(WF, "r1", "a", T0 + 200), True, "renew by the owner")
    _expect(await store.renew_lease(WF, "r1", "b", T0 + 900), False, "renew by another owner")
    loaded = await _load(store, "r1")
    _expect((loaded.lease_owner, loaded.lease_until), ("a", T0 + 200), "lease after the refusal")
    _expect(loaded.version, 1, "version after renew_lease")
    # a lease written with save_run is held the same way
    await store.save_run(_record("r2", status="running", lease_owner="b", lease_until=T0 + 50))
    _expect(await store.renew_lease(WF, "r2", "a", T0 + 70), False, "renew of b's lease by a")
    _expect(await store.renew_lease(WF, "r2", "b", T0 + 70), True, "renew of b's lease by b")
    _expect((await _load(store, "r2")).lease_until, T0 + 70, "lease_until after b renewed")
    # a missing run has no lease to renew: False (or RunNotFoundError)
    try:
        renewed = await store.renew_lease(WF, "missing", "a", T0 + 100)
    except RunNotFoundError:
        renewed = False
    _expect(renewed, False, "renew_lease of a missing run")
    _expect(await store.load_run(WF, "missing"), None, "load_run after renewing a missing run")


# --- list_due_runs ---------------------------------------------------------------------------


def _waiting(run_id: str, updated_at: int = T0, **columns: Any) -> RunRecord:
    snapshot = _full(run_id, "waiting")
    return _record(run_id, snapshot, status="waiting", updated_at=updated_at, **columns)


@_check
async def check_list_due_runs_wake_at(store: WorkflowStore) -> None:
    """A waiting run is due once wake_at <= now."""
    now = T0 + 1000
    await store.save_run(_waiting("past", wake_at=now - 1))
    await store.save_run(_waiting("exact", wake_at=now))
    await store.save_run(_waiting("future", wake_at=now + 1))
    await store.save_run(_waiting("no-wake"))
    due = await store.list_due_runs(now)
    _expect(sorted(_ids(due)), ["exact", "past"], "runs due at now")
    for row in due:
        _expect((row.workflow_name, row.status), (WF, "waiting"), f"columns of due {row.run_id}")
    _expect(sorted(_ids(await store.list_due_runs(now + 1))), ["exact", "future", "past"], "later")


@_check
async def check_list_due_runs_signal(store: WorkflowStore) -> None:
    """A run waiting for an event is due while a signal of that name is stored."""
    now = T0 + 1000
    await store.save_run(_waiting("w", waiting_event="approved"))
    await store.save_run(_waiting("other", waiting_event="approved"))
    _expect(_ids(await store.list_due_runs(now)), [], "due runs before any signal")
    await store.push_signal(WF, "w", "rejected", None)
    _expect(_ids(await store.list_due_runs(now)), [], "due runs with a signal of another name")
    await store.push_signal(WF, "w", "approved", {"by": "ada"})
    _expect(_ids(await store.list_due_runs(now)), ["w"], "due runs with a matching signal")
    await store.pop_signal(WF, "w", "approved")
    _expect(_ids(await store.list_due_runs(now)), [], "due runs after the signal was taken")


@_check
async def check_list_due_runs_leases(store: WorkflowStore) -> None:
    """A held lease (lease_until >= now) hides a due run; an expired one does not."""
    now = T0 + 1000
    await store.save_run(_waiting("free", wake_at=now - 10, updated_at=T0 + 1))
    await store.save_run(
        _waiting("held", wake_at=now - 10, lease_owner="a", lease_until=now + 5, updated_at=T0 + 2)
    )
    await store.save_run(
        _waiting("edge", wake_at=now - 10, lease_owner="a", lease_until=now, updated_at=T0 + 3)
    )
    await store.save_run(
        _waiting(
            "expired", wake_at=now - 10, lease_owner="a", lease_until=now - 1, updated_at=T0 + 4
        )
    )
    await store.save_run(
        _waiting("signal-held", waiting_event="go", lease_owner="b", lease_until=now + 5)
    )
    await store.push_signal(WF, "signal-held", "go", 1)
    await store.save_run(_waiting("renewed", wake_at=now - 10, updated_at=T0 + 5))
    _expect(await store.renew_lease(WF, "renewed", "c", now + 100), True, "renew_lease")
    _expect(_ids(await store.list_due_runs(now)), ["free", "expired"], "due runs with leases")


@_check
async def check_list_due_runs_only_waiting(store: WorkflowStore) -> None:
    """Only status `waiting` is due, whatever wake_at or signals say."""
    now = T0 + 1000
    for status in ("running", "suspended", "success", "failed", "pending", "canceled"):
        await store.save_run(
            _record(
                status, _full(status, status), status=status, wake_at=now - 1, waiting_event="go"
            )
        )
        await store.push_signal(WF, status, "go", None)
    _expect(_ids(await store.list_due_runs(now)), [], "due runs when none is waiting")


@_check
async def check_list_due_runs_order_and_limit(store: WorkflowStore) -> None:
    """Due runs come oldest updated_at first, at most `limit` of them, across workflows."""
    now = T0 + 1000
    await store.save_run(_waiting("c", updated_at=T0 + 30, wake_at=now))
    await store.save_run(_waiting("a", updated_at=T0 + 10, wake_at=now, workflow_name="other-wf"))
    await store.save_run(_waiting("d", updated_at=T0 + 40, waiting_event="go"))
    await store.push_signal(WF, "d", "go", None)
    await store.save_run(_waiting("b", updated_at=T0 + 20, wake_at=now))
    due = await store.list_due_runs(now)
    _expect(_ids(due), ["a", "b", "c", "d"], "due runs order")
    _expect(due[0].workflow_name, "other-wf", "workflow_name of a due run of another workflow")
    _expect(_ids(await store.list_due_runs(now, limit=2)), ["a", "b"], "due runs with limit=2")
    _expect(_ids(await store.list_due_runs(now, 1)), ["a"], "due runs with limit=1")
    # save_step's updated_at counts
    await store.save_step(WF, "b", "x", _step("running", 1, T0), updated_at=T0 + 50)
    _expect(_ids(await store.list_due_runs(now)), ["a", "c", "d", "b"], "after save_step")


# --- signals ---------------------------------------------------------------------------------


@_check
async def check_signals_fifo_per_name(store: WorkflowStore) -> None:
    """Signals of one name come out in push order; names and runs do not mix."""
    await store.save_run(_record("r1"))
    await store.save_run(_record("r2"))
    for n in range(3):
        await store.push_signal(WF, "r1", "a", n)
        await store.push_signal(WF, "r1", "b", f"b{n}")
    await store.push_signal(WF, "r2", "a", "r2")
    _expect(await store.pop_signal(WF, "r1", "b"), (True, "b0"), "first pop of b")
    popped = [await store.pop_signal(WF, "r1", "a") for _ in range(3)]
    _expect(popped, [(True, 0), (True, 1), (True, 2)], "pops of a")
    _expect(await store.pop_signal(WF, "r1", "a"), (False, None), "pop of a once drained")
    await store.push_signal(WF, "r1", "a", 3)
    _expect(await store.pop_signal(WF, "r1", "a"), (True, 3), "pop after a new push")
    rest = [await store.pop_signal(WF, "r1", "b") for _ in range(3)]
    _expect(rest, [(True, "b1"), (True, "b2"), (False, None)], "remaining pops of b")
    _expect(await store.pop_signal(WF, "r2", "a"), (True, "r2"), "the other run's signal")


@_check
async def check_signal_data_json_round_trip(store: WorkflowStore) -> None:
    """Signal data comes back as its JSON round trip (tuples as lists), None and falsy values
    included, unaffected by later changes to the object pushed."""
    await store.save_run(_record("r1"))
    data: dict[str, Any] = {"n": 1, "f": 2.5, "ok": True, "none": None, "t": (1, 2), "s": "é"}
    await store.push_signal(WF, "r1", "d", data)
    data["n"] = 999
    found, popped = await store.pop_signal(WF, "r1", "d")
    _expect(found, True, "pop_signal found")
    _expect_json(
        popped,
        {"n": 1, "f": 2.5, "ok": True, "none": None, "t": [1, 2], "s": "é"},
        "popped data",
    )
    falsy: list[Any] = [None, 0, "", [], {}, False]
    for value in falsy:
        await store.push_signal(WF, "r1", "v", value)
        found, popped = await store.pop_signal(WF, "r1", "v")
        _expect(found, True, f"pop_signal found for data {value!r}")
        _expect_json(popped, value, f"popped data {value!r}")


@_check
async def check_pop_signal_empty(store: WorkflowStore) -> None:
    """pop_signal with nothing stored is (False, None)."""
    await store.save_run(_record("r1"))
    _expect(await store.pop_signal(WF, "r1", "x"), (False, None), "pop with no signal")
    await store.push_signal(WF, "r1", "y", 1)
    _expect(await store.pop_signal(WF, "r1", "x"), (False, None), "pop of another name")


@_check
async def check_push_signal_missing_run(store: WorkflowStore) -> None:
    """push_signal to a missing run raises RunNotFoundError and stores nothing."""
    await _raises(
        RunNotFoundError,
        store.push_signal(WF, "missing", "go", 1),
        "push_signal to a missing run",
    )
    await store.save_run(_record("missing"))
    _expect(await store.pop_signal(WF, "missing", "go"), (False, None), "signal pushed before")


# --- schema version, size, values ------------------------------------------------------------


@_check
async def check_newer_schema_version_refused(store: WorkflowStore) -> None:
    """A run stored with a schema version above SCHEMA_VERSION makes load_run raise
    SnapshotVersionError; runs of the current version still load."""
    await store.save_run(_record("new", _full("new"), schema_version=SCHEMA_VERSION + 1))
    await store.save_run(_record("ok", _full("ok")))
    await _raises(
        SnapshotVersionError,
        store.load_run(WF, "new"),
        f"load_run of a run stored with schema_version {SCHEMA_VERSION + 1}",
    )
    _expect((await _load(store, "ok")).schema_version, SCHEMA_VERSION, "current schema_version")


@_check
async def check_thousand_steps(store: WorkflowStore) -> None:
    """1,000 step records written one save_step at a time all load back, path in order."""
    await store.save_run(
        _record("big", {"runId": "big", "status": "running", "context": {"input": {"n": 1000}}})
    )
    keys = [f"step-{i:04d}" for i in range(1000)]
    for i, key in enumerate(keys):
        await store.save_step(
            WF, "big", key, _step("success", i, T0 + i, output=i * 2), path_entry=key
        )
    loaded = await _load(store, "big")
    context: dict[str, Any] = loaded.snapshot.get("context") or {}
    _expect(len(context), 1001, "number of context entries (input + 1000 steps)")
    for i, key in enumerate(keys):
        _expect_json(context.get(key), _step("success", i, T0 + i, output=i * 2), f"record {key}")
    _expect_json(loaded.snapshot.get("stepExecutionPath"), keys, "stepExecutionPath")
    _expect(loaded.version, 1, "version after 1,000 save_step calls")


_TRICKY: dict[str, Any] = {
    "plain": "ascii",
    "accents": "éàüßç Ñandú",
    "cjk": "漢字かなカナ한국어",
    "rtl": "مرحبا שלום",
    "emoji": "🧵🪡 👩🏽‍💻 🇫🇷",
    "combining": "e\u0301 vs é",
    "escapes": 'quote " backslash \\ slash / newline \n tab \t cr \r',
    "control": "\u0001\u001f\u007f",
    "surrogate-range": "\U0001f600\U00010348",
    "keys": {"ключ": 1, "🔑": [2], "": "empty key", " spaced ": None, "a.b": {"c/d": True}},
    "numbers": [0, -1, 2**53 + 1, -(2**63), 2**63 - 1, 0.1, -2.5e-10, 1e300, 1.5],
    "literals": [True, False, None],
    "empty": [{}, [], ""],
    "nested": {"l1": {"l2": [{"l3": [[[{"l6": "deep"}]]]}]}},
}


def _deep(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = {"leaf": "bottom 🪨"}
    for level in range(levels):
        node = {"level": level, "child": node, "siblings": [level, {"n": level}]}
    return node


@_check
async def check_unicode_and_nested_json(store: WorkflowStore) -> None:
    """Unicode strings and keys, big integers, floats, literals and deep nesting come back
    exactly (type-exact) through save_run, save_step, patch and signals."""
    snapshot = _full("uni")
    snapshot["context"]["input"] = _TRICKY
    snapshot["context"]["étape-ü-🧵"] = _step("success", _TRICKY, T0, output=_deep(40))
    snapshot["value"] = {"tricky": _TRICKY}
    snapshot["requestContext"] = {"用户": "ада", "deep": _deep(10)}
    await store.save_run(_record("uni", snapshot, resource_id="ресурс-🧵"))
    await store.save_step(
        WF,
        "uni",
        "ステップ",
        _step("success", _TRICKY, T0),
        path_entry="ステップ",
        patch={"meta": {"é": _TRICKY}},
    )
    expected = _full("uni")
    expected["context"]["input"] = _TRICKY
    expected["context"]["étape-ü-🧵"] = _step("success", _TRICKY, T0, output=_deep(40))
    expected["context"]["ステップ"] = _step("success", _TRICKY, T0)
    expected["value"] = {"tricky": _TRICKY}
    expected["requestContext"] = {"用户": "ада", "deep": _deep(10)}
    expected["meta"] = {"é": _TRICKY}
    expected["stepExecutionPath"] = [*_full("uni")["stepExecutionPath"], "ステップ"]
    loaded = await _load(store, "uni")
    _expect_json(loaded.snapshot, json.loads(json.dumps(expected)), "unicode snapshot")
    _expect(loaded.resource_id, "ресурс-🧵", "unicode resource_id")
    await store.push_signal(WF, "uni", "сигнал", _TRICKY)
    found, data = await store.pop_signal(WF, "uni", "сигнал")
    _expect(found, True, "pop of a unicode-named signal")
    _expect_json(data, _TRICKY, "unicode signal data")


# --- the event log: its checks live in their own module, which registers them here (after the
# ones above) through `_check` when imported; it imports the helpers above, so it comes last.

from . import _conformance_events  # noqa: E402, F401  # pyright: ignore[reportUnusedImport]

# --- runner ----------------------------------------------------------------------------------


async def run_store_conformance(make_store: Callable[[], Awaitable[WorkflowStore]]) -> None:
    """Run every check in `CHECKS`, each on a fresh store from `make_store` (closed afterwards).

    Raises one `AssertionError` naming every failed check with its message. An exception other
    than `AssertionError` (from a check or from `close`) counts as a failure of that check.
    """
    failures: list[str] = []
    for name, check in CHECKS.items():
        problems: list[str] = []
        store = await make_store()
        try:
            await check(store)
        except AssertionError as exc:
            problems.append(str(exc) or "assertion failed")
        except Exception as exc:
            problems.append(f"raised {type(exc).__name__}: {exc}")
        finally:
            try:
                await store.close()
            except Exception as exc:
                problems.append(f"close() raised {type(exc).__name__}: {exc}")
        failures.extend(f"{name}: {problem}" for problem in problems)
    if failures:
        lines = "\n".join(f"  - {failure}" for failure in failures)
        raise AssertionError(
            f"store failed {len(failures)} conformance check(s) of {len(CHECKS)}:\n{lines}"
        )
