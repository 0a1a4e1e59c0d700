"""Reading a SQLiteStore's file directly, for the SQLite tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

LOW = 0xFFFFFFFF  # the seq bits of a journal id (`runs.num << 32 | seq`, migration 0007)


def rows(db: Path, sql: str) -> list[Any]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def journal_of_num(db: Path, num: int) -> list[Any]:
    """The (seq, key) of run number `num`'s journal rows, in order."""
    return rows(
        db,
        f"SELECT id & {LOW}, key FROM journal WHERE id > {num} << 32 "
        f"AND id <= ({num} << 32 | {LOW}) ORDER BY id",
    )


def journal_of(db: Path, run_id: str) -> list[Any]:
    """The (seq, key) of the run's journal rows, in order."""
    ((num,),) = rows(db, f"SELECT num FROM runs WHERE run_id = '{run_id}'")
    return journal_of_num(db, num)
