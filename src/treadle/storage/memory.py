"""InMemoryStore: runs in a dict, for tests and for workflows used without an app."""

from __future__ import annotations

import bisect
import json
import marshal
from collections.abc import Collection, Mapping, Sequence
from itertools import islice
from operator import itemgetter, lt
from typing import Any

from ..errors import RunNotFoundError, RunStateError, SnapshotVersionError
from .base import SCHEMA_VERSION, RunEvent, RunRecord, split_snapshot

__all__ = ["InMemoryStore"]


class _Stored:
    """One run as the store keeps it: the head, step records by key, the path, signals and
    the event log.

    The event log is its seqs, in order (for bisecting), and its events as bytes, one chunk
    (a `marshal`ed list) per batch appended: chunk i holds the events from position
    `chunk_starts[i]` on. Bytes, not dicts: a streamed run logs a score of events, and as
    Python objects they would be that many more for the garbage collector to scan at every
    full collection, for as long as the store lives; reads decode them (a copy, as every read
    of this store returns). `marshal`, not JSON: the bytes never leave this process, and it
    encodes a run's events in half the time pydantic-core's `to_json` takes. The engine's
    events are plain JSON values already; an object marshal has no form for (a model, a
    datetime) raises TypeError, which the run's event log answers by converting the batch."""

    __slots__ = (
        "chunk_starts",
        "event_chunks",
        "event_seqs",
        "head",
        "path",
        "record",
        "signals",
        "steps",
    )

    def __init__(self, record: RunRecord) -> None:
        self.record = record  # columns; record.snapshot is unused here
        self.head: dict[str, Any] = {}
        self.steps: dict[str, dict[str, Any]] = {}
        self.path: list[str] | None = None  # None: the snapshot has no stepExecutionPath yet
        self.signals: list[tuple[str, Any]] = []
        self.event_seqs: list[int] = []
        self.event_chunks: list[bytes] = []
        self.chunk_starts: list[int] = []

    def events(self, start: int = 0) -> list[dict[str, Any]]:
        """The events from position `start` on, decoded."""
        if start >= len(self.event_seqs):
            return []
        first = bisect.bisect_right(self.chunk_starts, start) - 1
        out: list[dict[str, Any]] = []
        for chunk in self.event_chunks[first:]:
            out.extend(marshal.loads(chunk))
        return out[start - self.chunk_starts[first] :]


def _encode(events: list[Any]) -> bytes:
    try:
        return marshal.dumps(events, marshal.version)
    except ValueError as exc:  # an object marshal has no form for (a model, a datetime...)
        raise TypeError(f"event is not plain JSON: {exc}") from None


def version_conflict(record: RunRecord, expected: int, found: int) -> RunStateError:
    return RunStateError(
        f"run '{record.run_id}' of workflow '{record.workflow_name}' was changed by another "
        f"writer (expected version {expected}, found {found})",
        code="WORKFLOW_RUN_VERSION_CONFLICT",
    )


