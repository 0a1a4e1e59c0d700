"""PostgresStore's SQL statements, JSON codec, statement compilation and snapshot assembly."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import SnapshotVersionError
from .base import SCHEMA_VERSION, RunRecord

__all__ = [
    "COLUMNS",
    "COUNT",
    "DELETE",
    "DUE",
    "FOLD_JOURNAL",
    "FULL_COLUMNS",
    "HEAD_INSERT",
    "HEAD_UPDATE",
    "HEAD_UPSERT",
    "LIST",
    "LIST_FILTERS",
    "LIST_KEYS",
    "LOAD",
    "POP",
    "PUSH",
    "RENEW",
    "SAVE_STEP",
    "SAVE_STEP_ARGS",
    "TOTAL",
    "VERSION",
    "NotJSON",
    "Query",
    "Row",
    "assemble",
    "compile_query",
    "dumps",
    "identifier",
    "literal",
    "record_from_row",
    "save_run_sql",
]


class Row(Protocol):
    """An asyncpg `Record`: a row, read by column index."""

    def __getitem__(self, index: int, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...


class NotJSON(ValueError):
    """Raised by the json codec for a value json.dumps refuses (asyncpg wraps it in DataError)."""


def _make_encode() -> Callable[[Any], str]:
    """`json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)` without
    the C encoder that `JSONEncoder.encode` builds on every call (about a third of the cost of
    encoding a small step record). No circular-reference check: a cycle raises RecursionError."""
    encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    make: Callable[..., Callable[[Any, int], Sequence[str]]] | None = getattr(
        json.encoder, "c_make_encoder", None
    )
    if make is None:  # pragma: no cover - a Python without the C accelerator
        return encoder.encode
    try:
        chunks = make(
            None, encoder.default, json.encoder.encode_basestring, None, ":", ",",
            False, False, False,
        )  # fmt: skip
    except TypeError:  # pragma: no cover - another Python's signature
        return encoder.encode

    def encode(value: Any) -> str:
        return "".join(chunks(value, 0))

    sample = {"k": [1, 2.5, -0.0, "é\n", None, True, {"": 10**30}, 1e300]}
    return encode if encode(sample) == encoder.encode(sample) else encoder.encode


_encode = _make_encode()


def dumps(value: Any) -> str:
    try:
        return _encode(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise NotJSON(str(exc) or type(exc).__name__) from exc


# --- SQL -----------------------------------------------------------------------------------
# `{s}` is the schema (quoted identifier); `%(name)s` are parameters, numbered $1, $2, ... for
# asyncpg by `compile_query` (a name used twice is one parameter). asyncpg lets the server infer the
# parameter types, so a parameter whose first use says nothing of its type is cast there.
# JSON parameters are Python values, encoded by the connection's json codec.

COLUMNS = (
    "r.workflow_name, r.run_id, r.status, r.resource_id, r.created_at, r.updated_at, "
    "r.version, r.schema_version, r.wake_at, r.waiting_event, r.lease_owner, r.lease_until"
)

# Columns, then path, head, the step records as [[key, record], ...] in first-insert order, and
# the journal in seq order (replayed over the rest by `assemble`): a row up to the watermark
# `journal_seq` as [key, record] (the head holds the rest of it), a later one as [key, record,
# path_entry, patch, updated_at]. One statement, so one snapshot.
FULL_COLUMNS = (
    COLUMNS
    + """, r.path, r.head,
    (SELECT json_agg(json_build_array(s.key, s.record) ORDER BY s.seq)
       FROM {s}.treadle_steps s
      WHERE s.workflow_name = r.workflow_name AND s.run_id = r.run_id),
    (SELECT json_agg(CASE WHEN j.seq > r.journal_seq
                          THEN json_build_array(j.key, j.record, j.path_entry, j.patch,
                                                j.updated_at)
                          ELSE json_build_array(j.key, j.record) END
                     ORDER BY j.seq)
       FROM {s}.treadle_journal j
      WHERE j.workflow_name = r.workflow_name AND j.run_id = r.run_id)"""
)
TOTAL = 16  # list_runs' filtered total, after the FULL_COLUMNS

LOAD = (
    "SELECT "
    + FULL_COLUMNS
    + """
  FROM {s}.treadle_runs r
 WHERE r.workflow_name = %(wf)s AND r.run_id = %(run)s"""
)

# A head write: the runs row alone, path included. A new row has no journal (its foreign key), so
# its watermark is 0; an existing row's becomes the run's largest journal seq (kept when the
# journal is empty, folded away): the new head supersedes the path entries, patches and
# updated_at of every journal row so far.
_HEAD_VALUES = """
INSERT INTO {s}.treadle_runs AS r (workflow_name, run_id, resource_id, status, version,
    schema_version, created_at, updated_at, wake_at, waiting_event, lease_owner, lease_until,
    path, journal_seq, head)
