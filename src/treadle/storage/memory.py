"""InMemoryStore: runs in a dict, for tests and for workflows used without an app."""

from __future__ import annotations

import json
from typing import Any

from ..errors import RunStateError
from .base import RunRecord

__all__ = ["InMemoryStore"]


class InMemoryStore:
    """Runs in a dict. A saved snapshot is kept as the object the engine handed over (the engine
    never changes a snapshot after saving it); every read returns a deep copy, so callers cannot
    change what is stored."""

    def __init__(self) -> None:
        self._runs: dict[tuple[str, str], RunRecord] = {}

    async def save_run(self, record: RunRecord, expected_version: int | None = None) -> RunRecord:
        key = (record.workflow_name, record.run_id)
        current = self._runs.get(key)
        if expected_version is not None:
            found = current.version if current is not None else 0
            if found != expected_version:
                raise RunStateError(
                    f"run '{record.run_id}' of workflow '{record.workflow_name}' was changed by "
                    f"another writer (expected version {expected_version}, found {found})",
                    code="WORKFLOW_RUN_VERSION_CONFLICT",
                )
        if current is None:
            record.version = 1
            self._runs[key] = RunRecord(
                record.workflow_name,
                record.run_id,
                record.status,
                record.snapshot,
                record.resource_id,
                record.created_at,
                record.updated_at,
                1,
            )
            return record
        # Our own private copy: update it in place (created_at and resource_id are kept).
        current.status = record.status
        current.snapshot = record.snapshot
        current.updated_at = record.updated_at
        current.version += 1
        if record.resource_id is not None:
            current.resource_id = record.resource_id
        record.version = current.version
        record.created_at = current.created_at
        return record

    async def load_run(self, workflow_name: str, run_id: str) -> RunRecord | None:
        return _copy(self._runs.get((workflow_name, run_id)))

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
            r
            for r in self._runs.values()
            if (workflow_name is None or r.workflow_name == workflow_name)
            and (status is None or r.status == status)
            and (resource_id is None or r.resource_id == resource_id)
            and (from_date is None or r.created_at >= from_date)
            and (to_date is None or r.created_at <= to_date)
        ]
        rows.sort(key=lambda r: (r.created_at, r.run_id), reverse=True)
        total = len(rows)
        if page is not None and per_page is not None:
            rows = rows[page * per_page : (page + 1) * per_page]
        return [_copy(r) for r in rows], total

    async def delete_run(self, workflow_name: str, run_id: str) -> None:
        self._runs.pop((workflow_name, run_id), None)


def _copy(found: RunRecord | None) -> Any:
    if found is None:
        return None
    return RunRecord(
        found.workflow_name,
        found.run_id,
        found.status,
        json.loads(json.dumps(found.snapshot)),
        found.resource_id,
        found.created_at,
        found.updated_at,
        found.version,
    )
