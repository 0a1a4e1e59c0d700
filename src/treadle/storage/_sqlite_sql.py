"""SQLiteStore's SQL statements, JSON codec, connection helpers and snapshot assembly."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import Any

from ..errors import RunNotFoundError, SnapshotVersionError, StorageError
from .base import SCHEMA_VERSION, RunRecord
from .migrate import Migration, load_migrations, run_migrations

__all__ = [
    "APPEND_JOURNAL",
    "BUSY_CODES",
    "COLUMNS",
    "DELETE_JOURNAL",
    "DELETE_PATH",
    "DELETE_RUN",
    "DELETE_STEPS",
    "DUE_RUNS",
    "FOLD_JOURNAL",
    "FOREIGN_KEY_FAILED",
    "INSERT_PATH",
    "MAX_STEP_SEQ",
    "POP_SIGNAL",
    "PUSH_SIGNAL",
    "RENEW_LEASE",
    "SELECT_JOURNAL",
    "SELECT_PATH",
    "SELECT_RUN",
    "SELECT_STEPS",
    "SELECT_VERSION",
    "UPSERT_RUN",
    "UPSERT_STEP",
    "RunKey",
    "assemble",
    "by_run",
    "decode",
    "encode",
    "executor",
    "is_busy",
    "list_parts",
    "load_json",
    "migrations",
    "open_connection",
    "record_from_row",
    "run_not_found",
    "schema_version",
]


def _make_encoder(allow_nan: bool) -> Callable[[Any], str]:
    """`json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=allow_nan)`,
    without the C encoder `JSONEncoder.encode` builds on every call (a third of the cost of
    encoding a small step record). No circular-reference check (a shared `markers` dict would
    not be thread-safe): a cycle raises RecursionError instead of ValueError."""
    encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=allow_nan)
    make: Callable[..., Callable[[Any, int], Sequence[str]]] | None = getattr(
        json.encoder, "c_make_encoder", None
    )
    if make is None:
        return encoder.encode
    try:
        chunks = make(
            None, encoder.default, json.encoder.encode_basestring, None, ":", ",",
            False, False, allow_nan,
        )  # fmt: skip
    except TypeError:  # another Python's signature
        return encoder.encode

    def encode(value: Any) -> str:
        return "".join(chunks(value, 0))

    sample = {"k": [1, 2.5, -0.0, "é\n", None, True, {"": 10**30}]}
    return encode if encode(sample) == encoder.encode(sample) else encoder.encode


encode = _make_encoder(allow_nan=True)
decode = json.loads

RunKey = tuple[str, str]

FOREIGN_KEY_FAILED = 787  # SQLITE_CONSTRAINT_FOREIGNKEY
BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)

COLUMNS = (
    "workflow_name, run_id, status, resource_id, created_at, updated_at, version, "
    "schema_version, wake_at, waiting_event, lease_owner, lease_until"
)
_KEY = "workflow_name = ? AND run_id = ?"
_KEY_12 = "workflow_name = ?1 AND run_id = ?2"

SELECT_VERSION = f"SELECT version FROM runs WHERE {_KEY}"
UPSERT_RUN = (
    "INSERT INTO runs (workflow_name, run_id, resource_id, status, version, schema_version, "
    "created_at, updated_at, wake_at, waiting_event, lease_owner, lease_until, has_path, head) "
    "VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (workflow_name, run_id) DO UPDATE SET "
    "resource_id = coalesce(excluded.resource_id, runs.resource_id), status = excluded.status, "
    "version = runs.version + 1, schema_version = excluded.schema_version, "
    "updated_at = excluded.updated_at, wake_at = excluded.wake_at, "
    "waiting_event = excluded.waiting_event, lease_owner = excluded.lease_owner, "
    "lease_until = excluded.lease_until, has_path = excluded.has_path, head = excluded.head "
    "RETURNING version, created_at, resource_id"
)
DELETE_PATH = f"DELETE FROM path WHERE {_KEY}"
DELETE_STEPS = f"DELETE FROM steps WHERE {_KEY}"
DELETE_JOURNAL = f"DELETE FROM journal WHERE {_KEY}"
INSERT_PATH = "INSERT INTO path (workflow_name, run_id, pos, step_id) VALUES (?, ?, ?, ?)"
# `seq` orders a run's step records as first stored (the order of the snapshot's `context`):
# a new key goes after every stored one (`MAX_STEP_SEQ` + 1, 2, ...); an upsert keeps it.
UPSERT_STEP = (
    "INSERT INTO steps (workflow_name, run_id, key, seq, record) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (workflow_name, run_id, key) DO UPDATE SET record = excluded.record"
)
MAX_STEP_SEQ = f"SELECT coalesce(max(seq), 0) FROM steps WHERE {_KEY}"
# save_step: the one statement of a durable step. The journal's `seq` is the run's max + 1, read
# from the primary key (the page the row goes into); the foreign key checks the run exists.
APPEND_JOURNAL = (
    "INSERT INTO journal (workflow_name, run_id, seq, key, record, path_entry, patch, "
    f"updated_at) VALUES (?1, ?2, coalesce((SELECT max(seq) FROM journal WHERE {_KEY_12}), 0) "
    "+ 1, ?3, ?4, ?5, ?6, ?7)"
)
# save_run's fold of the journal into `steps`: per key, the record of its latest row; a key new
# to `steps` goes after the stored ones, in the order of its first journal row.
FOLD_JOURNAL = (
    "INSERT INTO steps (workflow_name, run_id, key, seq, record) "
    "SELECT ?1, ?2, j.key, b.base + f.first, j.record FROM ("
    f"SELECT key, min(seq) AS first, max(seq) AS last FROM journal WHERE {_KEY_12} GROUP BY key"
    f") AS f JOIN journal AS j ON j.workflow_name = ?1 AND j.run_id = ?2 AND j.seq = f.last "
    f"CROSS JOIN (SELECT coalesce(max(seq), 0) AS base FROM steps WHERE {_KEY_12}) AS b "
    "WHERE true "  # an upsert after a SELECT needs a WHERE (SQLite's parsing ambiguity)
    "ON CONFLICT (workflow_name, run_id, key) DO UPDATE SET record = excluded.record"
)
SELECT_RUN = f"SELECT {COLUMNS}, has_path, head FROM runs WHERE {_KEY}"
SELECT_STEPS = f"SELECT key, record FROM steps WHERE {_KEY} ORDER BY seq"
SELECT_PATH = f"SELECT step_id FROM path WHERE {_KEY} ORDER BY pos"
SELECT_JOURNAL = (
    f"SELECT key, record, path_entry, patch, updated_at FROM journal WHERE {_KEY} ORDER BY seq"
)
DELETE_RUN = f"DELETE FROM runs WHERE {_KEY}"  # steps, path, journal and signals cascade
RENEW_LEASE = (
    "UPDATE runs SET lease_owner = ?, lease_until = ? "
    f"WHERE {_KEY} AND (lease_owner IS NULL OR lease_owner = ?)"
)
# updated_at is the latest one save_step journaled since the last head write, if any.
_UPDATED_AT = (
    "coalesce((SELECT j.updated_at FROM journal AS j WHERE j.workflow_name = r.workflow_name "
    "AND j.run_id = r.run_id AND j.updated_at IS NOT NULL ORDER BY j.seq DESC LIMIT 1), "
    "r.updated_at)"
)
DUE_RUNS = (
    "SELECT r.workflow_name, r.run_id, r.status, r.resource_id, r.created_at, "
    f"{_UPDATED_AT} AS updated, r.version, r.schema_version, r.wake_at, r.waiting_event, "
    "r.lease_owner, r.lease_until FROM runs AS r WHERE r.status = 'waiting' "
    "AND (r.lease_until IS NULL OR r.lease_until < ?1) "
    "AND ((r.wake_at IS NOT NULL AND r.wake_at <= ?1) OR (r.waiting_event IS NOT NULL AND "
    "EXISTS (SELECT 1 FROM signals AS s WHERE s.workflow_name = r.workflow_name "
    "AND s.run_id = r.run_id AND s.name = r.waiting_event))) "
    "ORDER BY updated, r.rowid LIMIT ?2"
)
PUSH_SIGNAL = (
    "INSERT INTO signals (workflow_name, run_id, name, data) SELECT ?1, ?2, ?3, ?4 "
    "WHERE EXISTS (SELECT 1 FROM runs WHERE workflow_name = ?1 AND run_id = ?2)"
)
POP_SIGNAL = (
    "DELETE FROM signals WHERE id = (SELECT id FROM signals "
    "WHERE workflow_name = ? AND run_id = ? AND name = ? ORDER BY id LIMIT 1) RETURNING data"
)


@cache
def migrations() -> list[Migration]:
    return load_migrations("treadle.storage", "migrations", "sqlite")


def open_connection(path: str, busy_timeout_ms: int) -> sqlite3.Connection:
    """A connection to the file, configured, its schema migrated."""
    conn = sqlite3.connect(
        path,
        timeout=busy_timeout_ms / 1000,
        isolation_level=None,  # autocommit; transactions are explicit BEGIN ... COMMIT
        check_same_thread=False,  # guarded by the store's mutex instead
        cached_statements=256,
    )
    try:
        # Short: SQLite's busy handler blocks the event loop while it waits; longer waits
        # happen in the store's `_run_waiting`, with `asyncio.sleep`.
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        # WAL: a commit appends to the log (one fsync at most, none with NORMAL), and
        # readers never block the writer nor the writer readers, across processes.
        conn.execute("PRAGMA journal_mode = WAL")
        # NORMAL: in WAL mode no fsync per commit; a commit survives a process crash, and a
        # power loss can lose the last commits but never corrupts the database.
        conn.execute("PRAGMA synchronous = NORMAL")
        # Off by default in SQLite: save_step's journal row checks the run exists, and
        # deleting a run cascades to its steps, path, journal and signals.
        conn.execute("PRAGMA foreign_keys = ON")
        found = migrations()
        if schema_version(conn) < (found[-1].version if found else 0):
            run_migrations(executor(conn), found)
    except BaseException:
        conn.close()
        raise
    return conn


def list_parts(condition: str, order: str) -> tuple[str, str, str]:
    """list_runs' queries of the listed runs' steps, paths and journals (one query each, not
    one per run), rows prefixed by the run's key; params: those of `runs{condition}{order}`."""
    listed = (
        "WHERE (workflow_name, run_id) IN "
        f"(SELECT workflow_name, run_id FROM runs{condition}{order})"
    )
    steps = f"SELECT workflow_name, run_id, key, record FROM steps {listed} "
    steps += "ORDER BY workflow_name, run_id, seq"
    path = f"SELECT workflow_name, run_id, step_id FROM path {listed} "
    path += "ORDER BY workflow_name, run_id, pos"
    journal = "SELECT workflow_name, run_id, key, record, path_entry, patch, "
    journal += f"updated_at FROM journal {listed} ORDER BY workflow_name, run_id, seq"
    return steps, path, journal


