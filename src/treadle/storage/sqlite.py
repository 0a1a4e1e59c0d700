"""SQLiteStore: durable runs in one SQLite file, through the standard library's `sqlite3`."""

# Design, tuned for the cost of one durable step (`save_step`), which is dominated by the WAL
# pages its commit writes:
#
# - Calls run inline on the event-loop thread. A query takes a few microseconds; handing it to a
#   thread would cost more than the query itself. One connection per store, in autocommit mode
#   (`isolation_level=None`), with explicit `BEGIN IMMEDIATE ... COMMIT` around multi-statement
#   writes, so a transaction never spans an `await` and the write lock is taken up front (no
#   deadlock-prone lock upgrade).
# - SQL strings are constants (in `_sqlite_sql`) or drawn from a small set, so `sqlite3`'s
#   statement cache reuses the prepared statements.
# - A locked database (another process writing) is retried: the transaction is rolled back and
#   the whole operation runs again after `asyncio.sleep` with exponential backoff, until
#   `lock_wait_ms` has passed. While one operation waits, later ones queue behind it, so writes
#   still apply in the order they were awaited.
# - A run is a head row (`runs.head`: the snapshot without its step records, its execution path
#   included) and its step records: `steps` (compacted ones, see below) and the journal
#   (`journal`, append-only). Each run has a number, `runs.num` (the rowid: stable, a new run's
#   is the largest plus 1), and its journal rows are the ids `num << 32 | seq` of a rowid table,
#   `seq` increasing within the run: a run's rows are one id range, in order, and appending a
#   step adds a row at the right edge of the table's b-tree (the cheapest insert SQLite has;
#   no other index, no foreign key). Deleting a run deletes its range (a trigger).
# - `save_step` is ONE autocommit INSERT into the journal. The store keeps the numbers of the
#   runs it writes and reads (`Known`, bounded); with it, the statement finds the run by a rowid
#   seek, checks it is still that run (another process may have deleted it, and a number is
#   given again once its run is gone), and reads the range's max id from the page the row goes
#   into. Without it (or if the check fails) a second form finds the run by its key and returns
#   the number. It does not write the `runs` row: `runs.updated_at` lags behind a journaled
#   `updated_at` until the next head write, and every read (`load_run`, `list_runs`,
#   `list_due_runs`) applies the journal's latest one instead.
# - `save_run` (a head write) is ONE statement, the `runs` upsert (with the compare-and-set in
#   it), when it is given no step records: it replaces the head (path included), sets the
#   watermark `runs.journal_seq` to the run's largest journal `seq`, and returns the run's
#   number. Step records it is given are appended to the journal, in one transaction with it.
# - `load_run` replays `steps` rows, then the run's journal range in `seq` order (a later record of a key
#   wins, in the place of its first): a row up to the watermark gives only its step record (the
#   head holds its path entry, patch and updated_at), a later one also appends its path entry,
#   merges its patch and sets updated_at.
# - Compaction (folding the journal rows up to the watermark into `steps`, latest record per
#   key, and deleting them) happens only when it shrinks something that stays: when the run
#   ends (success, failed, canceled) and the journal holds a key more than once (a loop), and
#   when `replace_steps` rewrites the records (then steps and journal are deleted instead). See
#   `Journal` for how the store knows about repeated keys without a query.
# - The per-run event log (`events`, append-only, keyed by the writer's `seq`) is `EventLog`'s,
#   in `_sqlite_events`: one `executemany` per batch, in one transaction.
# - Checkpoints (copying the WAL into the database file, with the only fsyncs NORMAL makes) run
#   on a thread of their own (`_sqlite_checkpoint`), not in whichever step's commit crosses
#   SQLite's threshold: the event loop never waits on them.
# - Only waiting runs are in the scheduler's index (`runs_due`, partial), so a head write that
#   changes a run's status between pending, running and its end touches no index for it.

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from ..errors import RunNotFoundError, StorageError
from ._journal import ENDED, after_head_write, remember
from ._sqlite_checkpoint import BACKSTOP_PAGES, Checkpointer
from ._sqlite_events import EventLog
from ._sqlite_journal import Known, append_step, fold_journal, journal_distinct
from ._sqlite_sql import (
    APPEND_RECORD,
    COLUMNS,
    DELETE_FOLDED,
    DELETE_JOURNAL,
    DELETE_RUN,
    DELETE_STEPS,
    DUE_RUNS,
    FOLD_JOURNAL,
    NO_INT,
    NO_TEXT,
    POP_SIGNAL,
    PUSH_SIGNAL,
    RENEW_LEASE,
    SELECT_JOURNAL,
    SELECT_RUN,
    SELECT_STEPS,
    SELECT_VERSION,
    UPSERT_RUN,
    RunKey,
    assemble,
    by_run,
    decode,
    encode,
    encode_plain,
    is_busy,
    list_parts,
    open_connection,
    record_from_row,
    run_not_found,
)
from .base import RunRecord, split_snapshot
from .memory import version_conflict

__all__ = ["SQLiteStore"]

T = TypeVar("T")