VALUES (%(wf)s, %(run)s, %(resource)s, %(status)s, 1, %(schema_version)s, %(created)s,
    %(updated)s, %(wake)s, %(event)s, %(owner)s, %(until)s, %(path)s::text[], 0, %(head)s::json)"""

_HEAD_SET = """
    status = %(status)s, version = r.version + 1, schema_version = %(schema_version)s,
    updated_at = %(updated)s, wake_at = %(wake)s, waiting_event = %(event)s,
    lease_owner = %(owner)s, lease_until = %(until)s, path = %(path)s::text[],
    journal_seq = COALESCE((SELECT max(j.seq) FROM {s}.treadle_journal j
                             WHERE j.workflow_name = %(wf)s AND j.run_id = %(run)s),
                           r.journal_seq),
    head = %(head)s::json, resource_id = COALESCE(%(resource)s, r.resource_id)"""

_HEAD_RETURNING = " RETURNING r.version, r.created_at, r.resource_id"

# expected_version=None: insert or replace.
HEAD_UPSERT = (
    _HEAD_VALUES
    + " ON CONFLICT (workflow_name, run_id) DO UPDATE SET"
    + _HEAD_SET
    + _HEAD_RETURNING
)
# expected_version=0: insert only a new run.
HEAD_INSERT = _HEAD_VALUES + " ON CONFLICT (workflow_name, run_id) DO NOTHING" + _HEAD_RETURNING
# expected_version=n: replace only version n.
HEAD_UPDATE = (
    "UPDATE {s}.treadle_runs AS r SET"
    + _HEAD_SET
    + """
 WHERE r.workflow_name = %(wf)s AND r.run_id = %(run)s AND r.version = %(expected)s"""
    + _HEAD_RETURNING
)

# save_run given step records, no fold: the records appended to the journal in the order given
# (as save_step would, with no path entry, patch or updated_at), only if the head write happened
# (`w`). Numbered after the watermark the head write sets (it does not see them: one snapshot),
# so they win over every journaled record of their key.
_JOURNAL_RECORDS = """
), j AS (
    INSERT INTO {s}.treadle_journal (workflow_name, run_id, key, record)
    SELECT %(wf)s, %(run)s, t.e ->> 0, t.e -> 1
      FROM w, json_array_elements(%(steps)s::json) WITH ORDINALITY AS t(e, ord)
     ORDER BY t.ord
)
SELECT version, created_at, resource_id FROM w"""

# save_run folding the journal, when it shrinks something that stays: with `force`
# (replace_steps, or a run that ends with a key journaled twice, as this store saw), or when the
# journal holds a key twice (a run that ends, not every write of it seen by this store). Else
# (`f.fold` false) the given records are journaled as above.
#
# The fold: the head supersedes the journal's path entries, patches and updated_at, so only its
# step records stay, the latest per key, upserted by the same INSERT as the given ones (two
# INSERTs of one statement may not both touch a row), a given record winning over a journaled
# one; then the journal rows are deleted. Keys new to treadle_steps are numbered journal keys
# first (by first journal row), then given keys (in the order given). With `replace`
# (replace_steps), only the given keys are written, taking new sequence numbers in the order
# given, and the step records not given are deleted, so the context keeps the order given (as
# InMemoryStore's `steps = dict(steps)`). The journal rows read (`jf`) are the ones deleted
# (`jd`): one statement, one snapshot.
_FOLD = """
), f AS (
    SELECT %(force)s::boolean OR EXISTS (
               SELECT 1 FROM {s}.treadle_journal k
                WHERE k.workflow_name = %(wf)s AND k.run_id = %(run)s
                GROUP BY k.key HAVING count(*) > 1) AS fold
      FROM w
), jf AS (
    SELECT DISTINCT ON (j.key) j.key, j.record, min(j.seq) OVER (PARTITION BY j.key) AS first
      FROM {s}.treadle_journal j
     WHERE j.workflow_name = %(wf)s AND j.run_id = %(run)s AND (SELECT fold FROM f)
     ORDER BY j.key, j.seq DESC
), g AS (
    SELECT t.e ->> 0 AS key, t.e -> 1 AS record, t.ord
      FROM json_array_elements(%(steps)s::json) WITH ORDINALITY AS t(e, ord)
), st AS (
    INSERT INTO {s}.treadle_steps AS y (workflow_name, run_id, key, record)
    SELECT %(wf)s, %(run)s, COALESCE(g.key, jf.key), COALESCE(g.record, jf.record)
      FROM f CROSS JOIN (jf FULL JOIN g ON g.key = jf.key)
     WHERE f.fold AND (NOT %(replace)s::boolean OR g.key IS NOT NULL)
     ORDER BY (NOT %(replace)s::boolean AND jf.key IS NULL),
              CASE WHEN %(replace)s::boolean THEN g.ord ELSE jf.first END, g.ord
    ON CONFLICT (workflow_name, run_id, key) DO UPDATE SET record = EXCLUDED.record,
        seq = CASE WHEN %(replace)s::boolean THEN EXCLUDED.seq ELSE y.seq END
), jd AS (
    DELETE FROM {s}.treadle_journal z USING f
     WHERE f.fold AND z.workflow_name = %(wf)s AND z.run_id = %(run)s
), jn AS (
    INSERT INTO {s}.treadle_journal (workflow_name, run_id, key, record)
    SELECT %(wf)s, %(run)s, g.key, g.record FROM f, g WHERE NOT f.fold ORDER BY g.ord
), x AS (
    DELETE FROM {s}.treadle_steps y USING w
     WHERE %(replace)s::boolean AND y.workflow_name = %(wf)s AND y.run_id = %(run)s
       AND y.key <> ALL (%(keys)s::text[])
)
SELECT version, created_at, resource_id FROM w"""


# A fold on its own, for a run that ended when this store found out only from the head write
# that another process had written the run too: the journal rows up to the watermark, if they
# hold a key twice, folded into treadle_steps (keys new to it in the order of their first row)
# and deleted; the rows after the watermark stay as they are.
FOLD_JOURNAL = """
WITH r AS (
    SELECT journal_seq FROM {s}.treadle_runs WHERE workflow_name = %(wf)s AND run_id = %(run)s
), j AS (
    SELECT j.key, j.seq, j.record FROM {s}.treadle_journal j, r
     WHERE j.workflow_name = %(wf)s AND j.run_id = %(run)s AND j.seq <= r.journal_seq
), f AS (
    SELECT EXISTS (SELECT 1 FROM j GROUP BY j.key HAVING count(*) > 1) AS fold
), jf AS (
    SELECT DISTINCT ON (j.key) j.key, j.record, min(j.seq) OVER (PARTITION BY j.key) AS first
      FROM j WHERE (SELECT fold FROM f)
     ORDER BY j.key, j.seq DESC
), st AS (
    INSERT INTO {s}.treadle_steps AS y (workflow_name, run_id, key, record)
    SELECT %(wf)s, %(run)s, jf.key, jf.record FROM jf ORDER BY jf.first
    ON CONFLICT (workflow_name, run_id, key) DO UPDATE SET record = EXCLUDED.record
)
DELETE FROM {s}.treadle_journal z USING r, f
 WHERE f.fold AND z.workflow_name = %(wf)s AND z.run_id = %(run)s AND z.seq <= r.journal_seq"""


def save_run_sql(head_write: str, records: str) -> str:
    """save_run's statement: the head write alone (`records` "none"), with the given records
    journaled ("journal"), or with the fold ("fold")."""
    if records == "none":
        return head_write
    return "WITH w AS (" + head_write + (_FOLD if records == "fold" else _JOURNAL_RECORDS)


VERSION = """
SELECT version FROM {s}.treadle_runs WHERE workflow_name = %(wf)s AND run_id = %(run)s"""

# save_step: one row appended to the journal (seq from the journal's identity). The foreign key to
# treadle_runs refuses a row of a missing run (ForeignKeyViolationError: RunNotFoundError).
SAVE_STEP = """
INSERT INTO {s}.treadle_journal (workflow_name, run_id, key, record, path_entry, patch, updated_at)
VALUES (%(wf)s, %(run)s, %(key)s, %(record)s, %(entry)s, %(patch)s, %(updated)s)"""
SAVE_STEP_ARGS = ("wf", "run", "key", "record", "entry", "patch", "updated")

DELETE = """
WITH j AS (
    DELETE FROM {s}.treadle_journal WHERE workflow_name = %(wf)s AND run_id = %(run)s
), a AS (
    DELETE FROM {s}.treadle_steps WHERE workflow_name = %(wf)s AND run_id = %(run)s
), c AS (
    DELETE FROM {s}.treadle_signals WHERE workflow_name = %(wf)s AND run_id = %(run)s
)
DELETE FROM {s}.treadle_runs WHERE workflow_name = %(wf)s AND run_id = %(run)s"""

RENEW = """
UPDATE {s}.treadle_runs SET lease_owner = %(owner)s, lease_until = %(until)s
 WHERE workflow_name = %(wf)s AND run_id = %(run)s
   AND (lease_owner IS NULL OR lease_owner = %(owner)s)