def run_not_found(workflow_name: str, run_id: str) -> RunNotFoundError:
    return RunNotFoundError(f"no stored run '{run_id}' of workflow '{workflow_name}'")


def schema_version(conn: sqlite3.Connection) -> int:
    """The newest migration applied (0: none), read without taking the write lock."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'treadle_migrations'"
    ).fetchone()
    if found is None:
        return 0
    latest = conn.execute("SELECT max(version) FROM treadle_migrations").fetchone()[0]
    return int(latest) if latest is not None else 0


def is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in BUSY_CODES
    message = str(exc)
    return "locked" in message or "busy" in message


def executor(conn: sqlite3.Connection) -> Callable[[str, Sequence[Any] | None], list[Any] | None]:
    """The migration runner's executor: one statement with parameters, or a script (split into
    statements, since `executescript` would commit the open transaction)."""

    def execute(sql: str, params: Sequence[Any] | None) -> list[Any] | None:
        if params is not None:
            return conn.execute(sql, params).fetchall()
        for statement in _statements(sql):
            conn.execute(statement)
        return None

    return execute


def _statements(script: str) -> Iterator[str]:
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if _has_code(pending):
                yield pending
            pending = ""
    if _has_code(pending.removesuffix(";")):
        raise ValueError(f"incomplete SQL statement in migration: {pending.strip()[:60]!r}")


def _has_code(sql: str) -> bool:
    lines = (line.split("--", 1)[0] for line in sql.splitlines())
    return any(line.strip(" \t;") for line in lines)


def load_json(text: str, workflow_name: str, run_id: str) -> dict[str, Any]:
    """A stored JSON object (head or patch); StorageError if it is not one."""
    try:
        value = decode(text)
    except ValueError as exc:
        raise StorageError(
            f"stored run '{run_id}' of workflow '{workflow_name}' is corrupt: {exc}"
        ) from exc
    if not isinstance(value, dict):
        raise StorageError(f"stored run '{run_id}' of workflow '{workflow_name}' is corrupt")
    return value  # pyright: ignore[reportUnknownVariableType]


def by_run(rows: list[Any]) -> dict[RunKey, list[Sequence[Any]]]:
    """Rows `(workflow_name, run_id, ...)` grouped by run, in order, without the key."""
    grouped: dict[RunKey, list[Sequence[Any]]] = {}
    for row in rows:
        key = (row[0], row[1])
        found = grouped.get(key)
        if found is None:
            grouped[key] = found = []
        found.append(row[2:])
    return grouped


def record_from_row(row: Sequence[Any], snapshot: dict[str, Any]) -> RunRecord:
    return RunRecord(
        row[0],
        row[1],
        row[2],
        snapshot,
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        row[11],
    )


def assemble(
    row: Sequence[Any],
    steps: Sequence[Sequence[Any]],
    path: Sequence[Sequence[Any]],
    journal: Sequence[Sequence[Any]],
) -> RunRecord:
    """The record with its full snapshot, as `InMemoryStore` assembles it. `row` is
    `COLUMNS, has_path, head`; `steps` are `(key, record)` rows in `seq` order, `path` are
    `(step_id,)` rows in order, `journal` are `(key, record, path_entry, patch, updated_at)`
    rows in `seq` order, replayed over the rest."""
    workflow_name, run_id, schema_version = row[0], row[1], row[7]
    if not isinstance(schema_version, int) or schema_version > SCHEMA_VERSION:
        raise SnapshotVersionError(
            f"run '{run_id}' was stored with schema version {schema_version!r}; "
            f"this Treadle reads up to {SCHEMA_VERSION}"
        )
    head = load_json(row[13], workflow_name, run_id)
    records: dict[str, Any] = {}
    entries = [r[0] for r in path]
    has_path = bool(entries or row[12])
    updated_at: int = row[5]
    try:
        for step_key, text in steps:
            records[step_key] = decode(text)
        for step_key, text, path_entry, patch, journaled_at in journal:
            records[step_key] = decode(text)
            if path_entry is not None:
                entries.append(path_entry)
                has_path = True
            if patch is not None:
                head.update(load_json(patch, workflow_name, run_id))
            if journaled_at is not None:
                updated_at = journaled_at
    except ValueError as exc:
        raise StorageError(
            f"a step record of run '{run_id}' of workflow '{workflow_name}' is corrupt"
        ) from exc
    context: dict[str, Any] = {"input": head.pop("input")} if "input" in head else {}
    context.update(records)
    snapshot = {**head, "context": context}
    if has_path:
        snapshot["stepExecutionPath"] = entries
    record = record_from_row(row, snapshot)
    record.updated_at = updated_at
    return record
