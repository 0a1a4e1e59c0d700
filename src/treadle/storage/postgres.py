"""PostgresStore: runs in PostgreSQL through asyncpg, shared by many processes.

Tables (created by the numbered SQL files in `migrations/postgres/`): `treadle_runs` holds one
row per run, its columns and its *head* (the snapshot without step records and path, `input`
included); `treadle_steps` one row per step record; `treadle_path` one row per
`stepExecutionPath` entry; `treadle_journal` one row per `save_step` since the run's last head
write (`0002_journal.sql`); `treadle_signals` the pending signals. JSON goes in `json` columns
(the text as written), not `jsonb`: jsonb turns 1e300 or 1.5e20 into integers and reorders keys,
while `json` keeps the text, so every value, float or int, comes back as saved.

`save_step`, the write of every durable step, is ONE single-row INSERT into the journal: it does
not touch the run's row, steps or path (the foreign key to `treadle_runs` says whether the run
exists). `load_run` and `list_runs` read head, steps, path and journal in one statement and
replay the journal in `seq` order (`_assemble`); `save_run` folds the journal into
`treadle_steps` (the latest record per key) and deletes it, in its own statement; a journaled
`updated_at` stands for the run's until then, in every read (`list_due_runs` included).

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
import json
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

try:
    import asyncpg  # pyright: ignore[reportMissingTypeStubs]
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "PostgresStore needs asyncpg; install the extra: pip install 'treadle[postgres]'"
    ) from exc

from ..errors import RunNotFoundError, SnapshotVersionError, StorageError
from .base import SCHEMA_VERSION, RunRecord
from .memory import version_conflict
from .migrate import load_migrations, run_migrations_async

__all__ = ["PostgresStore"]


# --- the part of asyncpg we use, typed (asyncpg ships no type hints) ------------------------


class _Row(Protocol):
    """An asyncpg `Record`: a row, read by column index."""

    def __getitem__(self, index: int, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...


class _Connection(Protocol):
    async def execute(self, query: str, /, *args: object) -> str: ...

    async def fetch(self, query: str, /, *args: object) -> list[_Row]: ...

    async def set_type_codec(
        self,
        typename: str,
        *,
        schema: str,
        encoder: Callable[[Any], str],
        decoder: Callable[[str], Any],
        format: str,
    ) -> None: ...

    def is_closed(self) -> bool: ...


class _Pool(Protocol):
    def acquire(self) -> Awaitable[_Connection]: ...

    async def release(self, connection: _Connection, /) -> None: ...

    async def close(self) -> None: ...

    def terminate(self) -> None: ...


# What a failed call of asyncpg can raise: server errors, client/connection errors (a dropped
# connection is an InterfaceError), and OSError (refused, reset; TimeoutError is one).
_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
)


class _NotJSON(ValueError):
    """Raised by the json codec for a value json.dumps refuses (asyncpg wraps it in DataError)."""


def _make_encode() -> Callable[[Any], str]:
    """`json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)` without
    the C encoder that `JSONEncoder.encode` builds on every call (about a third of the cost of
    encoding a small step record). No circular-reference check: a cycle raises RecursionError."""
    encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    make: Callable[..., Callable[[Any, int], Sequence[str]]] | None = getattr(
        json.encoder, "c_make_encoder", None
    )
    if make is None:  # pragma: no cover - a Python without the C accelerator
        return encoder.encode
    try:
        chunks = make(
            None, encoder.default, json.encoder.encode_basestring, None, ":", ",",
            False, False, False,
        )  # fmt: skip
    except TypeError:  # pragma: no cover - another Python's signature
        return encoder.encode

    def encode(value: Any) -> str:
        return "".join(chunks(value, 0))

    sample = {"k": [1, 2.5, -0.0, "é\n", None, True, {"": 10**30}, 1e300]}
    return encode if encode(sample) == encoder.encode(sample) else encoder.encode


_encode = _make_encode()


def _dumps(value: Any) -> str:
    try:
        return _encode(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise _NotJSON(str(exc) or type(exc).__name__) from exc


async def _init_connection(conn: _Connection) -> None:
    # `json` values in and out are Python values; text format, so the server's JSON text
    # (key order, number spelling) reaches json.loads unchanged.
    await conn.set_type_codec(
        "json", schema="pg_catalog", encoder=_dumps, decoder=json.loads, format="text"
    )


async def _reset_connection(conn: _Connection) -> None:
    """Nothing to reset when a connection goes back to the pool: the store never changes session
    state. (asyncpg's default reset costs a round trip per call; asyncpg still rolls back a
    transaction left open before calling this.)"""


# pg_advisory_xact_lock(key1, key2): key1 is ours ("trdl"), key2 a hash of the schema name.
_LOCK_KEY = 0x7472646C

# --- SQL -----------------------------------------------------------------------------------
# `{s}` is the schema (quoted identifier); `%(name)s` are parameters, numbered $1, $2, ... for
# asyncpg by `_compile` (a name used twice is one parameter). asyncpg lets the server infer the
# parameter types, so a parameter whose first use says nothing of its type is cast there.
# JSON parameters are Python values, encoded by the connection's json codec.

_COLUMNS = (
    "r.workflow_name, r.run_id, r.status, r.resource_id, r.created_at, r.updated_at, "
    "r.version, r.schema_version, r.wake_at, r.waiting_event, r.lease_owner, r.lease_until"
)

# Columns, then path_len, head, the step records as [[key, record], ...] in first-insert order,
# the path entries in order, and the journal as [[key, record, path_entry, patch, updated_at],
# ...] in seq order (replayed over the rest by `_assemble`). One statement, so one snapshot.
_FULL_COLUMNS = (
    _COLUMNS
    + """, r.path_len, r.head,
    (SELECT json_agg(json_build_array(s.key, s.record) ORDER BY s.seq)
       FROM {s}.treadle_steps s
      WHERE s.workflow_name = r.workflow_name AND s.run_id = r.run_id),
    (SELECT array_agg(p.step_id ORDER BY p.pos)
       FROM {s}.treadle_path p
      WHERE p.workflow_name = r.workflow_name AND p.run_id = r.run_id AND p.pos < r.path_len),
    (SELECT json_agg(json_build_array(j.key, j.record, j.path_entry, j.patch, j.updated_at)
                     ORDER BY j.seq)
       FROM {s}.treadle_journal j
      WHERE j.workflow_name = r.workflow_name AND j.run_id = r.run_id)"""
)

_LOAD = (
    "SELECT "
    + _FULL_COLUMNS
    + """
  FROM {s}.treadle_runs r
 WHERE r.workflow_name = %(wf)s AND r.run_id = %(run)s"""
)

_HEAD_VALUES = """
INSERT INTO {s}.treadle_runs AS r (workflow_name, run_id, resource_id, status, version,
    schema_version, created_at, updated_at, wake_at, waiting_event, lease_owner, lease_until,
    path_len, head)