RETURNING 1"""

# A run's updated_at is the latest one journaled after its head write, if any (save_step does not
# write the runs row).
DUE = (
    "SELECT "
    + COLUMNS.replace("r.updated_at", "COALESCE(ju.updated_at, r.updated_at)")
    + """
  FROM {s}.treadle_runs r
  LEFT JOIN LATERAL (
    SELECT j.updated_at FROM {s}.treadle_journal j
     WHERE j.workflow_name = r.workflow_name AND j.run_id = r.run_id
       AND j.seq > r.journal_seq AND j.updated_at IS NOT NULL
     ORDER BY j.seq DESC LIMIT 1) ju ON TRUE
 WHERE r.status = 'waiting'
   AND (r.lease_until IS NULL OR r.lease_until < %(now)s)
   AND (r.wake_at <= %(now)s
        OR (r.waiting_event IS NOT NULL AND EXISTS (
            SELECT 1 FROM {s}.treadle_signals g
             WHERE g.workflow_name = r.workflow_name AND g.run_id = r.run_id
               AND g.name = r.waiting_event)))
 ORDER BY COALESCE(ju.updated_at, r.updated_at), r.created_at, r.workflow_name, r.run_id
 LIMIT %(limit)s"""
)

# `data` comes as a one-element JSON array, its element taken out here: asyncpg sends a None
# parameter as SQL NULL without calling the codec, and a None payload must be stored as JSON null.
PUSH = """
INSERT INTO {s}.treadle_signals (workflow_name, run_id, name, data)
SELECT %(wf)s::text, %(run)s::text, %(name)s::text, %(data)s::json -> 0
 WHERE EXISTS (SELECT 1 FROM {s}.treadle_runs
                WHERE workflow_name = %(wf)s AND run_id = %(run)s)
