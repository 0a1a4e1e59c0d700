"""Writing a run to its store as it goes: the head at start, wait, suspend and finish; each step
record when the step ends; a lease (with a heartbeat) that tells other processes who drives it."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
from typing import TYPE_CHECKING, Any, Literal

from ._engine.execution import Execution
from ._ids import new_id
from ._schema import to_plain
from .errors import RunStateError
from .storage.base import RunRecord, WorkflowStore

if TYPE_CHECKING:
    from .results import WorkflowResult

__all__ = ["LEASE_MS", "PROCESS_OWNER", "RUN_META", "Persistence", "RunPersistence"]

RUN_META = "$run"
"""The key in a snapshot's `meta` for run-level bookkeeping (not a step): whether the run's
events are logged (`events`), its trace context (`trace`)."""

Persistence = Literal["step", "finish"]
"""When a run is written: "step" (every step result is durable when the step ends) or
"finish" (only at start, waits, suspend and finish: faster, but a crash loses the steps since)."""

LEASE_MS = 15_000
"""How long a process's claim on a run lasts without a heartbeat (renewed every third of it)."""

PROCESS_OWNER = f"{socket.gethostname()}:{os.getpid()}:{new_id()[:8]}"
"""This process's identity; each run handle's lease owner is this plus a counter."""

_handles = itertools.count(1)
logger = logging.getLogger("treadle")


class RunDisplacedError(RunStateError):
    """Another process took the run over while this one waited (its lease had expired)."""

    default_code = "WORKFLOW_RUN_DISPLACED"


class RunPersistence:
    """The store side of one run handle."""

    __slots__ = (
        "_ex",
        "_persisted",
        "_shared",
        "clock",
        "owner",
        "policy",
        "record",
        "recording",
        "store",
    )

    def __init__(
        self, store: WorkflowStore, record: RunRecord, policy: Persistence, clock: Any
    ) -> None:
        self.store = store
        self.record = record
        self.policy: Persistence = policy
        self.clock = clock
        self._ex: Execution | None = None
        self.owner = f"{PROCESS_OWNER}/{next(_handles)}"
        # Only a store other processes can see needs the lease kept alive.
        self._shared: bool = getattr(store, "shared", True)
        # key -> the record object last written by save_step (identity tells what is unsaved)
        self._persisted: dict[str, dict[str, Any]] = {}
        # True once the run's events are logged: the head says so, so that whichever process
        # continues the run keeps logging them.
        self.recording = False

    # -- per step -----------------------------------------------------------------------------
    def attach(self, ex: Execution) -> None:
        """Make `ex` write each finished step (policy "step"); no-op for "finish"."""
        self._persisted = {}
        self._ex = ex
        ex.persist = self.step_ended if self.policy == "step" else None
        ex.waits = self

    async def step_ended(self, key: str, record: dict[str, Any], path_entry: str | None) -> None:
        ex = self._ex
        assert ex is not None
        patch: dict[str, Any] | None = None
        if ex.dirty:
            patch = {"value": ex.state, "meta": ex.meta}
            ex.dirty = False
        await self.store.save_step(
            self.record.workflow_name,
            self.record.run_id,
            key,
            record,
            path_entry=path_entry,
            patch=patch,
            updated_at=self.clock.now_ms(),
        )
        self._persisted[key] = record

    # -- waits ------------------------------------------------------------------------------
    async def before_wait(
        self, ex: Execution, *, wake_at: int | None = None, event: str | None = None
    ) -> None:
        """Store the run as `waiting` (with its wake time or event), still leased to us."""
        await self.save_head(ex, "waiting", wake_at=wake_at, waiting_event=event)

    async def after_wait(self, ex: Execution) -> None:
        """Claim the run back (compare-and-set); another process may have taken it over."""
        try:
            await self.save_head(ex, "running", claim=True)
        except RunStateError as exc:
            raise RunDisplacedError(
                f"run '{self.record.run_id}' was taken over by another process while it waited "
                "(its lease had expired); it continues there",
            ) from exc

    # -- the head -----------------------------------------------------------------------------
    async def save_head(
        self,
        ex: Execution,
        status: str,
        *,
        result: WorkflowResult | None = None,
        final: bool = False,
        wake_at: int | None = None,
        waiting_event: str | None = None,
        claim: bool = False,
        replace: bool = False,
    ) -> None:
        """Write the head and every step record not yet written. `final` hands the Execution's
        containers over (no copies). `claim` makes it a compare-and-set on the stored version."""
        if self.recording:
            run_meta = ex.meta.setdefault(RUN_META, {})
            if run_meta.get("events") is not True:
                run_meta["events"] = True
        snap = ex.snapshot(handover=final)
        now = self.clock.now_ms()
        snap["runId"] = self.record.run_id
        snap["status"] = status
        snap["requestContext"] = _plain_rc(ex) if ex.request_context else {}
        snap["timestamp"] = now
        if result is not None:
            if result.result is not None:
                snap["result"] = result.result
            if result.error is not None:
                snap["error"] = result.error
        record = self.record
        record.status = status
        record.snapshot = snap
        record.updated_at = now
        record.wake_at = wake_at
        record.waiting_event = waiting_event
        active = status in ("running", "waiting")
        record.lease_owner = self.owner if active else None
        record.lease_until = now + LEASE_MS if active else None
        persisted = self._persisted
        if replace:
            steps = {k: v for k, v in snap["context"].items() if k != "input"}
        elif self.policy == "step":
            steps = {
                k: v
                for k, v in snap["context"].items()
                if k != "input" and persisted.get(k) is not v
            }
        else:
            steps = None
        await self.store.save_run(
            record,
            expected_version=record.version if claim else None,
            steps=steps,
            replace_steps=replace,
        )
        ex.dirty = False
        if steps:
            persisted.update(steps)
        if final:
            # Done with `ex`: dropping it breaks the cycle through `ex.persist`/`ex.waits`, so a
            # finished run is freed at once instead of by the garbage collector.
            self._ex = None
        if active:
            self._start_heartbeat()
        else:
            self.stop_heartbeat()

    # -- leases -------------------------------------------------------------------------------
    def _start_heartbeat(self) -> None:
        if self._shared:
            _HEARTBEAT.hold(self)

    async def renew(self) -> None:
        """Extend this handle's lease on the run (the heartbeat's call); a lease lost to another
        process is not renewed again."""
        record = self.record
        if record.lease_owner != self.owner:
            self.stop_heartbeat()
            return
        until = self.clock.now_ms() + LEASE_MS
        try:
            renewed = await self.store.renew_lease(
                record.workflow_name, record.run_id, self.owner, until
            )
        except Exception:  # the store is down: the next beat tries again
            logger.warning("run '%s': renewing its lease failed", record.run_id, exc_info=True)
            return
        if renewed:
            record.lease_until = until
        else:
            self.stop_heartbeat()

    def stop_heartbeat(self) -> None:
        _HEARTBEAT.release(self)

    def lease_expired(self, record: RunRecord) -> bool:
        return (
            record.lease_owner is None
            or record.lease_owner == self.owner
            or (record.lease_until or 0) < self.clock.now_ms()
        )


