"""The store protocol every backend implements, and the stored run record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["SCHEMA_VERSION", "RunRecord", "WorkflowStore"]

SCHEMA_VERSION = 1


@dataclass(slots=True)
class RunRecord:
    """One stored run: its snapshot (plain JSON) and the columns runs are listed by."""

    workflow_name: str
    run_id: str
    status: str
    snapshot: dict[str, Any]
    resource_id: str | None = None
    created_at: int = 0
    updated_at: int = 0
    version: int = 0
    schema_version: int = SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict[str, Any])


class WorkflowStore(Protocol):
    """Async storage of run records. `save_run` with `expected_version` is a compare-and-set:
    it raises RunStateError when another writer got there first."""

    async def save_run(
        self, record: RunRecord, expected_version: int | None = None
    ) -> RunRecord: ...

    async def load_run(self, workflow_name: str, run_id: str) -> RunRecord | None: ...

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
    ) -> tuple[list[RunRecord], int]: ...

    async def delete_run(self, workflow_name: str, run_id: str) -> None: ...
