"""The streaming half of `Run`: stream, resume_stream, time_travel_stream, observe_stream,
watch, and the run's event log around each drive (its workflow-start and workflow-finish)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from ._engine.error_json import serialize_error
from ._engine.execution import Emit, Execution
from ._engine.outcome import EMPTY
from .event_log import LOG_TYPE, RunEventLog
from .logs import LEVELS
from .persistence import RUN_META
from .request_context import RequestContext
from .results import WorkflowResult
from .stream import DEFAULT_BUFFER, WorkflowStream

if TYPE_CHECKING:
    from .events import EventBus
    from .persistence import RunPersistence
    from .storage.base import RunRecord, WorkflowStore
    from .workflow import Workflow

__all__ = ["StreamsMixin", "bound_emitters", "read_run_logs"]

logger = logging.getLogger("treadle")


class StreamsMixin:
    """Streams and watchers of a run (see run.py for the attributes used here)."""

    if TYPE_CHECKING:
        workflow: Workflow[Any, Any, Any]
        run_id: str
        workflow_id: str
        _p: RunPersistence
        _task: asyncio.Task[Any] | None
        _bus_: EventBus | None
        _live: Execution | None
        _new_log: bool

        async def start(self, *args: Any, **kwargs: Any) -> WorkflowResult: ...
        async def resume(self, *args: Any, **kwargs: Any) -> WorkflowResult: ...
        async def time_travel(self, *args: Any, **kwargs: Any) -> WorkflowResult: ...
        async def _load(self) -> RunRecord: ...
        async def _stored_result(self) -> WorkflowResult: ...

    # -- public API ---------------------------------------------------------------------------
    def stream(
        self,
        input_data: Any = None,
        initial_state: Any = None,
        request_context: RequestContext | Mapping[str, Any] | None = None,
        include_state: bool = False,
        include_resume_labels: bool = False,
        close_on_suspend: bool = True,
        buffer_size: int = DEFAULT_BUFFER,
    ) -> WorkflowStream:
        """Start the run and stream its events: `async for event in stream`, then
        `await stream.result`. With `close_on_suspend=False` the stream outlives a suspension
        and carries the events of the resume too."""
        return WorkflowStream(
            self,  # pyright: ignore[reportArgumentType]
            lambda: self.start(
                input_data, initial_state, request_context, include_state, include_resume_labels
            ),
            close_on_suspend=close_on_suspend,
            buffer_size=buffer_size,
        )

    def resume_stream(
        self,
        step: Any = None,
        resume_data: Any = None,
        label: str | None = None,
        for_each_index: int | None = None,
        request_context: RequestContext | Mapping[str, Any] | None = None,
        include_state: bool = False,
        include_resume_labels: bool = False,
        close_on_suspend: bool = True,
        buffer_size: int = DEFAULT_BUFFER,
    ) -> WorkflowStream:
        """`resume(...)`, streamed."""
        return WorkflowStream(
            self,  # pyright: ignore[reportArgumentType]
            lambda: self.resume(
                step,
                resume_data,
                label,
                for_each_index,
                request_context,
                include_state,
                include_resume_labels,
            ),
            close_on_suspend=close_on_suspend,
            buffer_size=buffer_size,
        )

    def time_travel_stream(
        self,
        step: Any,
        input_data: Any = None,
        resume_data: Any = None,
        context: Mapping[str, Any] | None = None,
        initial_state: Any = None,
        request_context: RequestContext | Mapping[str, Any] | None = None,
        include_state: bool = False,
        close_on_suspend: bool = True,
        buffer_size: int = DEFAULT_BUFFER,
    ) -> WorkflowStream:
        """`time_travel(...)`, streamed."""
        return WorkflowStream(
            self,  # pyright: ignore[reportArgumentType]
            lambda: self.time_travel(
                step,
                input_data,
                resume_data,
                context,
                initial_state,
                request_context,
                include_state,
            ),
            close_on_suspend=close_on_suspend,
            buffer_size=buffer_size,
        )

    def observe_stream(
        self,
        after: int = 0,
        close_on_suspend: bool = True,
        buffer_size: int = DEFAULT_BUFFER,
    ) -> WorkflowStream:
        """Follow the run without driving it: the logged events after `after` (a `seq`; 0 for
        all), then the live ones until it ends (or suspends). Works from any process: a run
        driven elsewhere is followed through the store. Runs that were never streamed have no
        logged events; from the moment one is observed its events are logged."""
        stream = WorkflowStream(
            self,  # pyright: ignore[reportArgumentType]
            None,
            close_on_suspend=close_on_suspend,
            after=after,
            buffer_size=buffer_size,
        )
        self._wire_live()
        return stream

    def watch(self, callback: Callable[[dict[str, Any]], Any]) -> Callable[[], None]:
        """Call `callback(event)` for each engine event (`{type, payload}`, Mastra's watch
        shape), synchronously, as the engine makes it; returns unwatch. A slow callback slows
        the run: hand heavy work off (or use a stream, which buffers)."""
        unwatch = self._bus.add_watcher(callback)
        self._wire_live()
        return unwatch

    # -- the log around a drive -----------------------------------------------------------------
    @property
    def _bus(self) -> EventBus:
        if self._bus_ is None:
            from .events import EventBus

            log = RunEventLog(self.workflow.store, self.workflow_id, self.run_id)
            if self._new_log:
                log.next_seq = 1
            self._bus_ = EventBus(log)
        return self._bus_

    def _wire_live(self) -> None:
        """A listener arrived while the run is being driven: its events flow from the next
        step on (a stream's once it has opened the log)."""
        ex = self._live
        if ex is not None and ex.emit is None and self._bus.active:
            ex.emit, ex.emit_output = bound_emitters(self._bus, self.run_id)

    async def _attach_log(self) -> None:
        """A stream follows the run: if a drive that began unstreamed is under way, its log
        starts now (`workflow-start`, then its events from the next step on, then its
        `workflow-finish`), so the stream has something to follow and an end."""
        ex = self._live
        if ex is not None:
            log = self._bus.log
            if not log.drive_open and log.active:
                await log.open()
                if self._live is ex and not log.drive_open and log.active:
                    self._start_drive_log(log)
        self._wire_live()

    def _start_drive_log(self, log: RunEventLog) -> None:
        log.begin_drive()
        log.drive_open = True
        log.append(
            {"type": "workflow-start", "runId": self.run_id, "from": "WORKFLOW",
             "payload": {"workflowId": self.workflow_id}}
        )  # fmt: skip

    def _log_of(self) -> RunEventLog:
        return self._bus.log

    async def _flush_records(self) -> None:
        """Log records kept during a drive nobody streamed: written once, at its end."""
        bus = self._bus_
        if bus is None or not bus.log.pending:
            return
        try:
            await bus.log.flush()
        except Exception:
            logger.warning(
                "run '%s' of workflow '%s': writing its log records failed; they stay queued",
                self.run_id, self.workflow_id, exc_info=True,
            )  # fmt: skip

    async def logs(
        self, *, after: int = 0, limit: int | None = None, level: str | None = None
    ) -> list[dict[str, Any]]:
        """The run's kept log records (see `treadle.logs`), oldest first, each with its `seq`;
        `level` keeps that level and above ("INFO", "WARNING"...)."""
        return await read_run_logs(
            self.workflow.store, self.workflow_id, self.run_id, after=after, limit=limit,
            level=level,
        )  # fmt: skip

    def _late_log(self) -> RunEventLog | None:
        """The log, when a stream began following the run during this drive."""
        bus = self._bus_
        if bus is not None and bus.log.drive_open:
            return bus.log
        return None

    async def _open_log(self, ex: Execution) -> RunEventLog | None:
        """At the start of a drive: the log, open and with `workflow-start` appended, when the
        run is streamed or was streamed before (possibly by another process); else None."""
        recorded = (ex.meta.get(RUN_META) or EMPTY).get("events") is True
        bus = self._bus_
        if bus is None and not recorded:
            return None
        bus = self._bus
        log = bus.log
        if recorded:
            log.recording = self._p.recording = True
        if not log.active:
            return None
        await log.open()
        if ex.emit is None:
            ex.emit, ex.emit_output = bound_emitters(bus, self.run_id)
        self._start_drive_log(log)
        return log

    async def _close_log(
        self, log: RunEventLog, result: WorkflowResult | None, exc: BaseException | None
    ) -> None:
        """At the end of a drive: append `workflow-finish` (handing `result` or `exc` to live
        streams) and write the log out."""
        payload: dict[str, Any] = {"workflowStatus": "failed", "output": {"usage": log.usage}}
        if result is not None:
            payload["workflowStatus"] = result.status
            payload["metadata"] = {}
            if result.status == "success":
                payload["finalWorkflowResult"] = result.result
        else:
            assert exc is not None
            message = str(exc)
            payload["metadata"] = {"error": serialize_error(exc), "errorMessage": message}
        event = {"type": "workflow-finish", "runId": self.run_id, "from": "WORKFLOW",
                 "payload": payload}  # fmt: skip
        log.drive_open = False
        log.append(event, result if result is not None else exc)
        await log.flush()


def bound_emitters(bus: EventBus, run_id: str) -> tuple[Emit, Emit]:
    return partial(bus.engine_event, run_id), partial(bus.output_event, run_id)


async def read_run_logs(
    store: WorkflowStore,
    workflow_id: str,
    run_id: str,
    *,
    after: int = 0,
    limit: int | None = None,
    level: str | None = None,
) -> list[dict[str, Any]]:
    """A run's log records from its stored event log, each with its `seq`."""
    floor = 0
    if level is not None:
        floor = LEVELS.get(level.upper(), -1)
        if floor < 0:
            raise ValueError(f"unknown log level {level!r} (use one of {', '.join(LEVELS)})")
    out: list[dict[str, Any]] = []
    for seq, entry in await store.load_events(workflow_id, run_id, after=after, types=(LOG_TYPE,)):
        if floor and LEVELS.get(str(entry.get("level")), 0) < floor:
            continue
        out.append({"seq": seq, **entry})
        if limit is not None and len(out) >= limit:
            break
    return out
