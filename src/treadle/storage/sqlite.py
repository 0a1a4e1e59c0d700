"""SQLiteStore: durable runs in one SQLite file, through the standard library's `sqlite3`.

Design, tuned for the cost of one durable step (`save_step`), which is dominated by the WAL
pages its commit writes:

- Calls run inline on the event-loop thread. A query takes a few microseconds; handing it to a
  thread would cost more than the query itself. One connection per store, in autocommit mode
  (`isolation_level=None`), with explicit `BEGIN IMMEDIATE ... COMMIT` around multi-statement
  writes, so a transaction never spans an `await` and the write lock is taken up front (no
  deadlock-prone lock upgrade).
- SQL strings are constants (or drawn from a small cached set), so `sqlite3`'s statement cache
  reuses the prepared statements.
- A locked database (another process writing) is retried: the transaction is rolled back and the
  whole operation runs again after `asyncio.sleep` with exponential backoff, until `lock_wait_ms`
  has passed. While one operation waits, later ones queue behind it, so writes still apply in
  the order they were awaited.
- A run is a head row (`runs.head`, the snapshot without step records and path), one row per
  step record (`steps`) and its path (`path`, one row per entry at `pos`). `save_step` writes as
  few pages as it can: the step row, the path row appended at `max(pos) + 1` (found through the
  primary key), and the `runs` row only for `updated_at` or a `patch`; whether the run exists is
  checked by the foreign keys. `steps` and `path` are WITHOUT ROWID tables, so a new row touches
  one b-tree, not a table and its key index.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from ..errors import RunNotFoundError, SnapshotVersionError, StorageError
from .base import SCHEMA_VERSION, RunRecord
from .memory import version_conflict
from .migrate import Migration, load_migrations, run_migrations

__all__ = ["SQLiteStore"]

T = TypeVar("T")


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


_encode = _make_encoder(allow_nan=True)
# For `save_step` patches applied in SQL: SQLite's JSON functions reject NaN and Infinity.
_encode_strict = _make_encoder(allow_nan=False)
_decode = json.loads
_sleep = asyncio.sleep  # module-level so tests can observe the backoff

# A top-level key usable in a JSON path `$."key"`: SQLite compares the key with the stored text
# as is, so it must be one `json.dumps` writes without escapes.
_PLAIN_KEY = re.compile(r'[^"\\\x00-\x1f]+')

_FOREIGN_KEY_FAILED = 787  # SQLITE_CONSTRAINT_FOREIGNKEY
_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_BACKOFF_START = 0.001
_BACKOFF_MAX = 0.05

_COLUMNS = (
    "workflow_name, run_id, status, resource_id, created_at, updated_at, version, "
    "schema_version, wake_at, waiting_event, lease_owner, lease_until"
)
_KEY = "workflow_name = ? AND run_id = ?"

_SELECT_VERSION = f"SELECT version FROM runs WHERE {_KEY}"
_UPSERT_RUN = (
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
_DELETE_PATH = f"DELETE FROM path WHERE {_KEY}"
_DELETE_STEPS = f"DELETE FROM steps WHERE {_KEY}"
_INSERT_PATH = "INSERT INTO path (workflow_name, run_id, pos, step_id) VALUES (?, ?, ?, ?)"
_UPSERT_STEP = (
    "INSERT INTO steps (workflow_name, run_id, key, seq, record) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (workflow_name, run_id, key) DO UPDATE SET record = excluded.record"
)
# save_step's update of the run row; params: updated_at or NULL, then the key.
_STEP_RUN_SET = f"updated_at = coalesce(?, updated_at) WHERE {_KEY}"
_TOUCH_RUN = f"UPDATE runs SET {_STEP_RUN_SET}"
# Appends at max(pos) + 1: the max is read from the primary key index, O(log n).
_APPEND_PATH = (
    "INSERT INTO path (workflow_name, run_id, pos, step_id) VALUES (?1, ?2, coalesce(("
    "SELECT max(pos) FROM path WHERE workflow_name = ?1 AND run_id = ?2), -1) + 1, ?3)"
)
_SET_HEAD = f"UPDATE runs SET head = ?, {_STEP_RUN_SET}"
_SELECT_HEAD = f"SELECT head FROM runs WHERE {_KEY}"
_SELECT_RUN = f"SELECT {_COLUMNS}, has_path, head FROM runs WHERE {_KEY}"
_SELECT_STEPS = f"SELECT key, record FROM steps WHERE {_KEY} ORDER BY seq"
_SELECT_PATH = f"SELECT step_id FROM path WHERE {_KEY} ORDER BY pos"
_DELETE_RUN = f"DELETE FROM runs WHERE {_KEY}"  # steps, path and signals cascade
_RENEW_LEASE = (
    "UPDATE runs SET lease_owner = ?, lease_until = ? "
    f"WHERE {_KEY} AND (lease_owner IS NULL OR lease_owner = ?)"
)
_DUE_RUNS = (
    f"SELECT {_COLUMNS} FROM runs AS r WHERE r.status = 'waiting' "
    "AND (r.lease_until IS NULL OR r.lease_until < ?1) "
    "AND ((r.wake_at IS NOT NULL AND r.wake_at <= ?1) OR (r.waiting_event IS NOT NULL AND "
    "EXISTS (SELECT 1 FROM signals AS s WHERE s.workflow_name = r.workflow_name "
    "AND s.run_id = r.run_id AND s.name = r.waiting_event))) "
    "ORDER BY r.updated_at, r.rowid LIMIT ?2"
)
_PUSH_SIGNAL = (
    "INSERT INTO signals (workflow_name, run_id, name, data) SELECT ?1, ?2, ?3, ?4 "
    "WHERE EXISTS (SELECT 1 FROM runs WHERE workflow_name = ?1 AND run_id = ?2)"
)
_POP_SIGNAL = (
    "DELETE FROM signals WHERE id = (SELECT id FROM signals "
    "WHERE workflow_name = ? AND run_id = ? AND name = ? ORDER BY id LIMIT 1) RETURNING data"
)


@cache
def _patch_sql(n: int) -> str:
    """save_step's head update merging `n` top-level keys with `json_set` (one UPDATE, no
    read-modify-write in Python). One string per `n`, so the statement cache reuses them."""
    pairs = ", ".join(["?, json(?)"] * n)
    return f"UPDATE runs SET head = json_set(head, {pairs}), {_STEP_RUN_SET}"


@cache
def _migrations() -> list[Migration]:
    return load_migrations("treadle.storage", "migrations", "sqlite")


class _Busy(Exception):
    """An attempt found the database locked; the operation is retried."""


class SQLiteStore:
    """A `WorkflowStore` in one SQLite file (or `":memory:"`).

    The file is opened, and its schema migrated, on first use; `close()` closes it. Calls run
    on the caller's thread: use one store from one event loop at a time (a lock keeps the
    connection consistent if several threads use it anyway).
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = "treadle.db",
        *,
        busy_timeout_ms: int = 50,
        lock_wait_ms: int = 5000,
    ) -> None:
        self.path = os.fspath(path)
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._lock_wait = lock_wait_ms / 1000
        self._conn: sqlite3.Connection | None = None
        self._cur: sqlite3.Cursor | None = None
        self._mutex = threading.Lock()
        # Operations waiting for the database lock, oldest first; while it is not empty, new
        # operations queue behind it (order of writes).
        self._queue: deque[asyncio.Future[None]] = deque()
        self._last_seq = 0

    def _seq(self) -> int:
        """Orders step records as first stored: wall-clock ns, strictly increasing per store
        (across processes, writes to one run are separated by its lease hand-over)."""
        seq = time.time_ns()
        if seq <= self._last_seq:
            seq = self._last_seq + 1
        self._last_seq = seq
        return seq

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    # -- the store protocol ---------------------------------------------------------------------
    async def save_run(
        self,
        record: RunRecord,
        *,
        expected_version: int | None = None,
        steps: Mapping[str, dict[str, Any]] | None = None,
        replace_steps: bool = False,
    ) -> RunRecord:
        snapshot = record.snapshot
        context: dict[str, Any] = snapshot.get("context") or {}
        head = {k: v for k, v in snapshot.items() if k not in ("context", "stepExecutionPath")}
        if "input" in context:
            head["input"] = context["input"]
        path: list[str] | None = snapshot.get("stepExecutionPath")
        if steps is None:
            steps = {k: v for k, v in context.items() if k != "input"}
        wf, rid = record.workflow_name, record.run_id
        run_row = (
            wf,
            rid,
            record.resource_id,
            record.status,
            record.schema_version,
            record.created_at,
            record.updated_at,
            record.wake_at,
            record.waiting_event,
            record.lease_owner,
            record.lease_until,
            0 if path is None else 1,
            _encode(head),
        )
        path_rows = [(wf, rid, pos, entry) for pos, entry in enumerate(path or ())]
        step_rows = [(wf, rid, key, self._seq(), _encode(value)) for key, value in steps.items()]

        def write(cur: sqlite3.Cursor) -> tuple[int, int, str | None]:
            if expected_version is not None:
                row = cur.execute(_SELECT_VERSION, (wf, rid)).fetchone()
                found = row[0] if row is not None else 0
                if found != expected_version:
                    raise version_conflict(record, expected_version, found)
            version, created_at, resource_id = cur.execute(_UPSERT_RUN, run_row).fetchall()[0]
            if version != 1:  # a new row has no old path to replace
                cur.execute(_DELETE_PATH, (wf, rid))
            if path_rows:
                cur.executemany(_INSERT_PATH, path_rows)
            if replace_steps and version != 1:
                cur.execute(_DELETE_STEPS, (wf, rid))
            if step_rows:
                cur.executemany(_UPSERT_STEP, step_rows)
            return version, created_at, resource_id

        version, created_at, resource_id = await self._run(write, "BEGIN IMMEDIATE")
        record.version = version
        record.created_at = created_at
        if record.resource_id is None:
            record.resource_id = resource_id
        return record

    async def save_step(
        self,
        workflow_name: str,
        run_id: str,
        key: str,
        record: dict[str, Any],
        *,
        path_entry: str | None = None,
        patch: Mapping[str, Any] | None = None,
        updated_at: int | None = None,
    ) -> None:
        step_row = (workflow_name, run_id, key, self._seq(), _encode(record))
        path_row = None if path_entry is None else (workflow_name, run_id, path_entry)
        if updated_at is None and not patch:
            # The run row does not change: the step row (and path row) only, whose foreign key
            # says whether the run exists. One statement needs no explicit transaction.
            def insert(cur: sqlite3.Cursor) -> None:
                try:
                    cur.execute(_UPSERT_STEP, step_row)
                    if path_row is not None:
                        cur.execute(_APPEND_PATH, path_row)
                except sqlite3.IntegrityError as exc:
                    if getattr(exc, "sqlite_errorcode", None) == _FOREIGN_KEY_FAILED:
                        raise _run_not_found(workflow_name, run_id) from None
                    raise

            return await self._run(insert, None if path_row is None else "BEGIN IMMEDIATE")

        tail = (updated_at, workflow_name, run_id)
        sql = _TOUCH_RUN
        params: tuple[Any, ...] = tail
        merge = dict(patch) if patch else None
        if merge:
            try:
                args: list[Any] = []
                for k, v in merge.items():
                    if not _PLAIN_KEY.fullmatch(k):
                        raise ValueError(k)
                    args += (f'$."{k}"', _encode_strict(v))
                sql, params = _patch_sql(len(merge)), (*args, *tail)
            except ValueError:  # a key or value SQLite's JSON functions cannot take: in Python
                sql = ""

        def write(cur: sqlite3.Cursor) -> None:
            merged = False
            if sql:
                try:
                    cur.execute(sql, params)
                    merged = True
                except sqlite3.OperationalError as exc:
                    # The stored head holds NaN/Infinity, which json_set refuses: merge in Python.
                    if merge is None or "malformed JSON" not in str(exc):
                        raise
            if not merged:  # merge the patch in Python, inside this transaction
                found = cur.execute(_SELECT_HEAD, (workflow_name, run_id)).fetchone()
                if found is None:
                    raise _run_not_found(workflow_name, run_id)
                head = _load_json(found[0], workflow_name, run_id)
                head.update(merge or {})
                cur.execute(_SET_HEAD, (_encode(head), *tail))
            if cur.rowcount != 1:
                raise _run_not_found(workflow_name, run_id)
            cur.execute(_UPSERT_STEP, step_row)
            if path_row is not None:
                cur.execute(_APPEND_PATH, path_row)

        await self._run(write, "BEGIN IMMEDIATE")

    async def load_run(self, workflow_name: str, run_id: str) -> RunRecord | None:
        def read(cur: sqlite3.Cursor) -> RunRecord | None:
            row = cur.execute(_SELECT_RUN, (workflow_name, run_id)).fetchone()
            return _assemble(cur, row) if row is not None else None

        return await self._run(read, "BEGIN")

    async def list_runs(
        self,
        workflow_name: str | None = None,
        *,
        status: str | None = None,
        resource_id: str | None = None,
        from_date: int | None = None,
        to_date: int | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> tuple[list[RunRecord], int]:
        where: list[str] = []
        params: list[Any] = []
        for clause, value in (
            ("workflow_name = ?", workflow_name),
            ("status = ?", status),
            ("resource_id = ?", resource_id),
            ("created_at >= ?", from_date),
            ("created_at <= ?", to_date),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        condition = f" WHERE {' AND '.join(where)}" if where else ""
        select = f"SELECT {_COLUMNS}, has_path, head FROM runs{condition} "
        select += "ORDER BY created_at DESC, run_id DESC, rowid"
        if page is not None and per_page is not None:
            select += " LIMIT ? OFFSET ?"
            paged = [*params, max(per_page, 0), max(page * per_page, 0)]
        else:
            paged = params

        def read(cur: sqlite3.Cursor) -> tuple[list[RunRecord], int]:
            total: int = cur.execute(f"SELECT count(*) FROM runs{condition}", params).fetchone()[0]
            rows = cur.execute(select, paged).fetchall()
            return [_assemble(cur, row) for row in rows], total

        return await self._run(read, "BEGIN")

    async def delete_run(self, workflow_name: str, run_id: str) -> None:
        def write(cur: sqlite3.Cursor) -> None:
            cur.execute(_DELETE_RUN, (workflow_name, run_id))

        await self._run(write, None)

    async def renew_lease(
        self, workflow_name: str, run_id: str, owner: str, lease_until: int
    ) -> bool:
        def write(cur: sqlite3.Cursor) -> bool:
            cur.execute(_RENEW_LEASE, (owner, lease_until, workflow_name, run_id, owner))
            return cur.rowcount == 1

        return await self._run(write, None)

    async def list_due_runs(self, now: int, limit: int = 100) -> list[RunRecord]:
        def read(cur: sqlite3.Cursor) -> list[RunRecord]:
            rows = cur.execute(_DUE_RUNS, (now, limit)).fetchall()
            return [_record(row, {}) for row in rows]

        return await self._run(read, None)

    async def push_signal(self, workflow_name: str, run_id: str, name: str, data: Any) -> None:
        params = (workflow_name, run_id, name, _encode(data))

        def write(cur: sqlite3.Cursor) -> None:
            cur.execute(_PUSH_SIGNAL, params)
            if cur.rowcount != 1:
                raise _run_not_found(workflow_name, run_id)

        await self._run(write, None)

    async def pop_signal(self, workflow_name: str, run_id: str, name: str) -> tuple[bool, Any]:
        def write(cur: sqlite3.Cursor) -> tuple[bool, Any]:
            rows = cur.execute(_POP_SIGNAL, (workflow_name, run_id, name)).fetchall()
            return (True, _decode(rows[0][0])) if rows else (False, None)

        return await self._run(write, None)

    async def close(self) -> None:
        with self._mutex:
            conn, self._conn, self._cur = self._conn, None, None
            if conn is not None:
                try:
                    conn.close()
                except sqlite3.Error as exc:
                    raise StorageError(f"closing SQLite database '{self.path}' failed") from exc

    # -- running operations ---------------------------------------------------------------------
    async def _run(self, op: Callable[[sqlite3.Cursor], T], begin: str | None) -> T:
        """Run `op` (in a transaction opened with `begin`, if given) now; if the database is
        locked, retry it with backoff, queued behind operations already waiting."""
        if not self._queue:
            try:
                return self._attempt(op, begin)
            except _Busy as busy:
                return await self._run_waiting(op, begin, busy)
        return await self._run_waiting(op, begin, None)

    async def _run_waiting(
        self, op: Callable[[sqlite3.Cursor], T], begin: str | None, busy: _Busy | None
    ) -> T:
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + self._lock_wait
        me: asyncio.Future[None] = loop.create_future()
        queue = self._queue
        queue.append(me)
        try:
            if queue[0] is not me:
                await me  # woken when the operations queued before it are done
                busy = None
            delay = _BACKOFF_START
            while True:
                if busy is None:
                    try:
                        return self._attempt(op, begin)
                    except _Busy as exc:
                        busy = exc
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StorageError(
                        f"SQLite database '{self.path}' stayed locked for more than "
                        f"{round(self._lock_wait * 1000)} ms"
                    ) from busy.__cause__
                await _sleep(min(delay, left))
                delay = min(delay * 2, _BACKOFF_MAX)
                busy = None
        finally:
            first = queue[0] is me
            queue.remove(me)
            if first and queue and not queue[0].done():
                queue[0].set_result(None)

    def _attempt(self, op: Callable[[sqlite3.Cursor], T], begin: str | None) -> T:
        with self._mutex:
            cur = self._cur
            try:
                if cur is None:
                    cur = self._open()
                if begin is None:
                    return op(cur)
                cur.execute(begin)
                result = op(cur)
                cur.execute("COMMIT")
                return result
            except BaseException as exc:
                conn = self._conn
                if conn is not None and conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.rollback()
                if isinstance(exc, sqlite3.Error):
                    if _is_busy(exc):
                        raise _Busy() from exc
                    raise StorageError(f"SQLite database '{self.path}' failed: {exc}") from exc
                raise

    def _open(self) -> sqlite3.Cursor:
        conn = sqlite3.connect(
            self.path,
            timeout=self._busy_timeout_ms / 1000,
            isolation_level=None,  # autocommit; transactions are explicit BEGIN ... COMMIT
            check_same_thread=False,  # guarded by self._mutex instead
            cached_statements=256,
        )
        try:
            # Short: SQLite's busy handler blocks the event loop while it waits; longer waits
            # happen in `_run_waiting`, with `asyncio.sleep`.
            conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            # WAL: a commit appends to the log (one fsync at most, none with NORMAL), and
            # readers never block the writer nor the writer readers, across processes.
            conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL: in WAL mode no fsync per commit; a commit survives a process crash, and a
            # power loss can lose the last commits but never corrupts the database.
            conn.execute("PRAGMA synchronous = NORMAL")
            # Off by default in SQLite: deleting a run cascades to its steps, path and signals.
            conn.execute("PRAGMA foreign_keys = ON")
            migrations = _migrations()
            if _schema_version(conn) < (migrations[-1].version if migrations else 0):
                run_migrations(_executor(conn), migrations)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self._cur = cur = conn.cursor()
        return cur


def _run_not_found(workflow_name: str, run_id: str) -> RunNotFoundError:
    return RunNotFoundError(f"no stored run '{run_id}' of workflow '{workflow_name}'")


def _schema_version(conn: sqlite3.Connection) -> int:
    """The newest migration applied (0: none), read without taking the write lock."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'treadle_migrations'"
    ).fetchone()
    if found is None:
        return 0
    latest = conn.execute("SELECT max(version) FROM treadle_migrations").fetchone()[0]
    return int(latest) if latest is not None else 0


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _BUSY_CODES
    message = str(exc)
    return "locked" in message or "busy" in message


def _executor(conn: sqlite3.Connection) -> Callable[[str, Sequence[Any] | None], list[Any] | None]:
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


def _load_json(text: str, workflow_name: str, run_id: str) -> dict[str, Any]:
    try:
        value = _decode(text)
    except ValueError as exc:
        raise StorageError(
            f"stored run '{run_id}' of workflow '{workflow_name}' is corrupt: {exc}"
        ) from exc
    if not isinstance(value, dict):
        raise StorageError(f"stored run '{run_id}' of workflow '{workflow_name}' is corrupt")
    return value  # pyright: ignore[reportUnknownVariableType]


def _record(row: Sequence[Any], snapshot: dict[str, Any]) -> RunRecord:
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


def _assemble(cur: sqlite3.Cursor, row: Sequence[Any]) -> RunRecord:
    """The record with its full snapshot, as `InMemoryStore` assembles it. `row` is
    `_COLUMNS, has_path, head`; runs inside the caller's read transaction."""
    workflow_name, run_id, schema_version = row[0], row[1], row[7]
    if not isinstance(schema_version, int) or schema_version > SCHEMA_VERSION:
        raise SnapshotVersionError(
            f"run '{run_id}' was stored with schema version {schema_version!r}; "
            f"this Treadle reads up to {SCHEMA_VERSION}"
        )
    head = _load_json(row[13], workflow_name, run_id)
    context: dict[str, Any] = {"input": head.pop("input")} if "input" in head else {}
    key = (workflow_name, run_id)
    try:
        for step_key, text in cur.execute(_SELECT_STEPS, key).fetchall():
            context[step_key] = _decode(text)
    except ValueError as exc:
        raise StorageError(
            f"a step record of run '{run_id}' of workflow '{workflow_name}' is corrupt"
        ) from exc
    snapshot = {**head, "context": context}
    path = [r[0] for r in cur.execute(_SELECT_PATH, key).fetchall()]
    if path or row[12]:
        snapshot["stepExecutionPath"] = path
    return _record(row, snapshot)
