"""A tiny schema-migration runner shared by the SQL stores.

Migrations are plain SQL files named `NNNN_name.sql` in a folder shipped as package data; the
number is the version. They are applied in order, each in its own transaction, and every applied
version is recorded in `treadle_migrations`. The check ("is version N recorded?") and the apply
happen inside one transaction that holds the database's write lock (SQLite: `BEGIN IMMEDIATE`;
Postgres: `BEGIN` plus an advisory or table lock), so two processes opening the same new database
at once apply each migration exactly once.

The runner does no I/O itself: it talks to the database through an executor callable
`execute(sql, params)`, where `params` is a sequence for one statement (its rows are returned; the
placeholder style is the driver's, given as `placeholder`) or None for a script of one or more
statements (the result is ignored). `run_migrations` drives a synchronous executor,
`run_migrations_async` an async one.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

__all__ = [
    "CREATE_TABLE",
    "Migration",
    "load_migrations",
    "run_migrations",
    "run_migrations_async",
]

CREATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS treadle_migrations ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
)

_NAME = re.compile(r"^(\d+)_([A-Za-z0-9_\-]+)\.sql$")

Rows = Sequence[Sequence[Any]]
Execute = Callable[[str, Sequence[Any] | None], Rows | None]
AsyncExecute = Callable[[str, Sequence[Any] | None], Awaitable[Rows | None]]
_Step = tuple[str, Sequence[Any] | None]


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(package: str, *folder: str) -> list[Migration]:
    """The migrations in `package`'s data folder `folder` (e.g. `"migrations", "sqlite"`),
    sorted by version. Raises ValueError for two files with one version."""
    root = files(package)
    for part in folder:
        root = root.joinpath(part)
    found: dict[int, Migration] = {}
    for entry in root.iterdir():
        match = _NAME.match(entry.name)
        if match is None or not entry.is_file():
            continue
        version = int(match.group(1))
        if version in found:
            raise ValueError(f"two migrations with version {version} in {'/'.join(folder)}")
        found[version] = Migration(version, match.group(2), entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def _plan(
    migrations: Sequence[Migration], placeholder: str, begin: str
) -> Generator[_Step, Rows | None, list[int]]:
    """The statements to run, one at a time; receives each statement's rows. Returns the
    versions this call applied."""
    # Create the table and read what is applied under the lock, once; a migration found
    # missing is checked again inside its own transaction (another process may be faster).
    yield begin, None
    yield CREATE_TABLE, None
    rows = yield "SELECT version FROM treadle_migrations", ()
    yield "COMMIT", None
    done = {int(row[0]) for row in rows or ()}
    check = f"SELECT 1 FROM treadle_migrations WHERE version = {placeholder}"
    record = (
        "INSERT INTO treadle_migrations (version, name, applied_at) "
        f"VALUES ({placeholder}, {placeholder}, {placeholder})"
    )
    applied: list[int] = []
    for migration in migrations:
        if migration.version in done:
            continue
        yield begin, None
        if not (yield check, (migration.version,)):
            yield migration.sql, None
            yield record, (migration.version, migration.name, int(time.time() * 1000))
            applied.append(migration.version)
        yield "COMMIT", None
    return applied


def run_migrations(
    execute: Execute,
    migrations: Sequence[Migration],
    *,
    placeholder: str = "?",
    begin: str = "BEGIN IMMEDIATE",
) -> list[int]:
    """Apply the migrations not yet recorded, in order; the versions applied by this call.
    If a statement fails, the open transaction is rolled back and the error propagates
    (migrations committed before it stay applied)."""
    plan = _plan(migrations, placeholder, begin)
    try:
        step = next(plan)
        while True:
            try:
                rows = execute(*step)
            except BaseException:
                _rollback(execute)
                raise
            step = plan.send(rows)
    except StopIteration as stop:
        result: list[int] = stop.value
        return result


async def run_migrations_async(
    execute: AsyncExecute,
    migrations: Sequence[Migration],
    *,
    placeholder: str = "%s",
    begin: str = "BEGIN",
) -> list[int]:
    """`run_migrations` for an async executor (Postgres: pass a `begin` that also takes a
    lock, e.g. `"BEGIN; SELECT pg_advisory_xact_lock(...)"`)."""
    plan = _plan(migrations, placeholder, begin)
    try:
        step = next(plan)
        while True:
            try:
                rows = await execute(*step)
            except BaseException:
                with contextlib.suppress(Exception):
                    await execute("ROLLBACK", None)
                raise
            step = plan.send(rows)
    except StopIteration as stop:
        result: list[int] = stop.value
        return result


def _rollback(execute: Execute) -> None:
    with contextlib.suppress(Exception):
        execute("ROLLBACK", None)