VALUES (%(wf)s, %(run)s, %(resource)s, %(status)s, 1, %(schema_version)s, %(created)s,
    %(updated)s, %(wake)s, %(event)s, %(owner)s, %(until)s, %(path_len)s, %(head)s::json)"""

_HEAD_SET = """
    status = %(status)s, version = r.version + 1, schema_version = %(schema_version)s,
    updated_at = %(updated)s, wake_at = %(wake)s, waiting_event = %(event)s,
    lease_owner = %(owner)s, lease_until = %(until)s, path_len = %(path_len)s,
    head = %(head)s::json, resource_id = COALESCE(%(resource)s, r.resource_id)"""

_HEAD_RETURNING = " RETURNING r.version, r.created_at, r.resource_id"

# expected_version=None: insert or replace.
_HEAD_UPSERT = (
    _HEAD_VALUES
    + " ON CONFLICT (workflow_name, run_id) DO UPDATE SET"
    + _HEAD_SET
    + _HEAD_RETURNING
)
# expected_version=0: insert only a new run.
_HEAD_INSERT = _HEAD_VALUES + " ON CONFLICT (workflow_name, run_id) DO NOTHING" + _HEAD_RETURNING
# expected_version=n: replace only version n.
_HEAD_UPDATE = (
    "UPDATE {s}.treadle_runs AS r SET"
    + _HEAD_SET
    + """
 WHERE r.workflow_name = %(wf)s AND r.run_id = %(run)s AND r.version = %(expected)s"""
    + _HEAD_RETURNING
)

# The rest of save_run, in the same statement: it writes only when the head write did (`w`).
# The path is replaced whole: positions 0..n-1 upserted, positions >= n deleted. With `replace`
# (replace_steps), the step records not given are deleted and the given ones take new sequence
# numbers, so the context keeps the order given (as InMemoryStore's `steps = dict(steps)`).
#
# The run's journal is folded in, as if replayed before this write: its path entries, patches
# and updated_at are superseded by the new head, path and columns, so only its step records
# stay, the latest per key, upserted by the same INSERT as the given ones (two INSERTs of one
# statement may not both touch a row), a given record winning over a journaled one. Keys new to
# treadle_steps are numbered journal keys first (by first journal row), then given keys (in
# the order given); with `replace`, only given keys are written, in the order given. The
# journal rows read (`jf`) are the ones deleted (`jd`): one statement, one snapshot.
_SAVE_RUN_PATH = """
), p AS (
    INSERT INTO {s}.treadle_path (workflow_name, run_id, pos, step_id)
    SELECT %(wf)s, %(run)s, t.ord - 1, t.step_id
      FROM w, unnest(%(path)s::text[]) WITH ORDINALITY AS t(step_id, ord)
    ON CONFLICT (workflow_name, run_id, pos) DO UPDATE SET step_id = EXCLUDED.step_id
), d AS (
    DELETE FROM {s}.treadle_path x USING w
     WHERE x.workflow_name = %(wf)s AND x.run_id = %(run)s AND x.pos >= %(path_count)s"""

_SAVE_RUN_STEPS_AND_JOURNAL = """
), jf AS (
    SELECT DISTINCT ON (j.key) j.key, j.record, min(j.seq) OVER (PARTITION BY j.key) AS first
      FROM {s}.treadle_journal j
     WHERE j.workflow_name = %(wf)s AND j.run_id = %(run)s
     ORDER BY j.key, j.seq DESC
), g AS (
    SELECT t.e ->> 0 AS key, t.e -> 1 AS record, t.ord
      FROM json_array_elements(%(steps)s::json) WITH ORDINALITY AS t(e, ord)
), st AS (
    INSERT INTO {s}.treadle_steps AS y (workflow_name, run_id, key, record)
    SELECT %(wf)s, %(run)s, COALESCE(g.key, jf.key), COALESCE(g.record, jf.record)
      FROM w CROSS JOIN (jf FULL JOIN g ON g.key = jf.key)
     WHERE NOT %(replace)s::boolean OR g.key IS NOT NULL
     ORDER BY (NOT %(replace)s::boolean AND jf.key IS NULL),
              CASE WHEN %(replace)s::boolean THEN g.ord ELSE jf.first END, g.ord
    ON CONFLICT (workflow_name, run_id, key) DO UPDATE SET record = EXCLUDED.record,
        seq = CASE WHEN %(replace)s::boolean THEN EXCLUDED.seq ELSE y.seq END
), jd AS (
    DELETE FROM {s}.treadle_journal z USING w
     WHERE z.workflow_name = %(wf)s AND z.run_id = %(run)s"""

# A run that does not exist has no journal (its foreign key), so save_run(expected_version=0),
# which writes only a new run, upserts the given records alone (about a third cheaper).
_SAVE_RUN_STEPS = """
), st AS (
    INSERT INTO {s}.treadle_steps AS y (workflow_name, run_id, key, record)
    SELECT %(wf)s, %(run)s, t.e ->> 0, t.e -> 1
      FROM w, json_array_elements(%(steps)s::json) WITH ORDINALITY AS t(e, ord)
     ORDER BY t.ord
    ON CONFLICT (workflow_name, run_id, key) DO UPDATE SET record = EXCLUDED.record,
        seq = CASE WHEN %(replace)s::boolean THEN EXCLUDED.seq ELSE y.seq END"""

_SAVE_RUN_END = """
), x AS (
    DELETE FROM {s}.treadle_steps y USING w
     WHERE %(replace)s::boolean AND y.workflow_name = %(wf)s AND y.run_id = %(run)s
       AND y.key <> ALL (%(keys)s::text[])
)
SELECT version, created_at, resource_id FROM w"""


def _save_run_sql(head_write: str, *, journal: bool = True) -> str:
    steps = _SAVE_RUN_STEPS_AND_JOURNAL if journal else _SAVE_RUN_STEPS
    return "WITH w AS (" + head_write + _SAVE_RUN_PATH + steps + _SAVE_RUN_END


_VERSION = """
SELECT version FROM {s}.treadle_runs WHERE workflow_name = %(wf)s AND run_id = %(run)s"""

# save_step: one row appended to the journal (seq from the journal's identity). The foreign key to
# treadle_runs refuses a row of a missing run (ForeignKeyViolationError: RunNotFoundError).
_SAVE_STEP = """
INSERT INTO {s}.treadle_journal (workflow_name, run_id, key, record, path_entry, patch, updated_at)
VALUES (%(wf)s, %(run)s, %(key)s, %(record)s, %(entry)s, %(patch)s, %(updated)s)"""
_SAVE_STEP_ARGS = ("wf", "run", "key", "record", "entry", "patch", "updated")

_DELETE = """
WITH j AS (
    DELETE FROM {s}.treadle_journal WHERE workflow_name = %(wf)s AND run_id = %(run)s
), a AS (
    DELETE FROM {s}.treadle_steps WHERE workflow_name = %(wf)s AND run_id = %(run)s
), b AS (
    DELETE FROM {s}.treadle_path WHERE workflow_name = %(wf)s AND run_id = %(run)s
), c AS (
    DELETE FROM {s}.treadle_signals WHERE workflow_name = %(wf)s AND run_id = %(run)s
)
DELETE FROM {s}.treadle_runs WHERE workflow_name = %(wf)s AND run_id = %(run)s"""

_RENEW = """
UPDATE {s}.treadle_runs SET lease_owner = %(owner)s, lease_until = %(until)s
 WHERE workflow_name = %(wf)s AND run_id = %(run)s
   AND (lease_owner IS NULL OR lease_owner = %(owner)s)
