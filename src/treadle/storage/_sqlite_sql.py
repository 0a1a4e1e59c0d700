"""SQLiteStore's SQL statements, JSON codec, connection helpers and snapshot assembly."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import Any

from pydantic_core import to_json as _to_json

from ..errors import RunNotFoundError, SnapshotVersionError, StorageError
from .base import SCHEMA_VERSION, RunRecord
from .migrate import Migration, load_migrations, run_migrations

__all__ = [
    "APPEND_JOURNAL",
    "APPEND_JOURNAL_BY_KEY",
    "APPEND_RECORD",
    "APPEND_STEP",
    "APPEND_STEP_BY_KEY",
    "BUSY_CODES",
    "COLUMNS",
    "DELETE_FOLDED",
    "DELETE_JOURNAL",
    "DELETE_RUN",
    "DELETE_STEPS",
    "DUE_RUNS",
    "FOLD_JOURNAL",
    "FOREIGN_KEY_FAILED",
    "JOURNAL_KEYS_DISTINCT",
    "NOT_NULL_FAILED",
    "NO_INT",
    "NO_TEXT",
    "POP_SIGNAL",
    "PUSH_SIGNAL",
    "RENEW_LEASE",
    "SELECT_JOURNAL",
    "SELECT_RUN",
    "SELECT_STEPS",
    "SELECT_VERSION",
    "UPSERT_RUN",
    "RunKey",
    "assemble",
    "by_run",
    "decode",
    "encode",
    "encode_plain",
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


def encode_plain(value: Any) -> str:
    """`encode` for what the engine writes (heads, step records, patches), which is plain JSON
    already (step outputs are dumped in JSON mode, request contexts made plain): pydantic-core's
    encoder, three times as fast as the standard library's. The same text for plain values; a
    value that is not JSON raises ValueError (PydanticSerializationError), except that the
    types pydantic knows (datetime, UUID, set, bytes...) are written as pydantic writes them."""
    return _to_json(value).decode()


RunKey = tuple[str, str]

FOREIGN_KEY_FAILED = 787  # SQLITE_CONSTRAINT_FOREIGNKEY
NOT_NULL_FAILED = 1299  # SQLITE_CONSTRAINT_NOTNULL
BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)

COLUMNS = (
    "workflow_name, run_id, status, resource_id, created_at, updated_at, version, "
    "schema_version, wake_at, waiting_event, lease_owner, lease_until"
)
_KEY = "workflow_name = ? AND run_id = ?"
_KEY_12 = "workflow_name = ?1 AND run_id = ?2"

SELECT_VERSION = f"SELECT version FROM runs WHERE {_KEY}"
# Python's sqlite3 binds a None parameter about four times as slowly as a str or an int (it
# looks for an adapter first), and a head write has up to six: UPSERT_RUN takes these stand-ins
# for None instead (NULLIF turns them back), values no run could have.
NO_INT = -(2**62)
NO_TEXT = "\x00"
_INT = f"NULLIF(?{{}}, {NO_INT})"
_TEXT = "NULLIF(?{}, char(0))"
# A journal row's id is `runs.num << 32 | seq`: a run's rows are the ids
# (num << 32, num << 32 | 0xFFFFFFFF], in `seq` order (migration 0007).
_LOW = 4294967295  # 0xFFFFFFFF: the seq bits of an id


def _ids_of(num: str, column: str = "id") -> str:
    """SQL: `column` is one of the journal ids of the run numbered `num` (an SQL expression)."""
    return f"{column} > {num} << 32 AND {column} <= ({num} << 32 | {_LOW})"


# save_run's one statement: insert or update the run's row, with the compare-and-set in it (?13,
# the expected version, or NO_INT): a new row only if it may not exist yet (NO_INT or 0), an
# update only of the expected version. No row returned: the version did not match, nothing
# written. A new row's `num` is the largest one plus 1 (the rowid's rule).
# `journal_seq` (the watermark) becomes the run's largest journal `seq`: the new head supersedes
# the path entries, patches and updated_at of every journal row so far (a new run has none).
UPSERT_RUN = (
    "INSERT INTO runs (workflow_name, run_id, resource_id, status, version, schema_version, "
    "created_at, updated_at, wake_at, waiting_event, lease_owner, lease_until, journal_seq, "
    f"head) SELECT ?1, ?2, {_TEXT.format(3)}, ?4, 1, ?5, ?6, ?7, {_INT.format(8)}, "
    f"{_TEXT.format(9)}, {_TEXT.format(10)}, {_INT.format(11)}, 0, ?12 "
    # the row must be offered for the conflict (the update) to happen; not inserted if absent
    f"WHERE ?13 = {NO_INT} OR ?13 = 0 OR EXISTS (SELECT 1 FROM runs WHERE {_KEY_12}) "
    "ON CONFLICT (workflow_name, run_id) DO UPDATE SET "
    "resource_id = coalesce(excluded.resource_id, runs.resource_id), status = excluded.status, "
    "version = runs.version + 1, schema_version = excluded.schema_version, "
    "updated_at = excluded.updated_at, wake_at = excluded.wake_at, "
    "waiting_event = excluded.waiting_event, lease_owner = excluded.lease_owner, "
    "lease_until = excluded.lease_until, "
    f"journal_seq = coalesce((SELECT max(id) FROM journal WHERE {_ids_of('runs.num')}) & {_LOW}, "
    "runs.journal_seq), "
    f"head = excluded.head WHERE ?13 = {NO_INT} OR runs.version = ?13 "
    "RETURNING version, created_at, resource_id, num"
)
DELETE_STEPS = f"DELETE FROM steps WHERE {_KEY}"
# replace_steps, in the head write's transaction: ?1 is the run's num it returned.
DELETE_JOURNAL = f"DELETE FROM journal WHERE {_ids_of('?1')}"


def _next_id(num: str, watermark: str) -> str:
    """SQL: the next journal id of the run numbered `num`: after its largest one and after its
    watermark id (`num << 32 | journal_seq`), so a folded (deleted) journal never reuses a
    `seq` at or below it. The max is read from the range's last page, the one the row goes
    into; the watermark only when the range is empty."""
    return f"coalesce((SELECT max(id) FROM journal WHERE {_ids_of(num)}), {watermark}) + 1"


_NEXT_ID = _next_id("?1", "(SELECT num << 32 | journal_seq FROM runs WHERE num = ?1)")
# save_step's one statement, when the store knows the run's num (?1, then its key ?2, ?3): the
# record (?5) is read back from the run's row, found by a rowid seek and checked to be still
# that run (`+`: not through the key's index); if it is not (deleted by another process, its
# num perhaps given to another run), the record is NULL and the NOT NULL constraint refuses
# the row (see NOT_NULL_FAILED). VALUES, not INSERT ... SELECT ... WHERE EXISTS: a SELECT
# reading the journal it inserts into is first copied into a temporary table (~2.5 us).
_CHECKED = "(SELECT ?5 FROM runs WHERE num = ?1 AND +workflow_name = ?2 AND +run_id = ?3)"
APPEND_JOURNAL = (
    "INSERT INTO journal (id, key, record, path_entry, patch, updated_at) "
    f"VALUES ({_NEXT_ID}, ?4, {_CHECKED}, ?6, ?7, ?8)"
)
# The same without the column that is usually NULL (save_step without a patch): Python's
# sqlite3 binds a None parameter about four times as slowly as a str or an int (it looks for
# an adapter first).
APPEND_STEP = (
    "INSERT INTO journal (id, key, record, path_entry, updated_at) "
    f"VALUES ({_NEXT_ID}, ?4, {_CHECKED}, ?6, ?7)"
)
# save_run's records (key ?2, record ?3), in the head write's transaction: ?1 is the num it
# returned.
APPEND_RECORD = f"INSERT INTO journal (id, key, record) VALUES ({_NEXT_ID}, ?2, ?3)"


def _append_by_key(columns: str, values: str) -> str:
    """save_step's statement when the store does not know the run's num (or the one it knew is
    not the run's any more): the run found by its key (?1, ?2), the row's id returned (its num
    is `id >> 32`). No row: no such run."""
    return (
        f"INSERT INTO journal (id, {columns}) "
        f"SELECT {_next_id('r.num', 'r.num << 32 | r.journal_seq')}, {values} "
        "FROM runs AS r WHERE r.workflow_name = ?1 AND r.run_id = ?2 RETURNING id"
    )


APPEND_JOURNAL_BY_KEY = _append_by_key(
    "key, record, path_entry, patch, updated_at", "?3, ?4, ?5, ?6, ?7"
)
APPEND_STEP_BY_KEY = _append_by_key("key, record, path_entry, updated_at", "?3, ?4, ?5, ?6")
# The journal rows up to the watermark, the run found by its key (?1, ?2).
_FOLDED = (
    f"id > (SELECT num << 32 FROM runs WHERE {_KEY_12}) "
    f"AND id <= (SELECT num << 32 | journal_seq FROM runs WHERE {_KEY_12})"
)
# Compaction: the journal rows up to the watermark (those the head supersedes but for their
# step records) folded into `steps`: per key, the record of its latest row; a key new to `steps`
# goes after the stored ones, in the order of its first journal row. Then they are deleted.
FOLD_JOURNAL = (
    "INSERT INTO steps (workflow_name, run_id, key, seq, record) "
    f"SELECT ?1, ?2, j.key, b.base + (f.first & {_LOW}), j.record FROM ("
    f"SELECT key, min(id) AS first, max(id) AS last FROM journal WHERE {_FOLDED} GROUP BY key"
    ") AS f JOIN journal AS j ON j.id = f.last "
    f"CROSS JOIN (SELECT coalesce(max(seq), 0) AS base FROM steps WHERE {_KEY_12}) AS b "
    "WHERE true "  # an upsert after a SELECT needs a WHERE (SQLite's parsing ambiguity)
    "ON CONFLICT (workflow_name, run_id, key) DO UPDATE SET record = excluded.record"
)
DELETE_FOLDED = f"DELETE FROM journal WHERE {_FOLDED}"
# Whether a fold would shrink the journal: 1 when every key up to the watermark has one row.
JOURNAL_KEYS_DISTINCT = f"SELECT count(*) = count(DISTINCT key) FROM journal WHERE {_FOLDED}"
SELECT_RUN = f"SELECT {COLUMNS}, journal_seq, head, num FROM runs WHERE {_KEY}"
SELECT_STEPS = f"SELECT key, record FROM steps WHERE {_KEY} ORDER BY seq"
# ?1: the run's num, read in the same transaction.
SELECT_JOURNAL = (
    f"SELECT id & {_LOW}, key, record, path_entry, patch, updated_at FROM journal "
    f"WHERE {_ids_of('?1')} ORDER BY id"
)
# Steps, signals and events cascade (foreign keys); the journal goes with it by a trigger
# (`runs_delete_journal`, migration 0007), in the same statement.
DELETE_RUN = f"DELETE FROM runs WHERE {_KEY}"
RENEW_LEASE = (
    "UPDATE runs SET lease_owner = ?, lease_until = ? "
    f"WHERE {_KEY} AND (lease_owner IS NULL OR lease_owner = ?)"
)
# updated_at is the latest one save_step journaled since the last head write, if any.
_UPDATED_AT = (
    "coalesce((SELECT j.updated_at FROM journal AS j WHERE j.id > (r.num << 32 | r.journal_seq) "
    f"AND j.id <= (r.num << 32 | {_LOW}) AND j.updated_at IS NOT NULL "
    "ORDER BY j.id DESC LIMIT 1), "
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
    "ORDER BY updated, r.num LIMIT ?2"
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
        found = migrations()
        if schema_version(conn) < (found[-1].version if found else 0):
            # Off while migrating: a migration that rebuilds a table others reference (0007's
            # `runs`) must not cascade its DROP TABLE to them, and the pragma cannot change
            # inside the migration's transaction.
            conn.execute("PRAGMA foreign_keys = OFF")
            run_migrations(executor(conn), found)
        # Off by default in SQLite: steps, signals and events check their run exists, and
        # deleting a run cascades to them.
        conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        conn.close()
        raise
    return conn


def list_parts(condition: str, order: str) -> tuple[str, str]:
    """list_runs' queries of the listed runs' steps and journals (one query each, not one per
    run), rows prefixed by the run's key; params: those of `runs{condition}{order}`."""
    listed = f"SELECT num, workflow_name, run_id FROM runs{condition}{order}"
    steps = "SELECT workflow_name, run_id, key, record FROM steps WHERE (workflow_name, run_id) "
    steps += f"IN (SELECT workflow_name, run_id FROM runs{condition}{order}) "
    steps += "ORDER BY workflow_name, run_id, seq"
    # CROSS JOIN: the listed runs drive, each reading its journal's id range.
    journal = f"SELECT r.workflow_name, r.run_id, j.id & {_LOW}, j.key, j.record, j.path_entry, "
    journal += f"j.patch, j.updated_at FROM ({listed}) AS r CROSS JOIN journal AS j "
    journal += f"ON {_ids_of('r.num', 'j.id')} ORDER BY j.id"
    return steps, journal


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
    row: Sequence[Any], steps: Sequence[Sequence[Any]], journal: Sequence[Sequence[Any]]
) -> RunRecord:
    """The record with its full snapshot, as `InMemoryStore` assembles it. `row` is
    `COLUMNS, journal_seq, head`; `steps` are `(key, record)` rows in `seq` order, `journal` are
    `(seq, key, record, path_entry, patch, updated_at)` rows in `seq` order, replayed over the
    rest: a row up to the watermark `journal_seq` gives its step record only (the head holds the
    rest), a later one also appends its path entry, merges its patch and sets updated_at."""
    workflow_name, run_id, schema_version = row[0], row[1], row[7]
    if not isinstance(schema_version, int) or schema_version > SCHEMA_VERSION:
        raise SnapshotVersionError(
            f"run '{run_id}' was stored with schema version {schema_version!r}; "
            f"this Treadle reads up to {SCHEMA_VERSION}"
        )
    watermark: int = row[12]
    head = load_json(row[13], workflow_name, run_id)
    records: dict[str, Any] = {}
    stored_path: Any = head.pop("stepExecutionPath", None)
    has_path = stored_path is not None
    entries: list[Any] = list(stored_path) if isinstance(stored_path, list) else []  # pyright: ignore[reportUnknownArgumentType]
    updated_at: int = row[5]
    try:
        for step_key, text in steps:
            records[step_key] = decode(text)
        for seq, step_key, text, path_entry, patch, journaled_at in journal:
            records[step_key] = decode(text)
            if seq <= watermark:
                continue
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
