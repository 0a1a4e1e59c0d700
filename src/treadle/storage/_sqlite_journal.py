"""SQLiteStore's step journal: the runs a store knows, save_step's INSERT, and folding."""

from __future__ import annotations

import sqlite3
from typing import Any

from ._journal import Journal
from ._sqlite_sql import (
    APPEND_JOURNAL,
    APPEND_JOURNAL_BY_KEY,
    APPEND_STEP,
    APPEND_STEP_BY_KEY,
    DELETE_FOLDED,
    FOLD_JOURNAL,
    JOURNAL_KEYS_DISTINCT,
    NOT_NULL_FAILED,
    RunKey,
    run_not_found,
)

__all__ = ["Known", "append_step", "fold_journal", "journal_distinct"]


class Known:
    """What a store knows of a run: its number `runs.num` (its journal's id range), and its
    journal if the store has seen every write of it since the journal's state was known (see
    `Journal`), to decide on compaction."""

    __slots__ = ("journal", "num")

    def __init__(self, num: int, journal: Journal | None = None) -> None:
        self.num = num
        self.journal = journal


def append_step(
    cur: sqlite3.Cursor, key: RunKey, num: int | None, values: tuple[Any, ...], full: bool
) -> int:
    """save_step's INSERT of `values` (APPEND_JOURNAL's if `full`, else APPEND_STEP's, after the
    run's num and key); the run's num. By the num if known, which the statement checks is
    still this run's (a run deleted by another process, perhaps created again, has another
    one, or the same with its old journal gone). Otherwise, or if it was not, by the key,
    which returns the num. RunNotFoundError: no such run."""
    if num is not None:
        try:
            cur.execute(APPEND_JOURNAL if full else APPEND_STEP, (num, *key, *values))
            return num
        except sqlite3.IntegrityError as exc:
            # the record is never NULL but where the run is not num's (see APPEND_STEP)
            code = getattr(exc, "sqlite_errorcode", None)
            if code != NOT_NULL_FAILED or "journal.record" not in str(exc):
                raise
    by_key = APPEND_JOURNAL_BY_KEY if full else APPEND_STEP_BY_KEY
    rows = cur.execute(by_key, (*key, *values)).fetchall()  # all: RETURNING ends the statement
    if not rows:
        raise run_not_found(*key)
    found: int = rows[0][0]
    return found >> 32


def journal_distinct(cur: sqlite3.Cursor, key: RunKey) -> bool:
    """Whether the journal rows a fold would take hold every key once (nothing to fold)."""
    return bool(cur.execute(JOURNAL_KEYS_DISTINCT, key).fetchone()[0])


def fold_journal(cur: sqlite3.Cursor, key: RunKey) -> None:
    cur.execute(FOLD_JOURNAL, key)
    cur.execute(DELETE_FOLDED, key)
