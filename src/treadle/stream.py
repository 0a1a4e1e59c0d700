"""WorkflowStream: a run's events as an async iterator (live, or replayed from the run's event
log and then live), plus its result, status and usage."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ._creation import load_settled
from .errors import RunStateError
from .event_log import LOG_TYPE, add_usage, finish_event, start_event, zero_usage
from .events import WorkflowEvent, event_from_dict
from .results import WorkflowResult

if TYPE_CHECKING:
    from .event_log import RunEventLog
    from .run import Run

__all__ = ["DEFAULT_BUFFER", "POLL_INTERVAL_S", "WorkflowStream"]

DEFAULT_BUFFER = 1024
"""Events a stream holds for a consumer that has not read them yet. When it is full the engine
does not wait: the stream stops holding live events and, once the consumer reads again, fetches
what it missed from the run's event log (nothing is lost, the consumer only lags)."""

POLL_INTERVAL_S = 0.1
"""How often a stream following a run driven by another process reads the stored log."""

# Event types the live side looks at (the rest go straight to the buffer) and the ones the
# consumer side decides on (the rest are handed over as they are).
_NOTABLE = frozenset((LOG_TYPE, "workflow-step-output", "workflow-finish"))
_MARKERS = frozenset((LOG_TYPE, "workflow-start", "workflow-finish"))