_sleep = asyncio.sleep  # module-level so tests can observe the backoff
_BACKOFF_START = 0.001
_BACKOFF_MAX = 0.05


class _Busy(Exception):
    """An attempt found the database locked; the operation is retried."""


class SQLiteStore(EventLog):
    """A `WorkflowStore` in one SQLite file (or `":memory:"`).

    The file is opened, and its schema migrated, on first use; `close()` closes it. Calls run
    on the caller's thread: use one store from one event loop at a time (a lock keeps the
    connection consistent if several threads use it anyway).

    `save_step` appends one journal row and leaves the `runs` row alone, so the stored
    `runs.updated_at` column lags until the next `save_run`; the store's reads apply the
    journal's latest `updated_at`, so callers always see it.
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
        # The runs this store knows: their numbers, and the journals of those it has seen
        # every write of (to decide on compaction). Bounded; ended and deleted runs leave.
        self._known: dict[RunKey, Known] = {}
        self._checkpointer: Checkpointer | None = None  # set when the file is opened

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
        head, steps = split_snapshot(snapshot, steps)  # the path stays in the head
        wf, rid = record.workflow_name, record.run_id
        key = (wf, rid)
        resource_id, wake_at, event = record.resource_id, record.wake_at, record.waiting_event
        owner, until = record.lease_owner, record.lease_until
        run_row = (  # None as UPSERT_RUN's stand-ins (see NO_INT)
            wf,
            rid,
            NO_TEXT if resource_id is None else resource_id,
            record.status,
            record.schema_version,
            record.created_at,
            record.updated_at,
            NO_INT if wake_at is None else wake_at,
            NO_TEXT if event is None else event,
            NO_TEXT if owner is None else owner,
            NO_INT if until is None else until,
            encode_plain(head),
            NO_INT if expected_version is None else expected_version,
        )
        records = [(k, encode_plain(v)) for k, v in steps.items()]
        ends = record.status in ENDED
        known = self._known.get(key)
        tracked = known.journal if known is not None else None
        # Fold in this transaction when it is known now (replace_steps, or the tracked journal
        # holds a key twice); a fold found needed only after the write is a second operation.
        fold_now = replace_steps or (ends and tracked is not None and tracked.repeats())

        def write(cur: sqlite3.Cursor) -> tuple[int, int, str | None, int]:
            rows = cur.execute(UPSERT_RUN, run_row).fetchall()
            if not rows and expected_version is not None:  # the compare-and-set failed
                row = cur.execute(SELECT_VERSION, key).fetchone()
                raise version_conflict(record, expected_version, row[0] if row else 0)
            version: int = rows[0][0]
            num: int = rows[0][3]
            if version != 1:  # a new row has no steps or journal
                if replace_steps:
                    cur.execute(DELETE_STEPS, key)
                    cur.execute(DELETE_JOURNAL, (num,))
                elif fold_now:
                    cur.execute(FOLD_JOURNAL, key)
                    cur.execute(DELETE_FOLDED, key)
            if records:
                cur.executemany(APPEND_RECORD, [(num, k, v) for k, v in records])
            return rows[0]

        single = not records and not fold_now
        version, created_at, resource_id, num = await self._run(
            write, None if single else "BEGIN IMMEDIATE"
        )
        record.version = version
        record.created_at = created_at
        if record.resource_id is None:
            record.resource_id = resource_id
        # Keep track of the run's journal (see `Journal`); the records given were journaled,
        # after the fold if there was one.
        if known is not None and known.num != num:
            tracked = None  # another run under this key since (created again elsewhere)
        tracked = after_head_write(tracked, version, fold_now, steps)
        if ends:
            self._known.pop(key, None)
            if not fold_now:
                # The head write is committed: a fold that fails leaves the journal as it was
                # (what a load returns is the same), so its error is not the caller's.
                with contextlib.suppress(StorageError):
                    if tracked is None:  # not every write seen here: ask the database
                        repeats = await self._run(lambda cur: not journal_distinct(cur, key), None)
                    else:
                        repeats = tracked.repeats()
                    if repeats:
                        await self._run(lambda cur: fold_journal(cur, key), "BEGIN IMMEDIATE")
        else:
            remember(self._known, key, Known(num, tracked))
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
        # One INSERT into the journal, in autocommit (a single statement is its own
        # transaction). The `runs` row is not written, so `runs.updated_at` lags until the next
        # save_run; reads apply the journal's latest updated_at.
        run = (workflow_name, run_id)
        known = self._known.get(run)
        num = None if known is None else known.num
        full = True
        if patch:
            values = (key, encode_plain(record), path_entry, encode_plain(dict(patch)), updated_at)
        elif path_entry is not None and updated_at is not None:  # the common case
            full = False
            values = (key, encode_plain(record), path_entry, updated_at)
        else:
            values = (key, encode_plain(record), path_entry, None, updated_at)

        def insert(cur: sqlite3.Cursor) -> int:
            return append_step(cur, run, num, values, full)

        try:
            found = await self._run(insert, None)
        except RunNotFoundError:
            self._known.pop(run, None)
            raise
        if known is not None and found == num:
            if known.journal is not None:
                known.journal.append(key)
        else:  # learned, or the run is not the one this store knew (its journal unknown)
            remember(self._known, run, Known(found))

    async def load_run(self, workflow_name: str, run_id: str) -> RunRecord | None:
        key = (workflow_name, run_id)

        def read(cur: sqlite3.Cursor) -> tuple[RunRecord, int] | None:
            row = cur.execute(SELECT_RUN, key).fetchone()
            if row is None:
                return None
            num: int = row[14]
            steps = cur.execute(SELECT_STEPS, key).fetchall()
            journal = cur.execute(SELECT_JOURNAL, (num,)).fetchall()
            return assemble(row, steps, journal), num

        found = await self._run(read, "BEGIN")
        if found is None:
            return None
        loaded, num = found
        known = self._known.get(key)
        # A run loaded to go on (resumed, restarted): its num, for its steps. Not an ended one:
        # reads of many old runs must not push out the runs this store is writing.
        if (known is None or known.num != num) and loaded.status not in ENDED:
            remember(self._known, key, Known(num))
        return loaded

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
        order = " ORDER BY created_at DESC, run_id DESC, rowid"
        paged = params
        if page is not None and per_page is not None:
            order += " LIMIT ? OFFSET ?"
            paged = [*params, max(per_page, 0), max(page * per_page, 0)]
        select_steps, select_journal = list_parts(condition, order)

        def read(cur: sqlite3.Cursor) -> tuple[list[RunRecord], int]:
            total: int = cur.execute(f"SELECT count(*) FROM runs{condition}", params).fetchone()[0]
            rows = cur.execute(
                f"SELECT {COLUMNS}, journal_seq, head FROM runs{condition}{order}", paged
            ).fetchall()
            if not rows:
                return [], total
            steps = by_run(cur.execute(select_steps, paged).fetchall())
            journal = by_run(cur.execute(select_journal, paged).fetchall())
            none: list[Sequence[Any]] = []
            records: list[RunRecord] = []
            for row in rows:
                key = (row[0], row[1])
                records.append(assemble(row, steps.get(key, none), journal.get(key, none)))
            return records, total

        return await self._run(read, "BEGIN")

    async def delete_run(self, workflow_name: str, run_id: str) -> None:
        def write(cur: sqlite3.Cursor) -> None:
            cur.execute(DELETE_RUN, (workflow_name, run_id))  # the rest goes with it

        await self._run(write, None)
        self._known.pop((workflow_name, run_id), None)

    async def renew_lease(
        self, workflow_name: str, run_id: str, owner: str, lease_until: int
    ) -> bool:
        def write(cur: sqlite3.Cursor) -> bool:
            cur.execute(RENEW_LEASE, (owner, lease_until, workflow_name, run_id, owner))
            return cur.rowcount == 1

        return await self._run(write, None)

    async def list_due_runs(self, now: int, limit: int = 100) -> list[RunRecord]:
        def read(cur: sqlite3.Cursor) -> list[RunRecord]:
            rows = cur.execute(DUE_RUNS, (now, limit)).fetchall()
            return [record_from_row(row, {}) for row in rows]

        return await self._run(read, None)

    async def push_signal(self, workflow_name: str, run_id: str, name: str, data: Any) -> None:
        params = (workflow_name, run_id, name, encode(data))

        def write(cur: sqlite3.Cursor) -> None:
            cur.execute(PUSH_SIGNAL, params)
            if cur.rowcount != 1:
                raise run_not_found(workflow_name, run_id)

        await self._run(write, None)

    async def pop_signal(self, workflow_name: str, run_id: str, name: str) -> tuple[bool, Any]:
        def write(cur: sqlite3.Cursor) -> tuple[bool, Any]:
            rows = cur.execute(POP_SIGNAL, (workflow_name, run_id, name)).fetchall()
            return (True, decode(rows[0][0])) if rows else (False, None)

        return await self._run(write, None)

    async def close(self) -> None:
        with self._mutex:
            conn, self._conn, self._cur = self._conn, None, None
            checkpointer, self._checkpointer = self._checkpointer, None
            if checkpointer is not None:
                checkpointer.close()
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
                    result = op(cur)
                else:
                    cur.execute(begin)
                    result = op(cur)
                    cur.execute("COMMIT")
                if self._checkpointer is not None:
                    self._checkpointer.tick()
                return result
            except BaseException as exc:
                conn = self._conn
                if conn is not None and conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.rollback()
                if isinstance(exc, sqlite3.Error):
                    if is_busy(exc):
                        raise _Busy() from exc
                    raise StorageError(f"SQLite database '{self.path}' failed: {exc}") from exc
                raise

    def _open(self) -> sqlite3.Cursor:
        conn = open_connection(self.path, self._busy_timeout_ms)
        self._conn = conn
        self._cur = cur = conn.cursor()
        if self.path != ":memory:":
            # Checkpoints run on a thread of their own; SQLite's own is only a backstop.
            cur.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")
            self._checkpointer = Checkpointer(self.path, self._busy_timeout_ms)
        return cur