RETURNING 1"""

# A run's updated_at is the latest one its journal holds, if any (save_step does not write the
# runs row); the journal of a waiting run is usually empty (its last save_run folded it).
_DUE = (
    "SELECT "
    + _COLUMNS.replace("r.updated_at", "COALESCE(ju.updated_at, r.updated_at)")
    + """
  FROM {s}.treadle_runs r
  LEFT JOIN LATERAL (
    SELECT j.updated_at FROM {s}.treadle_journal j
     WHERE j.workflow_name = r.workflow_name AND j.run_id = r.run_id
       AND j.updated_at IS NOT NULL
     ORDER BY j.seq DESC LIMIT 1) ju ON TRUE
 WHERE r.status = 'waiting'
   AND (r.lease_until IS NULL OR r.lease_until < %(now)s)
   AND (r.wake_at <= %(now)s
        OR (r.waiting_event IS NOT NULL AND EXISTS (
            SELECT 1 FROM {s}.treadle_signals g
             WHERE g.workflow_name = r.workflow_name AND g.run_id = r.run_id
               AND g.name = r.waiting_event)))
 ORDER BY COALESCE(ju.updated_at, r.updated_at), r.created_at, r.workflow_name, r.run_id
 LIMIT %(limit)s"""
)

# `data` comes as a one-element JSON array, its element taken out here: asyncpg sends a None
# parameter as SQL NULL without calling the codec, and a None payload must be stored as JSON null.
_PUSH = """
INSERT INTO {s}.treadle_signals (workflow_name, run_id, name, data)
SELECT %(wf)s::text, %(run)s::text, %(name)s::text, %(data)s::json -> 0
 WHERE EXISTS (SELECT 1 FROM {s}.treadle_runs
                WHERE workflow_name = %(wf)s AND run_id = %(run)s)
