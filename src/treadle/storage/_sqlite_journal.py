"""SQLiteStore's queries on a run's step journal: whether folding it pays, and the fold."""

from __future__ import annotations

import sqlite3

from ._sqlite_sql import DELETE_FOLDED, FOLD_JOURNAL, JOURNAL_KEYS_DISTINCT, RunKey

__all__ = ["fold_journal", "journal_distinct"]


def journal_distinct(cur: sqlite3.Cursor, key: RunKey) -> bool:
    """Whether the journal rows a fold would take hold every key once (nothing to fold)."""
    return bool(cur.execute(JOURNAL_KEYS_DISTINCT, key).fetchone()[0])


def fold_journal(cur: sqlite3.Cursor, key: RunKey) -> None:
    cur.execute(FOLD_JOURNAL, key)
    cur.execute(DELETE_FOLDED, key)