class _Heartbeat:
    """Keeps the leases of the runs this process drives alive: one timer per event loop, every
    third of a lease, renews them all (a timer per run would cost each run a timer's set-up and
    cancel, in the time of a step)."""

    __slots__ = ("_held", "_tasks", "_timed")

    def __init__(self) -> None:
        # The runs held, each with the event loop that drives it.
        self._held: dict[RunPersistence, asyncio.AbstractEventLoop] = {}
        self._timed: set[asyncio.AbstractEventLoop] = set()  # the loops with a timer set
        self._tasks: set[asyncio.Task[None]] = set()

    def hold(self, run: RunPersistence) -> None:
        loop = asyncio.get_running_loop()
        self._held[run] = loop
        if loop not in self._timed:
            # (a loop that ended with its timer set never beat again: forgotten here)
            self._timed = {timed for timed in self._timed if not timed.is_closed()}
            self._timed.add(loop)
            loop.call_later(LEASE_MS / 3000, self._beat, loop)

    def release(self, run: RunPersistence) -> None:
        self._held.pop(run, None)

    def _beat(self, loop: asyncio.AbstractEventLoop) -> None:
        """The timer of `loop`: renew the leases of the runs it drives."""
        self._timed.discard(loop)
        held = self._held
        for run, its_loop in list(held.items()):
            if its_loop is not loop:
                if its_loop.is_closed():  # its event loop ended (asyncio.run): nobody drives it
                    del held[run]
                continue
            task = loop.create_task(run.renew())
            self._tasks.add(task)  # referenced until done
            task.add_done_callback(self._tasks.discard)
        if loop in held.values():
            self._timed.add(loop)
            loop.call_later(LEASE_MS / 3000, self._beat, loop)
        # else nothing to keep here: the next hold() sets the timer again


_HEARTBEAT = _Heartbeat()


def _plain_rc(ex: Execution) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in ex.request_context.items():
        try:
            out[key] = to_plain(value)
        except Exception:  # values without a JSON form are not persisted
            continue
    return out