RETURNING id"""

_POP = """
DELETE FROM {s}.treadle_signals
 WHERE id = (SELECT id FROM {s}.treadle_signals
              WHERE workflow_name = %(wf)s AND run_id = %(run)s AND name = %(name)s
              ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING data"""

# list_runs: page the keys first (with the filtered total), then read the page's runs whole.
_LIST_KEYS = """
SELECT r.workflow_name, r.run_id, count(*) OVER () AS total
  FROM {s}.treadle_runs r
 WHERE {where}
 ORDER BY r.created_at DESC, r.run_id DESC"""

_LIST = (
    "SELECT "
    + _FULL_COLUMNS
    + """, k.total
  FROM ({keys}) AS k
  JOIN {s}.treadle_runs r ON r.workflow_name = k.workflow_name AND r.run_id = k.run_id
 ORDER BY r.created_at DESC, r.run_id DESC"""
)

_COUNT = "SELECT count(*) FROM {s}.treadle_runs r WHERE {where}"

_LIST_FILTERS = (
    ("r.workflow_name = %(wf)s", "wf"),
    ("r.status = %(status)s", "status"),
    ("r.resource_id = %(resource)s", "resource"),
    ("r.created_at >= %(from)s", "from"),
    ("r.created_at <= %(to)s", "to"),
)

_MIGRATIONS = ("migrations", "postgres")

_PARAM = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True, slots=True)
class _Query:
    """A statement in asyncpg's form: `sql` with $1, $2, ...; `names[i]` feeds `$i+1`."""

    sql: str
    names: tuple[str, ...]

    def args(self, params: Mapping[str, object]) -> list[object]:
        return [params[name] for name in self.names]


def _compile(template: str) -> _Query:
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _Query(_PARAM.sub(number, template), tuple(names))


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    # E'' escapes mean the same whatever standard_conforming_strings says.
    return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


class PostgresStore:
    """A `WorkflowStore` in PostgreSQL.

    `dsn` is a PostgreSQL URI or libpq-style connection string, as asyncpg reads it; tables live
    in `schema` (created if missing). Nothing connects until the first call; that call opens
    the pool and applies pending migrations (safe when several processes start at once). Up to
    `max_connections` connections are opened, on demand, and kept for reuse. `close()` closes
    them.
    """

    def __init__(self, dsn: str, *, schema: str = "public", max_connections: int = 10) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self.dsn = dsn
        self.schema = schema
        self.max_connections = max_connections
        self._schema_sql = _identifier(schema)
        self._load = self._q(_LOAD)
        self._save_upsert = self._q(_save_run_sql(_HEAD_UPSERT))
        self._save_insert = self._q(_save_run_sql(_HEAD_INSERT, journal=False))
        self._save_update = self._q(_save_run_sql(_HEAD_UPDATE))
        self._version = self._q(_VERSION)
        self._save_step = self._q(_SAVE_STEP)
        assert self._save_step.names == _SAVE_STEP_ARGS  # save_step passes its args in order
        self._delete = self._q(_DELETE)
        self._renew = self._q(_RENEW)
        self._due = self._q(_DUE)
        self._push = self._q(_PUSH)
        self._pop = self._q(_POP)
        self._lists: dict[tuple[tuple[str, ...], bool], tuple[_Query, _Query]] = {}
        self._pool: _Pool | None = None
        # Connections taken from the pool and kept between calls, last used on top.
        self._idle: list[_Connection] = []
        # One per connection: a call that finds no idle connection then always finds the pool
        # with one to spare (waiting in the pool's acquire would wait for connections the store
        # keeps, for ever).
        self._slots = asyncio.Semaphore(max_connections)
        self._init_lock = asyncio.Lock()
        self._closed = False

    def _q(self, template: str, **parts: str) -> _Query:
        return _compile(template.format(s=self._schema_sql, **parts))

    # --- connections ------------------------------------------------------------------------

    async def _start(self) -> _Pool:
        async with self._init_lock:
            if self._closed:
                raise StorageError("the PostgresStore is closed")
            if self._pool is not None:
                return self._pool
            try:
                pool = cast(
                    "_Pool",
                    await asyncpg.create_pool(  # pyright: ignore[reportUnknownMemberType]
                        self.dsn,
                        min_size=1,
                        max_size=self.max_connections,
                        init=_init_connection,
                        reset=_reset_connection,
                    ),
                )
            except _ERRORS as exc:
                raise StorageError(f"cannot connect to PostgreSQL: {exc}") from exc
            try:
                conn = await pool.acquire()
                try:
                    await self._migrate(conn)
                finally:
                    await pool.release(conn)
            except _ERRORS as exc:
                pool.terminate()
                raise StorageError(
                    f"cannot migrate the PostgreSQL schema {self.schema!r}: {exc}"
                ) from exc
            except BaseException:
                pool.terminate()
                raise
            self._pool = pool
            return pool

    async def _migrate(self, conn: _Connection) -> None:
        """Apply the migrations not yet recorded in the schema's `treadle_migrations`, with the
        shared runner (`storage/migrate.py`). Each of its transactions takes an advisory lock
        for the schema first, so processes starting at once apply each migration exactly once;
        the schema is created (under that lock) if missing."""
        migrations = load_migrations("treadle.storage", *_MIGRATIONS)
        latest = migrations[-1].version if migrations else 0
        rows = await conn.fetch(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = $1 AND c.relname = 'treadle_migrations')",
            self.schema,
        )
        if rows[0][0]:
            rows = await conn.fetch(
                f"SELECT max(version) FROM {self._schema_sql}.treadle_migrations"
            )
            if rows[0][0] is not None and rows[0][0] >= latest:
                return  # up to date: no lock, no DDL
        begin = (
            f"BEGIN; SELECT pg_advisory_xact_lock({_LOCK_KEY}, hashtext({_literal(self.schema)}));"
            f" DO $$ BEGIN IF to_regnamespace({_literal(self._schema_sql)}) IS NULL THEN"
            f" CREATE SCHEMA {self._schema_sql}; END IF; END $$;"
            f" SET LOCAL search_path TO {self._schema_sql}"
        )

        async def execute(
            statement: str, params: Sequence[Any] | None
        ) -> list[tuple[Any, ...]] | None:
            if params is None:  # a script: simple protocol, several statements allowed
                await conn.execute(statement)
                return None
            # The runner writes each parameter as %s: number them for asyncpg.
            count = iter(range(1, len(params) + 1))
            numbered = re.sub("%s", lambda _: f"${next(count)}", statement)
            return [tuple(row) for row in await conn.fetch(numbered, *params)]

        await run_migrations_async(execute, migrations, placeholder="%s", begin=begin)

    async def _checkout(self) -> _Connection:
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
        except _ERRORS as exc:
            raise StorageError(f"cannot connect to PostgreSQL: {exc}") from exc

    async def _give_back(self, conn: _Connection) -> None:
        pool = self._pool
        if pool is not None:
            with contextlib.suppress(*_ERRORS):
                await pool.release(conn)

    async def _fetch(self, query: _Query, params: Mapping[str, object]) -> list[_Row]:
        return await self._run(query.sql, query.args(params))

    async def _run(self, sql: str, args: Sequence[object]) -> list[_Row]:
        async with self._slots:
            conn = await self._checkout()
            try:
                rows = await conn.fetch(sql, *args)
            except BaseException as exc:
                await self._give_back(conn)
                if isinstance(exc, asyncpg.DataError) and isinstance(exc.__cause__, _NotJSON):
                    raise StorageError(
                        f"cannot store a value that is not JSON: {exc.__cause__}"
                    ) from exc
                if isinstance(exc, _ERRORS):
                    raise StorageError(f"PostgreSQL store failed: {exc}") from exc
                raise
            if self._closed:
                await self._give_back(conn)
            else:
                self._idle.append(conn)
            return rows

    async def _fetchone(self, query: _Query, params: Mapping[str, object]) -> _Row | None:
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
        snapshot = record.snapshot
        context: dict[str, Any] = snapshot.get("context") or {}
        head = {k: v for k, v in snapshot.items() if k not in ("context", "stepExecutionPath")}
        if "input" in context:
            head["input"] = context["input"]
        path = snapshot.get("stepExecutionPath")
        path_list: list[str] | None = list(path) if path is not None else None
        if steps is None:
            steps = {k: v for k, v in context.items() if k != "input"}
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
            "path_len": len(path_list) if path_list is not None else None,
            "path": path_list or [],
            "path_count": len(path_list) if path_list is not None else 0,
            "head": head,
            "steps": [[k, v] for k, v in steps.items()],
            "expected": expected_version,
            "replace": replace_steps,
            "keys": list(steps) if replace_steps else [],
        }
        if expected_version is None:
            query = self._save_upsert
        elif expected_version == 0:
            query = self._save_insert
        else:
            query = self._save_update
        row = await self._fetchone(query, params)
        if row is None:
            found = await self._fetchone(self._version, params)
            raise version_conflict(
                record, expected_version or 0, int(found[0]) if found is not None else 0
            )
        record.version = int(row[0])
        record.created_at = int(row[1])
        if record.resource_id is None:
            record.resource_id = row[2]
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
        # The arguments in `_SAVE_STEP_ARGS` order (no dict of names: the hot path).
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

    async def load_run(self, workflow_name: str, run_id: str) -> RunRecord | None:
        row = await self._fetchone(self._load, {"wf": workflow_name, "run": run_id})
        return _assemble(row) if row is not None else None

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
            total = int(rows[0][17])
        elif paged:
            counted = await self._fetchone(count_query, params)
            total = int(counted[0]) if counted is not None else 0
        else:
            total = 0
        return [_assemble(row) for row in rows], total

    def _list_queries(self, names: tuple[str, ...], paged: bool) -> tuple[_Query, _Query]:
        """list_runs' statements for the filters given (cached: asyncpg prepares each once)."""
        cached = self._lists.get((names, paged))
        if cached is None:
            where = " AND ".join(
                ["TRUE", *(condition for condition, name in _LIST_FILTERS if name in names)]
            )
            keys = _LIST_KEYS.replace("{where}", where)
            if paged:
                keys += " LIMIT %(limit)s OFFSET %(offset)s"
            cached = (
                self._q(_LIST.replace("{keys}", keys)),
                self._q(_COUNT, where=where),
            )
            self._lists[names, paged] = cached
        return cached

    async def delete_run(self, workflow_name: str, run_id: str) -> None:
        await self._fetch(self._delete, {"wf": workflow_name, "run": run_id})

    async def renew_lease(
        self, workflow_name: str, run_id: str, owner: str, lease_until: int
    ) -> bool:
        row = await self._fetchone(
            self._renew, {"wf": workflow_name, "run": run_id, "owner": owner, "until": lease_until}
        )
        return row is not None

    async def list_due_runs(self, now: int, limit: int = 100) -> list[RunRecord]:
        rows = await self._fetch(self._due, {"now": now, "limit": max(limit, 0)})
        return [_columns(row, {}) for row in rows]

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
        if pool is not None:
            try:
                await pool.close()
            except _ERRORS as exc:
                raise StorageError(f"closing the PostgreSQL pool failed: {exc}") from exc


