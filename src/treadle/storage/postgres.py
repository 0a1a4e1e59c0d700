"""PostgresStore: runs in PostgreSQL through asyncpg, shared by many processes.

Tables (created by the numbered SQL files in `migrations/postgres/`): `treadle_runs` holds one
row per run, its columns, its *head* (the snapshot without step records and path, `input`
included) and its execution path (`path`, a text array; NULL when the snapshot has none;
`0004_head_path.sql`); `treadle_steps` one row per compacted step record; `treadle_journal` one
row per `save_step` (`0002_journal.sql`); `treadle_signals` the pending signals;
`treadle_events` the run's event log (`0003_events.sql`, written and read by `EventLog`, in
`_postgres_events`). JSON goes in `json` columns (the text as written), not `jsonb`: jsonb turns
1e300 or 1.5e20 into integers and reorders keys, while `json` keeps the text, so every value,
float or int, comes back as saved.

`save_step`, the write of every durable step, is ONE single-row INSERT into the journal: it does
not touch the run's row or steps (the foreign key to `treadle_runs` says whether the run
exists). `save_run` (a head write) writes the runs row, path included, and sets the watermark
`journal_seq` to the run's largest journal `seq`: given no step records and nothing to fold, that
is its whole statement; records it is given are appended to the journal in the same statement.
`load_run` and `list_runs` read head, steps and journal in one statement and replay the journal
in `seq` order (`assemble`): a row up to the watermark gives only its step record (the head holds
its path entry, patch and updated_at), a later one also appends its path entry, merges its patch
and sets `updated_at`, in every read (`list_due_runs` included).

The journal is folded into `treadle_steps` (the latest record per key) and deleted, in the head
write's statement, only when that shrinks something that stays: with `replace_steps`, and when a
run ends (success, failed, canceled) with a key journaled more than once (a loop). The store
tracks each run's journal (`Journal`) to know without a query. For a run it does not track, the
end's statement checks the journal itself; when the end's head write shows that another process
wrote the run since this store last did, a second statement folds the journal if it repeats a
key (a fold never changes what a load returns, so a fold left undone is only a missed saving).

Every method is one SQL statement (data-modifying CTEs where several tables change), so each
is atomic outside any transaction and costs one round trip. Connections come from an asyncpg
pool made on first use (which also applies pending migrations) and are kept by the store
between calls (see `_checkout`); every connection decodes and encodes `json` with the standard
`json` module (a codec registered when it opens), and asyncpg keeps each statement prepared per
connection, so a repeated call sends only Bind/Execute.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Any, cast

try:
    import asyncpg  # pyright: ignore[reportMissingTypeStubs]
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "PostgresStore needs asyncpg; install the extra: pip install 'treadle[postgres]'"
    ) from exc

from ..errors import RunNotFoundError, StorageError
from ._journal import ENDED, Journal, after_head_write, remember
from ._postgres_conn import (
    ERRORS,
    Connection,
    Pool,
    init_connection,
    migrate,
    reset_connection,
)
from ._postgres_events import EventLog
from ._postgres_sql import (
    COUNT,
    DELETE,
    DUE,
    FOLD_JOURNAL,
    HEAD_INSERT,
    HEAD_UPDATE,
    HEAD_UPSERT,
    LIST,
    LIST_FILTERS,
    LIST_KEYS,
    LOAD,
    POP,
    PUSH,
    RENEW,
    SAVE_STEP,
    SAVE_STEP_ARGS,
    TOTAL,
    VERSION,
    NotJSON,
    Query,
    Row,
    assemble,
    compile_query,
    identifier,
    record_from_row,
    save_run_sql,
)
from .base import RunRecord, split_snapshot
from .memory import version_conflict

__all__ = ["PostgresStore"]


class PostgresStore(EventLog):
    """A `WorkflowStore` in PostgreSQL.

    `dsn` is a PostgreSQL URI or libpq-style connection string, as asyncpg reads it; tables live
    in `schema` (created if missing). Nothing connects until the first call; that call opens
    the pool and applies pending migrations (safe when several processes start at once). Up to
    `max_connections` connections are opened, on demand, and kept for reuse. `close()` closes
    them.

    `synchronous_commit=False` sets the server's `synchronous_commit = off` on the store's
    connections: a commit returns before its WAL record is flushed to disk, so a server crash or
    power loss can lose the last moments of commits (never corrupt anything), as SQLiteStore's
    `synchronous = NORMAL` can; a crash of this process loses nothing.
    """

    def __init__(
        self,
        dsn: str,
        *,
        schema: str = "public",
        max_connections: int = 10,
        synchronous_commit: bool = True,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self.dsn = dsn
        self.synchronous_commit = synchronous_commit
        self.schema = schema
        self.max_connections = max_connections
        self._schema_sql = identifier(schema)
        self._load = self._q(LOAD)
        # save_run's statements by (expected_version kind, what happens to the records); a new
        # run (expected_version=0) has no journal to fold.
        self._saves = {
            (head, records): self._q(save_run_sql(sql, records))
            for head, sql in (
                ("upsert", HEAD_UPSERT),
                ("insert", HEAD_INSERT),
                ("update", HEAD_UPDATE),
            )
            for records in ("none", "journal", "fold")
            if head != "insert" or records != "fold"
        }
        self._fold = self._q(FOLD_JOURNAL)
        self._version = self._q(VERSION)
        self._save_step = self._q(SAVE_STEP)
        assert self._save_step.names == SAVE_STEP_ARGS  # save_step passes its args in order
        self._delete = self._q(DELETE)
        self._renew = self._q(RENEW)
        self._due = self._q(DUE)
        self._push = self._q(PUSH)
        self._pop = self._q(POP)
        self._lists: dict[tuple[tuple[str, ...], bool], tuple[Query, Query]] = {}
        self._pool: Pool | None = None
        # The pool being closed: a call in flight during close() gives its connection back to
        # it (else pool.close() would wait for that connection forever).
        self._closing: Pool | None = None
        # Connections taken from the pool and kept between calls, last used on top.
        self._idle: list[Connection] = []
        # One per connection: a call that finds no idle connection then always finds the pool
        # with one to spare (waiting in the pool's acquire would wait for connections the store
        # keeps, for ever).
        self._slots = asyncio.Semaphore(max_connections)
        self._init_lock = asyncio.Lock()
        self._closed = False
        # The journals of runs this store has seen every write of, to decide on folding.
        self._tracked: dict[tuple[str, str], Journal] = {}

    def _q(self, template: str, **parts: str) -> Query:
        return compile_query(template.format(s=self._schema_sql, **parts))

    # --- connections ------------------------------------------------------------------------

    async def _start(self) -> Pool:
        async with self._init_lock:
            if self._closed:
                raise StorageError("the PostgresStore is closed")
            if self._pool is not None:
                return self._pool
            try:
                pool = cast(
                    "Pool",
                    await asyncpg.create_pool(  # pyright: ignore[reportUnknownMemberType]
                        self.dsn,
                        min_size=1,
                        max_size=self.max_connections,
                        init=init_connection,
                        reset=reset_connection,
                        server_settings=(
                            None if self.synchronous_commit else {"synchronous_commit": "off"}
                        ),
                    ),
                )
            except ERRORS as exc:
                raise StorageError(f"cannot connect to PostgreSQL: {exc}") from exc
            try:
                conn = await pool.acquire()
                try:
                    await migrate(conn, self.schema, self._schema_sql)
                finally:
                    await pool.release(conn)
            except ERRORS as exc:
                pool.terminate()
                raise StorageError(
                    f"cannot migrate the PostgreSQL schema {self.schema!r}: {exc}"
                ) from exc
            except BaseException:
                pool.terminate()
                raise
            self._pool = pool
            return pool

    async def _checkout(self) -> Connection:
        """A connection for one call: the last one used, else a new one from the pool.

        A call does not give its connection back to the asyncpg pool: asyncpg's acquire plus
        release costs ~40-100 us (a task per release) against a ~250 us save_step on loopback,
        so the store keeps the connections it took (at most `max_connections`, the pool's size)
        until `close()`; `_slots` admits one call per connection. A connection that failed, or
        that the server closed while it sat here, goes back to the pool, which drops it and opens
        a new one when needed."""
        while self._idle:
            conn = self._idle.pop()
            if not conn.is_closed():
                return conn
            await self._give_back(conn)
        pool = self._pool
        if pool is None or self._closed:
            pool = await self._start()
        try:
            return await pool.acquire()
        except ERRORS as exc:
            raise StorageError(f"cannot connect to PostgreSQL: {exc}") from exc

    async def _give_back(self, conn: Connection) -> None:
        pool = self._pool or self._closing
        if pool is not None:
            with contextlib.suppress(*ERRORS):
                await pool.release(conn)

    async def _fetch(self, query: Query, params: Mapping[str, object]) -> list[Row]:
        return await self._run(query.sql, query.args(params))

    async def _run(self, sql: str, args: Sequence[object]) -> list[Row]:
        async with self._slots:
            conn = await self._checkout()
            try:
                rows = await conn.fetch(sql, *args)
            except BaseException as exc:
                await self._give_back(conn)
                if isinstance(exc, asyncpg.DataError) and isinstance(exc.__cause__, NotJSON):
                    raise StorageError(
                        f"cannot store a value that is not JSON: {exc.__cause__}"
                    ) from exc
                if isinstance(exc, ERRORS):
                    raise StorageError(f"PostgreSQL store failed: {exc}") from exc
                raise
            if self._closed:
                await self._give_back(conn)
            else:
                self._idle.append(conn)
            return rows

    async def _fetchone(self, query: Query, params: Mapping[str, object]) -> Row | None:
        rows = await self._fetch(query, params)
        return rows[0] if rows else None

    # --- the protocol -----------------------------------------------------------------------

    async def save_run(
        self,
        record: RunRecord,
        *,
        expected_version: int | None = None,
        steps: Mapping[str, dict[str, Any]] | None = None,
        replace_steps: bool = False,
    ) -> RunRecord:
        head, steps = split_snapshot(record.snapshot, steps)
        path = head.pop("stepExecutionPath", None)
        key = (record.workflow_name, record.run_id)
        ends = record.status in ENDED
        tracked = self._tracked.get(key)
        # Fold when it shrinks something that stays (see `Journal`): with replace_steps, or at
        # the run's end if its journal repeats a key; a run not tracked here has the journal
        # checked in the statement (`force` false). A new run has no journal.
        force = replace_steps or (ends and tracked is not None and tracked.repeats())
        fold = expected_version != 0 and (force or (ends and tracked is None))
        params: dict[str, object] = {
            "wf": record.workflow_name,
            "run": record.run_id,
            "resource": record.resource_id,
            "status": record.status,
            "schema_version": record.schema_version,
            "created": record.created_at,
            "updated": record.updated_at,
            "wake": record.wake_at,
            "event": record.waiting_event,
            "owner": record.lease_owner,
            "until": record.lease_until,
            "path": list(path) if path is not None else None,
            "head": head,
            "steps": [[k, v] for k, v in steps.items()],
            "expected": expected_version,
            "force": force,
            "replace": replace_steps,
            "keys": list(steps) if replace_steps else [],
        }
        write = "upsert" if expected_version is None else "update" if expected_version else "insert"
        records = "fold" if fold else "journal" if steps else "none"
        row = await self._fetchone(self._saves[write, records], params)
        if row is None:
            found = await self._fetchone(self._version, params)
            raise version_conflict(
                record, expected_version or 0, int(found[0]) if found is not None else 0
            )
        version = int(row[0])
        record.version = version
        record.created_at = int(row[1])
        if record.resource_id is None:
            record.resource_id = row[2]
        # Keep track of the run's journal (see `Journal`): a fold moved the records given to
        # treadle_steps; otherwise they were journaled.
        known = after_head_write(tracked, version, fold, () if fold else steps)
        if ends:
            self._tracked.pop(key, None)
            if tracked is not None and known is None:
                # Another process wrote the run since: fold if its journal repeats a key. The
                # head write is committed, and a fold that fails leaves the journal as it was
                # (what a load returns is the same), so its error is not the caller's.
                with contextlib.suppress(StorageError):
                    await self._fetch(self._fold, params)
        elif known is None:
            self._tracked.pop(key, None)
        else:
            remember(self._tracked, key, known)
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
        # The arguments in `SAVE_STEP_ARGS` order (no dict of names: the hot path).
        patched = dict(patch) if patch else None
        args = (workflow_name, run_id, key, record, path_entry, patched, updated_at)
        try:
            await self._run(self._save_step.sql, args)
        except StorageError as exc:
            if isinstance(exc.__cause__, asyncpg.ForeignKeyViolationError):
                raise RunNotFoundError(
                    f"no stored run '{run_id}' of workflow '{workflow_name}'"
                ) from exc.__cause__
            raise
        tracked = self._tracked.get((workflow_name, run_id))
        if tracked is not None:
            tracked.append(key)

    async def load_run(self, workflow_name: str, run_id: str) -> RunRecord | None:
        row = await self._fetchone(self._load, {"wf": workflow_name, "run": run_id})
        return assemble(row) if row is not None else None

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
        values = {
            "wf": workflow_name,
            "status": status,
            "resource": resource_id,
            "from": from_date,
            "to": to_date,
        }
        params: dict[str, object] = {k: v for k, v in values.items() if v is not None}
        paged = page is not None and per_page is not None
        if page is not None and per_page is not None:
            params["limit"] = max(per_page, 0) if page >= 0 else 0
            params["offset"] = max(page * per_page, 0) if page >= 0 else 0
        list_query, count_query = self._list_queries(tuple(params), paged)
        rows = await self._fetch(list_query, params)
        if rows:
            total = int(rows[0][TOTAL])
        elif paged:
            counted = await self._fetchone(count_query, params)
            total = int(counted[0]) if counted is not None else 0
        else:
            total = 0
        return [assemble(row) for row in rows], total

    def _list_queries(self, names: tuple[str, ...], paged: bool) -> tuple[Query, Query]:
        """list_runs' statements for the filters given (cached: asyncpg prepares each once)."""
        cached = self._lists.get((names, paged))
        if cached is None:
            where = " AND ".join(
                ["TRUE", *(condition for condition, name in LIST_FILTERS if name in names)]
            )
            keys = LIST_KEYS.replace("{where}", where)
            if paged:
                keys += " LIMIT %(limit)s OFFSET %(offset)s"
            cached = (
                self._q(LIST.replace("{keys}", keys)),
                self._q(COUNT, where=where),
            )
            self._lists[names, paged] = cached
        return cached

    async def delete_run(self, workflow_name: str, run_id: str) -> None:
        await self._fetch(self._delete, {"wf": workflow_name, "run": run_id})
        self._tracked.pop((workflow_name, run_id), None)

    async def renew_lease(
        self, workflow_name: str, run_id: str, owner: str, lease_until: int
    ) -> bool:
        row = await self._fetchone(
            self._renew, {"wf": workflow_name, "run": run_id, "owner": owner, "until": lease_until}
        )
        return row is not None

    async def list_due_runs(self, now: int, limit: int = 100) -> list[RunRecord]:
        rows = await self._fetch(self._due, {"now": now, "limit": max(limit, 0)})
        return [record_from_row(row, {}) for row in rows]

    async def push_signal(self, workflow_name: str, run_id: str, name: str, data: Any) -> None:
        params = {"wf": workflow_name, "run": run_id, "name": name, "data": [data]}
        if await self._fetchone(self._push, params) is None:
            raise RunNotFoundError(f"no stored run '{run_id}' of workflow '{workflow_name}'")

    async def pop_signal(self, workflow_name: str, run_id: str, name: str) -> tuple[bool, Any]:
        row = await self._fetchone(self._pop, {"wf": workflow_name, "run": run_id, "name": name})
        return (True, row[0]) if row is not None else (False, None)

    async def close(self) -> None:
        self._closed = True
        async with self._init_lock:
            idle, self._idle = self._idle, []
            for conn in idle:
                await self._give_back(conn)
            pool, self._pool = self._pool, None
            self._closing = pool
        if pool is not None:
            try:
                await pool.close()
            except ERRORS as exc:
                raise StorageError(f"closing the PostgreSQL pool failed: {exc}") from exc
            finally:
                self._closing = None
