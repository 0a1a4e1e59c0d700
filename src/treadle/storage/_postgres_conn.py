"""The part of asyncpg PostgresStore uses, typed, and the set-up of its connections and schema."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import asyncpg  # pyright: ignore[reportMissingTypeStubs]

from ._postgres_sql import Row, dumps, literal
from .migrate import load_migrations, run_migrations_async

__all__ = ["ERRORS", "Connection", "Pool", "init_connection", "migrate", "reset_connection"]


# asyncpg ships no type hints: the methods the store calls, typed here.


class Connection(Protocol):
    async def execute(self, query: str, /, *args: object) -> str: ...

    async def fetch(self, query: str, /, *args: object) -> list[Row]: ...

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


class Pool(Protocol):
    def acquire(self) -> Awaitable[Connection]: ...

    async def release(self, connection: Connection, /) -> None: ...

    async def close(self) -> None: ...

    def terminate(self) -> None: ...


# What a failed call of asyncpg can raise: server errors, client/connection errors (a dropped
# connection is an InterfaceError), and OSError (refused, reset; TimeoutError is one).
ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
)


async def init_connection(conn: Connection) -> None:
    # `json` values in and out are Python values; text format, so the server's JSON text
    # (key order, number spelling) reaches json.loads unchanged.
    await conn.set_type_codec(
        "json", schema="pg_catalog", encoder=dumps, decoder=json.loads, format="text"
    )


async def reset_connection(conn: Connection) -> None:
    """Nothing to reset when a connection goes back to the pool: the store never changes session
    state. (asyncpg's default reset costs a round trip per call; asyncpg still rolls back a
    transaction left open before calling this.)"""


# pg_advisory_xact_lock(key1, key2): key1 is ours ("trdl"), key2 a hash of the schema name.
_LOCK_KEY = 0x7472646C

_MIGRATIONS = ("migrations", "postgres")


async def migrate(conn: Connection, schema: str, schema_sql: str) -> None:
    """Apply the migrations not yet recorded in the schema's `treadle_migrations`, with the
    shared runner (`storage/migrate.py`). Each of its transactions takes an advisory lock for
    the schema first, so processes starting at once apply each migration exactly once; the
    schema (`schema_sql`, its quoted name) is created (under that lock) if missing."""
    migrations = load_migrations("treadle.storage", *_MIGRATIONS)
    latest = migrations[-1].version if migrations else 0
    rows = await conn.fetch(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = $1 AND c.relname = 'treadle_migrations')",
        schema,
    )
    if rows[0][0]:
        rows = await conn.fetch(f"SELECT max(version) FROM {schema_sql}.treadle_migrations")
        if rows[0][0] is not None and rows[0][0] >= latest:
            return  # up to date: no lock, no DDL
    begin = (
        f"BEGIN; SELECT pg_advisory_xact_lock({_LOCK_KEY}, hashtext({literal(schema)}));"
        f" DO $$ BEGIN IF to_regnamespace({literal(schema_sql)}) IS NULL THEN"
        f" CREATE SCHEMA {schema_sql}; END IF; END $$;"
        f" SET LOCAL search_path TO {schema_sql}"
    )

    async def execute(statement: str, params: Sequence[Any] | None) -> list[tuple[Any, ...]] | None:
        if params is None:  # a script: simple protocol, several statements allowed
            await conn.execute(statement)
            return None
        # The runner writes each parameter as %s: number them for asyncpg.
        count = iter(range(1, len(params) + 1))
        numbered = re.sub("%s", lambda _: f"${next(count)}", statement)
        return [tuple(row) for row in await conn.fetch(numbered, *params)]

    await run_migrations_async(execute, migrations, placeholder="%s", begin=begin)
