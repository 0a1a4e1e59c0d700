"""A new run's first write (its `pending` head), owed until the event loop's next turn: a run
started at once is created by its start's `running` write instead, one durable write fewer."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from .storage.base import RunRecord

__all__ = ["Creations", "OwedCreation", "load_settled", "settle_creations"]

logger = logging.getLogger("treadle")
_running_loop = asyncio.get_running_loop


class OwedCreation:
    """The `pending` write of one new run. Its workflow's `Creations` begins it on the loop's
    next turn (a task), unless the run's start or a reader settles it first."""

    __slots__ = ("_creations", "record", "starting", "store", "task", "written")

    def __init__(self, creations: Creations, store: Any, record: RunRecord) -> None:
        self._creations = creations
        self.store = store
        self.record = record
        self.task: asyncio.Task[None] | None = None
        self.written = False
        # Set when a start was handed to a task (stream(), start_async()): its first write
        # creates the run, so the loop's next turn does not begin this one (a reader still
        # makes it written, as always).
        self.starting = False

    def start_refused(self) -> None:
        """The start that was to create the run failed before writing: write it after all."""
        if self.starting:
            self.starting = False
            self._creations.arm()

    def begin(self) -> None:
        self.task = _running_loop().create_task(self._write_in_background())

    async def _write_in_background(self) -> None:
        try:
            await self._write()
        except Exception as exc:  # stays owed: the run's start, or the next reader, writes it
            logger.debug("run '%s': its creation is not stored yet: %s", self.record.run_id, exc)

    async def _write(self) -> None:
        await self.store.save_run(self.record)
        self.written = True
        self._creations.forget(self)

    def left_to_start(self) -> bool:
        """For the run's start, whose own first write creates the run: True (and forgotten) if
        nothing of this one was begun; False if `settle(write=False)` must be awaited. (An owed
        creation is unwritten: a written one is forgotten at once.)"""
        task = self.task
        # Not begun, or begun in an event loop that has ended (asyncio.run's): it never ran.
        if task is None or task.get_loop() is not _running_loop():
            self._creations.forget(self)
            return True
        return False

    async def settle(self, *, write: bool = True) -> None:
        """Make the creation done: written (`write=True`, for a reader), or, if its write did
        not happen, left to the caller's own first write (`write=False`, the run's start)."""
        task = self.task
        if task is not None and not task.done() and task.get_loop() is _running_loop():
            await asyncio.shield(task)  # its write, not ours to cancel
        if self.written:
            return
        if write:
            await self._write()  # a StorageError leaves it owed
        else:
            self._creations.forget(self)


class Creations:
    """One workflow's owed creations, by run id, and the one callback per loop turn that begins
    their writes (one callback for any number of runs created in that turn)."""

    __slots__ = ("_loop", "owed")

    def __init__(self) -> None:
        self.owed: dict[str, OwedCreation] = {}
        self._loop: asyncio.AbstractEventLoop | None = None  # where the callback is scheduled

    def owe(self, store: Any, record: RunRecord) -> OwedCreation:
        creation = OwedCreation(self, store, record)
        self.owed[record.run_id] = creation
        self.arm()
        return creation

    def arm(self) -> None:
        """Have the loop's next turn begin the owed writes."""
        loop = _running_loop()
        if self._loop is not loop:
            self._loop = loop
            loop.call_soon(self._begin_all, loop)

    def _begin_all(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is loop:
            self._loop = None
        for creation in self.owed.values():
            if creation.starting:
                continue
            task = creation.task
            if task is None or task.get_loop() is not loop:  # (one of an ended loop never ran)
                creation.begin()

    def forget(self, creation: OwedCreation) -> None:
        run_id = creation.record.run_id
        if self.owed.get(run_id) is creation:
            del self.owed[run_id]


async def settle_creations(workflow: Any, run_id: str | None = None) -> None:
    """Settle the owed creations of `workflow` (only `run_id`'s, if given) before reading its
    runs from the store."""
    owed: dict[str, OwedCreation] = workflow._creations.owed
    if not owed:
        return
    if run_id is not None:
        creation = owed.get(run_id)
        if creation is not None:
            await creation.settle()
        return
    for creation in list(owed.values()):
        await creation.settle()


async def load_settled(workflow: Any, run_id: str) -> RunRecord | None:
    """The stored run `run_id` of `workflow`, once this process's owed creation of it (if any)
    is written: how this process reads one run."""
    await settle_creations(workflow, run_id)
    return await workflow.store.load_run(workflow.id, run_id)