RETURNING id"""

POP = """
DELETE FROM {s}.treadle_signals
 WHERE id = (SELECT id FROM {s}.treadle_signals
              WHERE workflow_name = %(wf)s AND run_id = %(run)s AND name = %(name)s
              ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING data"""

# list_runs: page the keys first (with the filtered total), then read the page's runs whole.
LIST_KEYS = """
SELECT r.workflow_name, r.run_id, count(*) OVER () AS total
  FROM {s}.treadle_runs r
 WHERE {where}
 ORDER BY r.created_at DESC, r.run_id DESC"""

LIST = (
    "SELECT "
    + FULL_COLUMNS
    + """, k.total
  FROM ({keys}) AS k
  JOIN {s}.treadle_runs r ON r.workflow_name = k.workflow_name AND r.run_id = k.run_id
 ORDER BY r.created_at DESC, r.run_id DESC"""
)

COUNT = "SELECT count(*) FROM {s}.treadle_runs r WHERE {where}"

LIST_FILTERS = (
    ("r.workflow_name = %(wf)s", "wf"),
    ("r.status = %(status)s", "status"),
    ("r.resource_id = %(resource)s", "resource"),
    ("r.created_at >= %(from)s", "from"),
    ("r.created_at <= %(to)s", "to"),
)

_PARAM = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True, slots=True)
class Query:
    """A statement in asyncpg's form: `sql` with $1, $2, ...; `names[i]` feeds `$i+1`."""

    sql: str
    names: tuple[str, ...]

    def args(self, params: Mapping[str, object]) -> list[object]:
        return [params[name] for name in self.names]


def compile_query(template: str) -> Query:
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return Query(_PARAM.sub(number, template), tuple(names))


def identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    # E'' escapes mean the same whatever standard_conforming_strings says.
    return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def record_from_row(row: Row, snapshot: dict[str, Any]) -> RunRecord:
    return RunRecord(
        workflow_name=row[0],
        run_id=row[1],
        status=row[2],
        snapshot=snapshot,
        resource_id=row[3],
        created_at=int(row[4]),
        updated_at=int(row[5]),
        version=int(row[6]),
        schema_version=int(row[7]),
        wake_at=row[8],
        waiting_event=row[9],
        lease_owner=row[10],
        lease_until=row[11],
    )


def assemble(row: Row) -> RunRecord:
    """A run from a `FULL_COLUMNS` row: the snapshot put together as InMemoryStore does, the
    journal replayed in order over head, steps and path (a record replaces its key's; from a row
    after the watermark, a path entry is appended, a patch shallow-merged into the head, an
    updated_at replaces the run's)."""
    schema_version = int(row[7])
    if schema_version > SCHEMA_VERSION:
        raise SnapshotVersionError(
            f"run '{row[1]}' was stored with schema version {schema_version}; "
            f"this Treadle reads up to {SCHEMA_VERSION}"
        )
    stored_path: list[str] | None = row[12]
    head: dict[str, Any] = row[13]
    steps: list[list[Any]] | None = row[14]
    journal: list[list[Any]] | None = row[15]
    records: dict[str, Any] = dict(steps) if steps else {}
    has_path = stored_path is not None
    path = stored_path if stored_path is not None else []
    record = record_from_row(row, {})
    if journal:
        for journaled in journal:
            records[journaled[0]] = journaled[1]
            if len(journaled) == 2:  # up to the watermark: the head holds the rest
                continue
            _, _, entry, patch, updated_at = journaled
            if entry is not None:
                path.append(entry)
                has_path = True
            if patch is not None:
                head.update(patch)
            if updated_at is not None:
                record.updated_at = int(updated_at)
    context: dict[str, Any] = {"input": head.pop("input")} if "input" in head else {}
    context.update(records)
    snapshot = {**head, "context": context}
    if has_path:
        snapshot["stepExecutionPath"] = path
    record.snapshot = snapshot
    return record
