"""The app's scheduler: continues stored runs whose sleep has ended or whose event has arrived,
when no live process holds them (after a restart, or when their process died)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .storage.base import RunRecord, WorkflowStore

if TYPE_CHECKING:
    from .workflow import Workflow

__all__ = ["Scheduler"]

logger = logging.getLogger("treadle.scheduler")


class Scheduler:
    """Polls `store.list_due_runs` every `poll_ms` and continues each due run in a task."""

    def __init__(
        self,
        store: WorkflowStore,
        find_workflow: Callable[[str], Workflow[Any, Any, Any] | None],
        clock: Any,
        poll_ms: float = 1000,
    ) -> None:
        self._store = store
        self._find = find_workflow
        self._clock = clock
        self._poll_ms = poll_ms
        self._task: asyncio.Task[None] | None = None
        self._running: dict[tuple[str, str], asyncio.Task[Any]] = {}

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def tick(self) -> int:
        """One pass: start every due run not already being continued here. Returns how many."""
        started = 0
        for record in await self._store.list_due_runs(self._clock.now_ms()):
            key = (record.workflow_name, record.run_id)
            if key in self._running:
                continue
            workflow = self._find(record.workflow_name)
            if workflow is None:
                continue  # another app's workflow sharing the store
            task = asyncio.get_running_loop().create_task(self._continue(workflow, record))
            self._running[key] = task
            task.add_done_callback(lambda _t, key=key: self._running.pop(key, None))
            started += 1
        return started

    async def wait_idle(self) -> None:
        """Wait for the runs this scheduler started to finish (or wait again)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # a store hiccup must not stop the scheduler
                logger.exception("scheduler pass failed")
            await self._clock.sleep(self._poll_ms)

    async def _continue(self, workflow: Workflow[Any, Any, Any], record: RunRecord) -> None:
        try:
            run = await workflow.create_run(run_id=record.run_id)
            await run.restart()
        except Exception:
            logger.exception(
                "continuing run '%s' of '%s' failed", record.run_id, record.workflow_name
            )
