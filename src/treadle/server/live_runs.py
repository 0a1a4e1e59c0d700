"""LiveRuns: the runs this server drives, held until their drives end (a `Workflow` keeps run
handles weakly, and the event loop keeps tasks weakly), launched one at a time per run."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from ..results import WorkflowResult
from ..run import Run
from ..stream import WorkflowStream

__all__ = ["LiveRuns"]

logger = logging.getLogger("treadle.server")

RunKey = tuple[str, str]


class _Drive:
    """One drive of a run (a start, resume or time travel) and the stream that reports it."""

    __slots__ = ("detached", "run", "stream", "task")

    def __init__(self, run: Run[Any, Any]) -> None:
        self.run = run
        self.stream: WorkflowStream | None = None
        self.task: asyncio.Task[Any] | None = None
        self.detached = False  # no reader needs the stream any more


class LiveRuns:
    """Every drive the server started, until it has ended: so `cancel` finds the very handle
    that drives the run, the handle is not collected mid-run, and a client that goes away does
    not stop the run (the drive is a server task, not the request's)."""

    def __init__(self) -> None:
        self._drives: dict[WorkflowStream, _Drive] = {}
        self._tasks: dict[asyncio.Task[Any], Run[Any, Any] | None] = {}
        self._locks: weakref.WeakValueDictionary[RunKey, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def __len__(self) -> int:
        return len(self._drives) + len(self._tasks)

    def lock(self, workflow_id: str, run_id: str) -> asyncio.Lock:
        """Held while a drive of the run is being launched: two requests cannot both start it."""
        key = (workflow_id, run_id)
        found = self._locks.get(key)
        if found is None:
            found = self._locks[key] = asyncio.Lock()
        return found

    def launch(
        self,
        run: Run[Any, Any],
        call: Callable[[], Awaitable[WorkflowResult]],
        *,
        close_on_suspend: bool = True,
        buffer_size: int = 1024,
    ) -> WorkflowStream:
        """Run `call` (run.start/resume/time_travel with its arguments) as a server task and
        return the stream of its events; the run is held until the drive has ended and the
        stream is done with (its result is known, or its reader left)."""
        drive = _Drive(run)

        async def execute() -> WorkflowResult:
            task = asyncio.current_task()
            if task is not None:
                drive.task = task
                task.add_done_callback(lambda _t: self._settle(drive))
            return await call()

        stream = WorkflowStream(
            run, execute, close_on_suspend=close_on_suspend, buffer_size=buffer_size
        )
        drive.stream = stream
        self._drives[stream] = drive
        stream.result.add_done_callback(lambda _f: self._settle(drive))
        return stream

    async def detach(self, stream: WorkflowStream) -> None:
        """The stream's reader is gone: stop following the run (the drive goes on)."""
        drive = self._drives.get(stream)
        if drive is not None:
            drive.detached = True
        await stream.aclose()
        if drive is not None:
            self._settle(drive)

    def driving(self, run: Run[Any, Any]) -> bool:
        """Whether a task of this server is driving `run` now."""
        if any(r is run and not t.done() for t, r in self._tasks.items()):
            return True
        return any(
            d.run is run and d.task is not None and not d.task.done() for d in self._drives.values()
        )

    def spawn(
        self, work: Coroutine[Any, Any, Any], what: str | None, run: Run[Any, Any] | None = None
    ) -> asyncio.Task[Any]:
        """Run `work` (a restart, an event delivery...) as a server task, holding `run` until it
        ends. `what` names it in the log if it fails; None: the caller awaits it (and reports)."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks[task] = run

        def done(finished: asyncio.Task[Any]) -> None:
            self._tasks.pop(finished, None)
            if finished.cancelled():
                return
            failure = finished.exception()  # retrieved: never "exception was never retrieved"
            if failure is not None and what is not None:
                logger.error("%s failed", what, exc_info=failure)

        task.add_done_callback(done)
        return task

    def _settle(self, drive: _Drive) -> None:
        stream = drive.stream
        if stream is None or drive.task is None or not drive.task.done():
            return
        if drive.detached or stream.result.done():
            self._drives.pop(stream, None)

    async def shutdown(self) -> None:
        """Stop every drive (as a process exit would: the runs stay stored as running and can
        be restarted) before the store closes."""
        tasks = [d.task for d in self._drives.values() if d.task is not None and not d.task.done()]
        tasks += [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for stream in list(self._drives):
            await stream.aclose()
        self._drives.clear()
        self._tasks.clear()
