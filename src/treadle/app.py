"""Treadle: the app that registers workflows and owns their storage (Mastra's `Mastra`)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import WorkflowDefinitionError, WorkflowNotFoundError

if TYPE_CHECKING:
    from .storage.base import WorkflowStore
    from .workflow import Workflow

__all__ = ["Treadle"]


class Treadle:
    """`Treadle(workflows={"key": wf}, storage=store)`. Registering commits the workflows and
    makes the app their `ctx.app` and their store."""

    def __init__(
        self,
        workflows: Mapping[str, Workflow[Any, Any, Any]] | None = None,
        storage: WorkflowStore | None = None,
        *,
        restart_active_runs: bool = False,
        scheduler_poll_ms: float = 1000,
        clock: Any = None,
    ) -> None:
        """`restart_active_runs`: at `start()`, continue runs left `running` by a process that
        died (their lease expired). `scheduler_poll_ms`: how often the scheduler looks for runs
        whose sleep ended or whose event arrived. `clock`: time for runs and the scheduler (tests
        pass `treadle.testing.FakeClock()`)."""
        if storage is None:
            from .storage import default_store

            storage = default_store()
        self.storage: WorkflowStore = storage
        self.restart_active_runs = restart_active_runs
        from ._engine.clock import SYSTEM_CLOCK

        self.clock: Any = clock if clock is not None else SYSTEM_CLOCK
        self._restarts: asyncio.Task[None] | None = None
        self._workflows: dict[str, Workflow[Any, Any, Any]] = {}
        for key, wf in (workflows or {}).items():
            self.add_workflow(wf, key=key)
        from .scheduler import Scheduler

        self.scheduler = Scheduler(storage, self._by_id, self.clock, scheduler_poll_ms)

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the scheduler (durable sleeps and events) and, if asked, restart runs whose
        process died."""
        if self.restart_active_runs:  # in the background: restarted runs may take a while
            self._restarts = asyncio.get_running_loop().create_task(
                self.restart_all_active_workflow_runs()
            )
        self.scheduler.start()

    async def stop(self) -> None:
        """Stop the scheduler and close the store."""
        await self.scheduler.stop()
        if self._restarts is not None:
            await asyncio.gather(self._restarts, return_exceptions=True)
        await self.storage.close()

    async def __aenter__(self) -> Treadle:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def restart_all_active_workflow_runs(self) -> None:
        """Restart every registered workflow's runs left `running` by a process that died (lease
        expired), concurrently. Waiting runs are the scheduler's: it continues them when due."""
        for wf in self._workflows.values():
            await wf.restart_all_active_workflow_runs()

    def _by_id(self, workflow_id: str) -> Workflow[Any, Any, Any] | None:
        for wf in self._workflows.values():
            if wf.id == workflow_id:
                return wf
        return None

    def add_workflow(self, workflow: Workflow[Any, Any, Any], key: str | None = None) -> None:
        name = key or workflow.id
        if name in self._workflows and self._workflows[name] is not workflow:
            raise WorkflowDefinitionError(f"a workflow is already registered as '{name}'")
        if not workflow.committed:
            workflow.commit()
        workflow.app = self
        self._workflows[name] = workflow

    def get_workflow(self, key: str) -> Workflow[Any, Any, Any]:
        found = self._workflows.get(key)
        if found is None:
            for wf in self._workflows.values():
                if wf.id == key:
                    return wf
            raise WorkflowNotFoundError(
                f"no workflow '{key}' is registered (known: {', '.join(self._workflows) or 'none'})"
            )
        return found

    def list_workflows(self) -> dict[str, Workflow[Any, Any, Any]]:
        return dict(self._workflows)
