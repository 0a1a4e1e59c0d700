"""The streaming half of `Run`: stream, resume_stream, time_travel_stream, observe_stream,
watch, and the run's event log around each drive (its workflow-start and workflow-finish)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from ._engine.execution import Emit, Execution
from ._engine.outcome import EMPTY
from .event_log import RunEventLog
from .events import EventBus
from .logs import read_run_logs
from .persistence import RUN_META
from .request_context import RequestContext
from .results import WorkflowResult
from .stream import DEFAULT_BUFFER, WorkflowStream

if TYPE_CHECKING:
    from .persistence import RunPersistence
    from .storage.base import RunRecord
    from .workflow import Workflow

__all__ = ["StreamsMixin", "bound_emitters"]

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

        def _starting_in_task(self) -> None: ...

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
        call = partial(
            self.start, input_data, initial_state, request_context, include_state,
            include_resume_labels,
        )  # fmt: skip
        stream = self._streamed(call, close_on_suspend, buffer_size)
        self._starting_in_task()
        return stream

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
        call = partial(
            self.resume, step, resume_data, label, for_each_index, request_context,
            include_state, include_resume_labels,
        )  # fmt: skip
        return self._streamed(call, close_on_suspend, buffer_size)

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
        call = partial(
            self.time_travel, step, input_data, resume_data, context, initial_state,
            request_context, include_state,
        )  # fmt: skip
        return self._streamed(call, close_on_suspend, buffer_size)

    def _streamed(
        self,
        call: Callable[[], Awaitable[WorkflowResult]],
        close_on_suspend: bool,
        buffer_size: int,
    ) -> WorkflowStream:
        return WorkflowStream(
            self,  # pyright: ignore[reportArgumentType]
            call,
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
            ex.emit, ex.emit_output = bound_emitters(self._bus)

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
                    log.begin_drive()
        self._wire_live()

    def _log_of(self) -> RunEventLog:
        return self._bus.log

    async def _end_drive_log(
        self, result: WorkflowResult | None, exc: BaseException | None
    ) -> None:
        """At the end of a drive: its `workflow-finish`, if the drive is logged, then write out
        whatever is queued (events, log records). A failed write leaves the run as it is: the
        entries stay queued and the next write of the log retries them."""
        bus = self._bus_
        if bus is None:
            return
        log = bus.log
        if log.drive_open:
            log.end_drive(result, exc)
        if not log.pending:
            return
        try:
            await log.flush()
        except Exception:
            logger.warning(
                "run '%s' of workflow '%s': writing its events failed; they stay queued",
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

    async def _open_log(self, ex: Execution) -> None:
        """At the start of a drive: open the log and append `workflow-start` when the run is
        streamed or was streamed before (possibly by another process)."""
        recorded = (ex.meta.get(RUN_META) or EMPTY).get("events") is True
        bus = self._bus_
        if bus is None and not recorded:
            return
        bus = self._bus
        log = bus.log
        if recorded:
            log.recording = self._p.recording = True
        if not log.active:
            return
        if log.next_seq is None:  # (a new run's log is known empty: nothing to read)
            await log.open()
        if ex.emit is None:
            ex.emit, ex.emit_output = bound_emitters(bus)
        log.begin_drive()


def bound_emitters(bus: EventBus) -> tuple[Emit, Emit]:
    """`ex.emit` and `ex.emit_output`: the bus itself (so step events can reach it directly,
    see `EventBus`) and its `output_event`."""
    return bus, bus.output_event
