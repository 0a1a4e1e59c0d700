"""The part of asyncpg PostgresStore uses, typed, and the set-up of its connections."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import asyncpg  # pyright: ignore[reportMissingTypeStubs]

from ._postgres_sql import Row, dumps

__all__ = ["ERRORS", "Connection", "Pool", "init_connection", "reset_connection"]


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
