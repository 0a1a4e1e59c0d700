"""Fixtures for the storage tests: a real PostgreSQL, with one fresh schema per test.

`scripts/postgres.sh start` (run by `scripts/test`) starts a throwaway server and exports
TREADLE_TEST_POSTGRES_DSN. Without it, Postgres tests skip locally and FAIL under CI (env `CI`),
so CI never passes by skipping them.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from pg_support import admin, dsn_or_skip


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """The DSN of the test database, from TREADLE_TEST_POSTGRES_DSN."""
    return dsn_or_skip()


@pytest.fixture
async def postgres_schema_factory(postgres_dsn: str) -> AsyncIterator[Callable[[], Any]]:
    """`await make()` makes a fresh, empty schema (`t_<random>`); all are dropped after the
    test."""
    made: list[str] = []

    async def make() -> str:
        name = f"t_{secrets.token_hex(6)}"
        await admin(postgres_dsn, f'CREATE SCHEMA "{name}"')
        made.append(name)
        return name

    yield make
    if made:
        await admin(postgres_dsn, *(f'DROP SCHEMA IF EXISTS "{name}" CASCADE' for name in made))


@pytest.fixture
async def postgres_schema(postgres_schema_factory: Callable[[], Any]) -> str:
    """A fresh, empty schema for this test alone (dropped afterwards)."""
    name: str = await postgres_schema_factory()
    return name


@pytest.fixture
async def make_postgres_store(
    postgres_dsn: str, postgres_schema: str
) -> AsyncIterator[Callable[..., Any]]:
    """`make_postgres_store(**kwargs)` -> a PostgresStore on this test's schema (closed after)."""
    from treadle.storage.postgres import PostgresStore

    stores: list[PostgresStore] = []

    def make(dsn: str | None = None, **kwargs: Any) -> PostgresStore:
        store = PostgresStore(dsn or postgres_dsn, schema=postgres_schema, **kwargs)
        stores.append(store)
        return store

    yield make
    for store in stores:
        await store.close()
