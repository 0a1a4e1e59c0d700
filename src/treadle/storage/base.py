"""The store protocol every backend implements, and the stored run record.

A run is stored as a *head* (everything in the snapshot except the step records) plus one row per
step record, plus the execution path as an append-only list. That split is what makes writing one
step result O(1): the engine calls `save_step` when a step ends, and only at suspend, wait and
finish does it write the head with `save_run`.

The snapshot format (plain JSON, `SCHEMA_VERSION` 1) is Mastra's `WorkflowRunState` plus `meta`:

    {"runId", "status", "context": {"input": ..., "<step id>": <step record>, ...},
     "value": <state>, "stepExecutionPath": [...], "suspendedPaths": {...},
     "resumeLabels": {...}, "meta": {...}, "requestContext": {...}, "timestamp": <ms>,
     "result"?: ..., "error"?: {...}}
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = ["SCHEMA_VERSION", "RunEvent", "RunRecord", "WorkflowStore", "split_snapshot"]

SCHEMA_VERSION = 1
"""Version of the snapshot format. A store refuses to load a record with a higher one
(`SnapshotVersionError`), never silently resets it."""


@dataclass(slots=True)
class RunRecord:
    """One stored run: its snapshot (plain JSON) and the columns runs are found by.

    `version` counts writes of the head (`save_run`); it is the compare-and-set token.
    `wake_at` (epoch ms) is set while a run sleeps; `waiting_event` while it waits for a signal.
    `lease_owner`/`lease_until` (epoch ms) say which process is driving the run and until when:
    another process leaves a leased run alone until the lease has expired.
    """

    workflow_name: str
    run_id: str
    status: str
    snapshot: dict[str, Any]
    resource_id: str | None = None
    created_at: int = 0
    updated_at: int = 0
    version: int = 0
    schema_version: int = SCHEMA_VERSION
    wake_at: int | None = None
    waiting_event: str | None = None
    lease_owner: str | None = None
    lease_until: int | None = None


RunEvent = tuple[int, dict[str, Any]]
"""One entry of a run's event log: `(seq, event)`, the event a plain-JSON dict with a `type`."""


@runtime_checkable
class WorkflowStore(Protocol):
    """Async storage of runs. Every method is atomic: it either happens whole or not at all,
    and a failure raises `StorageError` (or a subclass) and leaves the stored run as it was.

    Ordering: writes to one run are applied in the order they are awaited. Reads see every
    write that completed before they started.
    """

    async def save_run(
        self,
        record: RunRecord,
        *,
        expected_version: int | None = None,
        steps: Mapping[str, dict[str, Any]] | None = None,
        replace_steps: bool = False,
    ) -> RunRecord:
        """Insert or replace the run's head (`record.snapshot` minus `context` step records,
        `stepExecutionPath` replaced whole) and its columns; upsert the step records in `steps`
        (default: every record in `record.snapshot["context"]` except `input`). With
        `replace_steps`, stored step records not written by this call are deleted (time travel
        rewrites a run from a step on).

        `created_at` and a non-null `resource_id` of an existing row are kept. With
        `expected_version`, the write happens only if the stored version equals it (0: the run
        must not exist yet); otherwise `RunStateError` (code `WORKFLOW_RUN_VERSION_CONFLICT`) is
        raised and nothing is written. On success `record.version` and `record.created_at` are
        updated to the stored values and the record is returned.
        """
        ...

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
        """Upsert one step record under `key` in the stored snapshot's `context`; append
        `path_entry` to `stepExecutionPath`; shallow-merge `patch` into the head (top-level
        snapshot keys such as `value` or `meta`). O(1) in the number of steps already stored.
        Does not change `version`. Raises `RunNotFoundError` if the run does not exist."""
        ...

    async def load_run(self, workflow_name: str, run_id: str) -> RunRecord | None:
        """The run with its full snapshot (head, step records and path assembled), or None.
        The returned record is the caller's own copy. Raises `SnapshotVersionError` for a
        record written by a newer schema version."""
        ...

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
        """Runs newest first (`created_at` desc, then `run_id` desc), filtered, and the total
        before paging. Paging applies when both `page` (0-based) and `per_page` are given.
        `from_date`/`to_date` bound `created_at` (inclusive, epoch ms)."""
        ...

    async def delete_run(self, workflow_name: str, run_id: str) -> None:
        """Remove the run, its step records, path, signals and event log. Deleting a missing run
        is a no-op."""
        ...

    async def renew_lease(
        self, workflow_name: str, run_id: str, owner: str, lease_until: int
    ) -> bool:
        """Extend `owner`'s lease on the run; False (and no write) if another owner holds it."""
        ...

    async def list_due_runs(self, now: int, limit: int = 100) -> list[RunRecord]:
        """Runs that need a process, whose lease is absent or expired (`lease_until < now`):
        status `waiting` with `wake_at <= now`, or `waiting` for an event with a matching signal
        stored. Oldest `updated_at` first. Snapshots may be left empty ({}) in the result."""
        ...

    async def push_signal(self, workflow_name: str, run_id: str, name: str, data: Any) -> None:
        """Store a signal (`run.send_event(name, data)`) for the run; signals of one name are
        taken in the order they were pushed. Raises `RunNotFoundError` for a missing run."""
        ...

    async def pop_signal(self, workflow_name: str, run_id: str, name: str) -> tuple[bool, Any]:
        """Take the oldest stored signal `name` of the run: `(True, data)`, or `(False, None)`."""
        ...

    async def append_events(
        self, workflow_name: str, run_id: str, events: Sequence[RunEvent]
    ) -> None:
        """Append entries to the run's event log (stream events, log records), each with its
        sequence number; `seq` is unique per run and a reader sees the log in `seq` order.
        An entry whose `seq` is already stored is skipped, never overwritten: a retried batch is
        harmless and history cannot be rewritten. Raises `RunNotFoundError` for a missing run.
        `delete_run` deletes the log with the run."""
        ...

    async def load_events(
        self,
        workflow_name: str,
        run_id: str,
        *,
        after: int = 0,
        limit: int | None = None,
        types: Collection[str] | None = None,
    ) -> list[RunEvent]:
        """The run's log entries with `seq > after`, in `seq` order, at most `limit`; with
        `types`, only entries whose `type` is one of them. A missing run has no entries."""
        ...

    async def last_event_seq(self, workflow_name: str, run_id: str) -> int:
        """The highest `seq` in the run's event log; 0 when it is empty or the run is missing."""
        ...

    async def close(self) -> None:
        """Release connections and files. The store is not used afterwards."""
        ...


def split_snapshot(
    snapshot: dict[str, Any], steps: Mapping[str, dict[str, Any]] | None
) -> tuple[dict[str, Any], Mapping[str, dict[str, Any]]]:
    """A snapshot as stores keep it: its head (everything but `context`, with the run's input)
    and its step records (`steps` if given, else those of `context`). Copied whole, then
    trimmed: cheaper than filtering (a run writes its head three times)."""
    context: dict[str, Any] = snapshot.get("context") or {}
    head = dict(snapshot)
    head.pop("context", None)
    if "input" in context:
        head["input"] = context["input"]
    if steps is None:
        records = dict(context)
        records.pop("input", None)
        steps = records
    return head, steps