class InMemoryStore:
    """The reference store. Records handed to it are kept as given (the engine never changes
    a record after saving it); every read returns a deep copy, so callers cannot change what
    is stored."""

    default_persistence = "finish"
    """Nothing here outlives the process, so writing each step would buy nothing."""
    shared = False
    """No other process sees this store, so runs need no lease heartbeat."""

    def __init__(self) -> None:
        self._runs: dict[tuple[str, str], _Stored] = {}

    async def save_run(
        self,
        record: RunRecord,
        *,
        expected_version: int | None = None,
        steps: Mapping[str, dict[str, Any]] | None = None,
        replace_steps: bool = False,
    ) -> RunRecord:
        key = (record.workflow_name, record.run_id)
        stored = self._runs.get(key)
        if expected_version is not None:
            found = stored.record.version if stored is not None else 0
            if found != expected_version:
                raise version_conflict(record, expected_version, found)
        snapshot = record.snapshot
        if stored is None:
            columns = RunRecord(
                record.workflow_name,
                record.run_id,
                record.status,
                {},
                record.resource_id,
                record.created_at,
                record.updated_at,
                1,
                record.schema_version,
                record.wake_at,
                record.waiting_event,
                record.lease_owner,
                record.lease_until,
            )
            stored = self._runs[key] = _Stored(columns)
        else:
            columns = stored.record
            columns.status = record.status
            columns.updated_at = record.updated_at
            columns.version += 1
            columns.schema_version = record.schema_version
            columns.wake_at = record.wake_at
            columns.waiting_event = record.waiting_event
            columns.lease_owner = record.lease_owner
            columns.lease_until = record.lease_until
            if record.resource_id is not None:
                columns.resource_id = record.resource_id
        head, steps = split_snapshot(snapshot, steps)
        path = head.pop("stepExecutionPath", None)
        stored.head = head
        stored.path = list(path) if path is not None else None
        if replace_steps:
            stored.steps = dict(steps)
        else:
            stored.steps.update(steps)
        record.version = columns.version
        record.created_at = columns.created_at
        if record.resource_id is None:
            record.resource_id = columns.resource_id
        return record

    async def save_step(
        self,
        workflow_name: str,
        run_id: str,
        key: str,
        record: dict[str, Any],
        *,
        path_entry: str | None = None,
        patch: Mapping[str, Any] | None = None,
        updated_at: int | None = None,
    ) -> None:
        stored = self._get(workflow_name, run_id)
        stored.steps[key] = record
        if path_entry is not None:
            if stored.path is None:
                stored.path = [path_entry]
            else:
                stored.path.append(path_entry)
        if patch:
            stored.head.update(patch)
        if updated_at is not None:
            stored.record.updated_at = updated_at

    async def load_run(self, workflow_name: str, run_id: str) -> RunRecord | None:
        stored = self._runs.get((workflow_name, run_id))
        return _assemble(stored) if stored is not None else None

    async def list_runs(
        self,
        workflow_name: str | None = None,
        *,
        status: str | None = None,
        resource_id: str | None = None,
        from_date: int | None = None,
        to_date: int | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> tuple[list[RunRecord], int]:
        rows = [
            s
            for s in self._runs.values()
            if (workflow_name is None or s.record.workflow_name == workflow_name)
            and (status is None or s.record.status == status)
            and (resource_id is None or s.record.resource_id == resource_id)
            and (from_date is None or s.record.created_at >= from_date)
            and (to_date is None or s.record.created_at <= to_date)
        ]
        rows.sort(key=lambda s: (s.record.created_at, s.record.run_id), reverse=True)
        total = len(rows)
        if page is not None and per_page is not None:
            rows = rows[page * per_page : (page + 1) * per_page]
        return [_assemble(s) for s in rows], total

    async def delete_run(self, workflow_name: str, run_id: str) -> None:
        self._runs.pop((workflow_name, run_id), None)

    async def renew_lease(
        self, workflow_name: str, run_id: str, owner: str, lease_until: int
    ) -> bool:
        stored = self._runs.get((workflow_name, run_id))
        if stored is None or stored.record.lease_owner not in (None, owner):
            return False
        stored.record.lease_owner = owner
        stored.record.lease_until = lease_until
        return True

    async def list_due_runs(self, now: int, limit: int = 100) -> list[RunRecord]:
        due: list[_Stored] = []
        for s in self._runs.values():
            r = s.record
            if r.status != "waiting" or (r.lease_until is not None and r.lease_until >= now):
                continue
            woke = r.wake_at is not None and r.wake_at <= now
            signaled = r.waiting_event is not None and any(
                name == r.waiting_event for name, _ in s.signals
            )
            if woke or signaled:
                due.append(s)
        due.sort(key=lambda s: s.record.updated_at)
        return [_columns(s.record) for s in due[:limit]]

    async def push_signal(self, workflow_name: str, run_id: str, name: str, data: Any) -> None:
        self._get(workflow_name, run_id).signals.append((name, json.loads(json.dumps(data))))

    async def pop_signal(self, workflow_name: str, run_id: str, name: str) -> tuple[bool, Any]:
        stored = self._runs.get((workflow_name, run_id))
        if stored is None:
            return False, None
        for index, (found, data) in enumerate(stored.signals):
            if found == name:
                del stored.signals[index]
                return True, data
        return False, None

    async def append_events(
        self, workflow_name: str, run_id: str, events: Sequence[RunEvent]
    ) -> None:
        stored = self._get(workflow_name, run_id)
        seqs = stored.event_seqs
        if not events:
            return
        new = list(map(itemgetter(0), events))
        # The usual case: a batch in order, after everything stored: one chunk more. (Encoded
        # first: an event that is not JSON raises before anything is stored.)
        if (not seqs or new[0] > seqs[-1]) and all(map(lt, new, islice(new, 1, None))):
            chunk = _encode(list(map(itemgetter(1), events)))
            stored.chunk_starts.append(len(seqs))
            stored.event_chunks.append(chunk)
            seqs.extend(new)
            return
        # Otherwise merge (a seq stored already is never overwritten), and keep the whole log
        # as one chunk.
        merged = dict(zip(seqs, stored.events(), strict=True))
        for seq, event in events:
            merged.setdefault(seq, event)
        order = sorted(merged)
        chunk = _encode([merged[seq] for seq in order])
        stored.event_seqs, stored.event_chunks, stored.chunk_starts = order, [chunk], [0]

    async def load_events(
        self,
        workflow_name: str,
        run_id: str,
        *,
        after: int = 0,
        limit: int | None = None,
        types: Collection[str] | None = None,
    ) -> list[RunEvent]:
        stored = self._runs.get((workflow_name, run_id))
        if stored is None:
            return []
        start = bisect.bisect_right(stored.event_seqs, after)
        out: list[RunEvent] = []
        for seq, event in zip(stored.event_seqs[start:], stored.events(start), strict=True):
            if types is not None and event.get("type") not in types:
                continue
            if limit is not None and len(out) >= limit:
                break
            out.append((seq, event))  # decoded: a copy already
        return out

    async def last_event_seq(self, workflow_name: str, run_id: str) -> int:
        stored = self._runs.get((workflow_name, run_id))
        return stored.event_seqs[-1] if stored is not None and stored.event_seqs else 0

    async def close(self) -> None:
        return None

    def _get(self, workflow_name: str, run_id: str) -> _Stored:
        stored = self._runs.get((workflow_name, run_id))
        if stored is None:
            raise RunNotFoundError(f"no stored run '{run_id}' of workflow '{workflow_name}'")
        return stored


def _columns(r: RunRecord, snapshot: dict[str, Any] | None = None) -> RunRecord:
    return RunRecord(
        r.workflow_name,
        r.run_id,
        r.status,
        snapshot if snapshot is not None else {},
        r.resource_id,
        r.created_at,
        r.updated_at,
        r.version,
        r.schema_version,
        r.wake_at,
        r.waiting_event,
        r.lease_owner,
        r.lease_until,
    )


def _assemble(stored: _Stored) -> RunRecord:
    if stored.record.schema_version > SCHEMA_VERSION:
        raise SnapshotVersionError(
            f"run '{stored.record.run_id}' was stored with schema version "
            f"{stored.record.schema_version}; this Treadle reads up to {SCHEMA_VERSION}"
        )
    head = dict(stored.head)
    context: dict[str, Any] = {"input": head.pop("input")} if "input" in head else {}
    context.update(stored.steps)
    snapshot = {**head, "context": context}
    if stored.path is not None:
        snapshot["stepExecutionPath"] = stored.path
    # A deep copy through JSON: the caller's copy shares nothing with the store.
    return _columns(stored.record, json.loads(json.dumps(snapshot)))
