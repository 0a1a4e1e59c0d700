"""SQLiteStore's per-run event log: the `events` table (migration 0004) and the three protocol
methods on it, mixed into `SQLiteStore`.

An append is ONE `executemany` of an `INSERT ... ON CONFLICT DO NOTHING` (a stored `seq` is
skipped, never overwritten), inside `BEGIN IMMEDIATE ... COMMIT` when the batch has more than
one entry, so a batch is written whole or not at all, with one commit. The foreign key to
`runs` says whether the run exists (and deletes the log with the run). Events are encoded and
decoded outside the SQL, with the store's JSON codec; loads decode after the connection is
released.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ._sqlite_sql import FOREIGN_KEY_FAILED, encode, load_json, run_not_found
from .base import RunEvent

__all__ = ["APPEND_EVENT", "LAST_EVENT_SEQ", "LOAD_EVENTS", "LOAD_EVENTS_OF_TYPES", "EventLog"]

T = TypeVar("T")

_KEY = "workflow_name = ?1 AND run_id = ?2"

APPEND_EVENT = (
    "INSERT INTO events (workflow_name, run_id, seq, type, event) VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT (workflow_name, run_id, seq) DO NOTHING"
)
_RUN_EXISTS = f"SELECT 1 FROM runs WHERE {_KEY}"
# LIMIT -1: no limit. The primary key's index gives the range and the order.
LOAD_EVENTS = f"SELECT seq, event FROM events WHERE {_KEY} AND seq > ?3 ORDER BY seq LIMIT ?4"
# ?5: the wanted types as a JSON array (one statement for any number of them).
LOAD_EVENTS_OF_TYPES = (
    f"SELECT seq, event FROM events WHERE {_KEY} AND seq > ?3 "
    "AND type IN (SELECT value FROM json_each(?5)) ORDER BY seq LIMIT ?4"
)
LAST_EVENT_SEQ = f"SELECT max(seq) FROM events WHERE {_KEY}"


def _type(event: dict[str, Any]) -> str | None:
    found = event.get("type")
    return found if isinstance(found, str) else None


class EventLog:
    """The event-log methods of `SQLiteStore`, run through its `_run` (busy retry, ordering)."""

    if TYPE_CHECKING:

        async def _run(self, op: Callable[[sqlite3.Cursor], T], begin: str | None) -> T: ...

    async def append_events(
        self, workflow_name: str, run_id: str, events: Sequence[RunEvent]
    ) -> None:
        rows = [(workflow_name, run_id, seq, _type(event), encode(event)) for seq, event in events]

        def write(cur: sqlite3.Cursor) -> None:
            if not rows:  # nothing to insert, so no foreign key to say the run is missing
                if cur.execute(_RUN_EXISTS, (workflow_name, run_id)).fetchone() is None:
                    raise run_not_found(workflow_name, run_id)
                return
            try:
                cur.executemany(APPEND_EVENT, rows)
            except sqlite3.IntegrityError as exc:
                if getattr(exc, "sqlite_errorcode", None) == FOREIGN_KEY_FAILED:
                    raise run_not_found(workflow_name, run_id) from None
                raise

        await self._run(write, "BEGIN IMMEDIATE" if len(rows) > 1 else None)

    async def load_events(
        self,
        workflow_name: str,
        run_id: str,
        *,
        after: int = 0,
        limit: int | None = None,
        types: Collection[str] | None = None,
    ) -> list[RunEvent]:
        count = -1 if limit is None else max(limit, 0)
        if count == 0 or (types is not None and not types):
            return []
        if types is None:
            sql, params = LOAD_EVENTS, (workflow_name, run_id, after, count)
        else:
            wanted = encode(sorted(set(types)))
            sql, params = LOAD_EVENTS_OF_TYPES, (workflow_name, run_id, after, count, wanted)

        def read(cur: sqlite3.Cursor) -> list[Any]:
            return cur.execute(sql, params).fetchall()

        rows = await self._run(read, None)
        return [(seq, load_json(text, workflow_name, run_id)) for seq, text in rows]

    async def last_event_seq(self, workflow_name: str, run_id: str) -> int:
        def read(cur: sqlite3.Cursor) -> int:
            found = cur.execute(LAST_EVENT_SEQ, (workflow_name, run_id)).fetchone()[0]
            return int(found) if found is not None else 0

        return await self._run(read, None)
