"""Shared by the storage and durability tests: the test PostgreSQL's DSN and admin statements.

`scripts/postgres.sh start` (run by `scripts/test`) starts a throwaway server and exports
TREADLE_TEST_POSTGRES_DSN. Without it, Postgres tests skip locally and FAIL under CI (env `CI`),
so CI never passes by skipping them.
"""

from __future__ import annotations

import os

import pytest

DSN_VAR = "TREADLE_TEST_POSTGRES_DSN"


def dsn_or_skip() -> str:
    """The DSN of the test database; skips (locally) or fails (in CI) without one."""
    dsn = os.environ.get(DSN_VAR)
    if dsn:
        return dsn
    reason = (
        f'{DSN_VAR} is not set: run `eval "$(scripts/postgres.sh start)"` first '
        "(scripts/test does it)"
    )
    if os.environ.get("CI"):
        pytest.fail(f"Postgres tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


async def admin(dsn: str, *statements: str) -> None:
    """Runs `statements` on a fresh asyncpg connection (autocommit), then closes it."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()