def _columns(row: _Row, snapshot: dict[str, Any]) -> RunRecord:
    return RunRecord(
        workflow_name=row[0],
        run_id=row[1],
        status=row[2],
        snapshot=snapshot,
        resource_id=row[3],
        created_at=int(row[4]),
        updated_at=int(row[5]),
        version=int(row[6]),
        schema_version=int(row[7]),
        wake_at=row[8],
        waiting_event=row[9],
        lease_owner=row[10],
        lease_until=row[11],
    )


def _assemble(row: _Row) -> RunRecord:
    """A run from a `_FULL_COLUMNS` row: the snapshot put together as InMemoryStore does, the
    journal replayed in order over head, steps and path (a record replaces its key's, a path
    entry is appended, a patch shallow-merged into the head, an updated_at replaces the run's)."""
    schema_version = int(row[7])
    if schema_version > SCHEMA_VERSION:
        raise SnapshotVersionError(
            f"run '{row[1]}' was stored with schema version {schema_version}; "
            f"this Treadle reads up to {SCHEMA_VERSION}"
        )
    path_len: int | None = row[12]
    head: dict[str, Any] = row[13]
    steps: list[list[Any]] | None = row[14]
    path: list[str] = row[15] or []
    journal: list[list[Any]] | None = row[16]
    records: dict[str, Any] = dict(steps) if steps else {}
    has_path = path_len is not None
    record = _columns(row, {})
    if journal:
        for key, step, entry, patch, updated_at in journal:
            records[key] = step
            if entry is not None:
                path.append(entry)
                has_path = True
            if patch is not None:
                head.update(patch)
            if updated_at is not None:
                record.updated_at = int(updated_at)
    context: dict[str, Any] = {"input": head.pop("input")} if "input" in head else {}
    context.update(records)
    snapshot = {**head, "context": context}
    if has_path:
        snapshot["stepExecutionPath"] = path
    record.snapshot = snapshot
    return record