class WorkflowStream:
    """Iterate it (`async for event in stream`) for `WorkflowEvent`s: `workflow-start`, the
    step events, `workflow-finish`. `await stream.result` gives the `WorkflowResult`;
    `stream.status` is `running` until the run ends (or suspends), then its status.

    Every event has `seq`, its position in the run's event log: `run.observe_stream(after=seq)`
    continues from there, in this process or another one.

    With `close_on_suspend=False` a suspension does not end the stream: it stays open, and a
    later resume of the run (by any API, in this process) continues feeding it until the run
    ends.
    """

    def __init__(
        self,
        run: Run[Any, Any],
        execute: Callable[[], Awaitable[WorkflowResult]] | None,
        *,
        close_on_suspend: bool = True,
        after: int = 0,
        buffer_size: int = DEFAULT_BUFFER,
    ) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RunStateError(
                "run.stream() starts the run at once: call it from async code (a running loop)"
            ) from None
        if buffer_size < 1:
            raise ValueError(f"buffer_size must be at least 1 (got {buffer_size})")
        self.run_id = run.run_id
        self.workflow_id = run.workflow_id
        self.status = "running"
        self.usage: dict[str, int] = zero_usage()
        self._run = run
        self._close_on_suspend = close_on_suspend
        self._buffer_size = buffer_size
        self._buffer: deque[tuple[int | None, dict[str, Any]]] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._last_seq = after  # the last seq handed to the consumer
        self._lagging = execute is None  # observing starts by reading the stored log
        self._missed_upto = 0
        self._ended = False  # the terminal event has been seen (live) or produced
        self._end_seq: int | None = None  # the seq of that event, when seen live
        self._iterating = False
        self._want_result = False  # observing: `result` was asked for
        # A failure set on it is marked seen at once (`_fail`): the consumer may read only
        # events, never `result`.
        self._result: asyncio.Future[WorkflowResult] = loop.create_future()
        log: RunEventLog = run._bus.log  # pyright: ignore[reportPrivateUsage]
        self._log = log
        log.recording = True
        run._p.recording = True  # pyright: ignore[reportPrivateUsage]
        self._unsubscribe: Callable[[], None] | None = log.subscribe(self._on_event)
        self._suspend_gap = False  # a suspension that does not close this stream was passed
        self._observing = execute is None
        self._task: asyncio.Task[Any] | None = None
        if execute is not None:
            self._task = loop.create_task(self._execute(execute))

    # -- public -----------------------------------------------------------------------------
    @property
    def result(self) -> asyncio.Future[WorkflowResult]:
        """Await it for the run's result (it raises what the run raised)."""
        if self._observing and not self._result.done():
            self._want_result = True
            if not self._iterating:
                self._drain_in_background()
        return self._result

    @property
    def full_stream(self) -> AsyncIterator[WorkflowEvent]:
        return self.__aiter__()

    def __aiter__(self) -> AsyncIterator[WorkflowEvent]:
        return self._iterate()

    async def aclose(self) -> None:
        """Stop following the run (the run itself goes on)."""
        self._unfollow()
        self._ended = True
        self._wake()

    def _unfollow(self) -> None:
        # Dropped once called: it holds our `_on_event`, a reference cycle otherwise left
        # for the garbage collector.
        unsubscribe = self._unsubscribe
        if unsubscribe is not None:
            self._unsubscribe = None
            unsubscribe()

    # -- live side (called synchronously by the run's event log) -----------------------------
    def _on_event(self, entry: tuple[int, dict[str, Any]], outcome: Any) -> None:
        kind = entry[1]["type"]
        if kind in _NOTABLE:
            if kind == LOG_TYPE:
                return
            event = entry[1]
            if kind == "workflow-step-output":
                add_usage(self.usage, event)
            else:  # workflow-finish
                status = str(_payload(event).get("workflowStatus", "failed"))
                if status == "suspended" and not self._close_on_suspend:
                    self.status = "suspended"
                else:
                    self._end_seq = entry[0]
                    self._finish(status, outcome)
        buffer = self._buffer
        if self._lagging:
            self._missed_upto = entry[0]
        elif len(buffer) >= self._buffer_size:
            self._lagging = True
            self._missed_upto = entry[0]
        else:
            buffer.append(entry)
        if self._waiter is not None:  # (most events of a burst find none: no call)
            self._wake()

    def _finish(self, status: str, outcome: Any) -> None:
        self.status = status
        self._unfollow()
        self._ended = True
        if self._result.done():
            return
        if isinstance(outcome, WorkflowResult):
            self._result.set_result(outcome)
        elif isinstance(outcome, BaseException):
            _fail(self._result, outcome)

    def _wake(self) -> None:
        # The consumer is woken once: later events find no waiter and need not look again.
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    # -- drivers ----------------------------------------------------------------------------
    async def _execute(self, execute: Callable[[], Awaitable[WorkflowResult]]) -> None:
        try:
            result = await execute()
        except BaseException as exc:
            if not self._ended:
                # Refused before the run began (bad input, wrong status): no log entries;
                # this stream still tells its consumer, as Mastra's does.
                self._local_events(exc)
            if not self._result.done():
                _fail(self._result, exc)
            if not isinstance(exc, Exception):
                raise  # cancellation, interrupts: the task ends as they say
            return  # `result` carries the failure: the task itself ends quietly
        if not self._result.done() and self._close_on_suspend:
            self._result.set_result(result)

    def _local_events(self, exc: BaseException) -> None:
        self._buffer.append((None, start_event(self.run_id, self.workflow_id)))
        self._buffer.append((None, finish_event(self.run_id, self.usage, None, exc)))
        self.status = "failed"
        self._unfollow()
        self._ended = True
        self._wake()

    async def _resolve_from_store(self) -> None:
        """Observing: the run ended before we followed it live; its result is the stored one."""
        if self._result.done():
            return
        try:
            result = await self._run._stored_result()  # pyright: ignore[reportPrivateUsage]
        except BaseException as exc:
            if not self._result.done():
                _fail(self._result, exc)
            return
        if not self._result.done():
            self.status = result.status
            self._result.set_result(result)

    # -- consumer side ----------------------------------------------------------------------
    async def _iterate(self) -> AsyncIterator[WorkflowEvent]:
        if self._iterating:
            raise RunStateError(
                "this WorkflowStream is already being read (each stream is read once; "
                "run.observe_stream() gives another reader)"
            )
        self._iterating = True
        buffer = self._buffer
        popleft = buffer.popleft
        # A driving stream's run was just handed to a task: when there is nothing to read yet,
        # let that task go first (once) rather than park on a future, so that a run that does
        # not wait is read in the same pass of the event loop.
        defer_once = not self._observing
        completed = False
        try:
            while True:
                if buffer:
                    seq, event = popleft()
                    if seq is not None:
                        if seq <= self._last_seq:
                            continue  # already delivered from the stored log
                        self._last_seq = seq
                    if event["type"] not in _MARKERS:
                        yield event_from_dict(event, seq)
                        continue
                    out = self._deliverable(event)
                    if out is not None:
                        yield event_from_dict(event, seq)
                        if out:
                            break
                    continue
                if self._lagging:
                    done = False
                    async for seq, event in self._catch_up():
                        out = self._deliverable(event)
                        if out and self._observing and await self._continued_after(seq):
                            out = False  # replaying a drive the run went on from
                        if out is not None:
                            yield event_from_dict(event, seq)
                            if out:
                                done = True
                                break
                    if done:
                        break
                    continue
                if self._ended:
                    break
                if defer_once:
                    defer_once = False
                    await asyncio.sleep(0)
                    continue
                self._waiter = asyncio.get_running_loop().create_future()
                try:
                    await self._waiter
                finally:
                    self._waiter = None
            completed = True
        finally:
            if completed or self._ended or self._result.done():
                self._unfollow()
            else:
                # Left early (a `break`, a cancelled reader): the stream goes on following the
                # run, so `result` and `status` still come.
                self._iterating = False
                if self._want_result:
                    self._drain_in_background()
        if self._observing:
            await self._resolve_from_store()

    def _deliverable(self, event: dict[str, Any]) -> bool | None:
        """None: skip it; False: hand it over; True: hand it over, it ends the stream."""
        kind = event.get("type")
        if kind == "workflow-finish":
            status = _payload(event).get("workflowStatus")
            if status == "suspended" and not self._close_on_suspend:
                self._suspend_gap = True
                return None
            return True
        if kind == "workflow-start" and self._suspend_gap:
            self._suspend_gap = False
            return None
        if kind == LOG_TYPE:
            return None
        return False

    async def _continued_after(self, seq: int) -> bool:
        """Observing: the `workflow-finish` at `seq` would end the stream, but the log goes on
        after it (the run was resumed, or time-travelled, since): an observer replaying the run
        goes on to where the run is now. (Not for the finish this stream saw live.)"""
        if seq == self._end_seq:
            return False
        return bool(await self._log.read(seq, limit=1))

    async def _catch_up(self) -> AsyncIterator[tuple[int, dict[str, Any]]]:
        """Read what the buffer could not hold (or, observing, what was logged before)."""
        while True:
            entries = await self._log.read(self._last_seq, limit=self._buffer_size)
            await self._run._attach_log()  # pyright: ignore[reportPrivateUsage]
            for seq, event in entries:
                self._last_seq = seq
                yield seq, event
            if len(entries) == self._buffer_size:
                continue
            if self._missed_upto > self._last_seq:
                continue  # appended while we read
            if self._run._live is not None or self._ended:  # pyright: ignore[reportPrivateUsage]
                self._lagging = False  # live again: the log appends to our buffer
                return
            if not await self._followed_elsewhere():
                self._lagging = False
                self._ended = True
                return
            # Read the store again after a while, or at once when this process appends.
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait((waiter,), timeout=POLL_INTERVAL_S)
            finally:
                self._waiter = None

    async def _followed_elsewhere(self) -> bool:
        """True while another process drives the run (its events reach us via the store), or
        while the run is suspended and this stream outlives suspensions."""
        record = await load_settled(self._run.workflow, self.run_id)
        if record is None:
            return False
        if record.status == "suspended":
            return not self._close_on_suspend
        return record.status in ("running", "waiting", "pending")

    def _drain_in_background(self) -> None:
        if self._task is not None and not self._task.done():
            return  # already draining

        async def drain() -> None:
            if self._iterating:
                return  # a reader came first: it resolves `result` (or drains when it stops)
            try:
                async for _ in self:
                    pass
            except Exception as exc:  # e.g. the store could not be read: `result` says so
                if not self._result.done():
                    _fail(self._result, exc)
                raise

        self._task = asyncio.get_running_loop().create_task(drain())
        self._task.add_done_callback(_retrieve)


def _payload(event: dict[str, Any]) -> dict[str, Any]:
    return event.get("payload") or {}


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    future.set_exception(exc)
    future.exception()  # marked seen: the consumer may read only events, never `result`


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a failure as seen: the consumer may read only events, never `result`."""
    if not future.cancelled():
        future.exception()
