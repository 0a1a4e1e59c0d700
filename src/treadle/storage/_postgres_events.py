"""PostgresStore's per-run event log: the `treadle_events` table (migration 0003) and the three
protocol methods on it, mixed into `PostgresStore`.

An append is ONE statement, so one round trip and atomic: the batch goes as three array
parameters (seqs, types, event texts), taken apart by `unnest` and inserted with ON CONFLICT DO
NOTHING; each event's text is parsed once, by its `::json` cast. Measured on loopback with
~400-byte events, this beat one `json` parameter taken apart by `json_array_elements` (which
parses every event several times) and asyncpg's `executemany` of a one-row INSERT by 10-20% at
20 and 200 events, and tied at one. Events are encoded before anything is sent, so an event
that is not JSON raises `ValueError` (`NotJSON`), not `StorageError`, as SQLiteStore's encoder
raises TypeError/ValueError (the event log converts such a batch and appends it again).

The foreign key to `treadle_runs` says whether the run exists and deletes the log with the run
(see the migration for why a cascade and not a DELETE in delete_run's statement). Its check is
a trigger per inserted row: half to two thirds of the server's time for a 200-event batch
(measured), the price of a delete_run that never leaves a log behind for a run re-created under
the same id.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import RunNotFoundError, StorageError
from ._postgres_sql import Row, dumps
from .base import RunEvent

__all__ = ["EventLog"]

_FOREIGN_KEY_VIOLATION = "23503"  # SQLSTATE

# `{s}` is the schema (quoted identifier).
_APPEND = """
INSERT INTO {s}.treadle_events (workflow_name, run_id, seq, type, event)
SELECT $1, $2, t.seq, t.type, t.event::json
  FROM unnest($3::bigint[], $4::text[], $5::text[]) WITH ORDINALITY AS t(seq, type, event, ord)
 ORDER BY t.ord
ON CONFLICT (workflow_name, run_id, seq) DO NOTHING"""

_RUN_EXISTS = "SELECT 1 FROM {s}.treadle_runs WHERE workflow_name = $1 AND run_id = $2"

# $4: the wanted types, or NULL for all; $5: the limit, or NULL for none.
_LOAD = """
SELECT seq, event FROM {s}.treadle_events
 WHERE workflow_name = $1 AND run_id = $2 AND seq > $3
   AND ($4::text[] IS NULL OR type = ANY ($4::text[]))
 ORDER BY seq
 LIMIT $5"""

_LAST = "SELECT max(seq) FROM {s}.treadle_events WHERE workflow_name = $1 AND run_id = $2"


@dataclass(frozen=True, slots=True)
class _Statements:
    append: str
    run_exists: str
    load: str
    last: str

    @classmethod
    def of(cls, schema_sql: str) -> _Statements:
        return cls(*(sql.format(s=schema_sql) for sql in (_APPEND, _RUN_EXISTS, _LOAD, _LAST)))


def _type(event: dict[str, Any]) -> str | None:
    found = event.get("type")
    return found if isinstance(found, str) else None


class EventLog:
    """The event-log methods of `PostgresStore`, run through its `_run` (its connections, its
    error mapping)."""

    if TYPE_CHECKING:
        _schema_sql: str

        async def _run(self, sql: str, args: Sequence[object]) -> list[Row]: ...

    _event_statements: _Statements | None = None

    def _events_sql(self) -> _Statements:
        found = self._event_statements
        if found is None:
            found = self._event_statements = _Statements.of(self._schema_sql)
        return found

    async def append_events(
        self, workflow_name: str, run_id: str, events: Sequence[RunEvent]
    ) -> None:
        sql = self._events_sql()
        if not events:  # nothing to insert, so no foreign key to say the run is missing
            if not await self._run(sql.run_exists, (workflow_name, run_id)):
                raise _run_not_found(workflow_name, run_id)
            return
        seqs = [seq for seq, _ in events]
        kinds = [_type(event) for _, event in events]
        texts = [dumps(event) for _, event in events]
        try:
            await self._run(sql.append, (workflow_name, run_id, seqs, kinds, texts))
        except StorageError as exc:
            if getattr(exc.__cause__, "sqlstate", None) == _FOREIGN_KEY_VIOLATION:
                raise _run_not_found(workflow_name, run_id) from exc.__cause__
            raise

    async def load_events(
        self,
        workflow_name: str,
        run_id: str,
        *,
        after: int = 0,
        limit: int | None = None,
        types: Collection[str] | None = None,
    ) -> list[RunEvent]:
        if (limit is not None and limit <= 0) or (types is not None and not types):
            return []
        wanted = sorted(set(types)) if types is not None else None
        rows = await self._run(
            self._events_sql().load, (workflow_name, run_id, after, wanted, limit)
        )
        return [(int(row[0]), row[1]) for row in rows]

    async def last_event_seq(self, workflow_name: str, run_id: str) -> int:
        rows = await self._run(self._events_sql().last, (workflow_name, run_id))
        found = rows[0][0] if rows else None
        return int(found) if found is not None else 0


def _run_not_found(workflow_name: str, run_id: str) -> RunNotFoundError:
    return RunNotFoundError(f"no stored run '{run_id}' of workflow '{workflow_name}'")
