"""The OpenTelemetry spans behind otel.py: step and condition spans, and how each span ends."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any, cast

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.util.types import AttributeValue

from ._engine.outcome import EMPTY
from ._graph.nodes import (
    ConditionalEntry,
    Entry,
    ForEachEntry,
    LoopEntry,
    ParallelEntry,
    SleepEntry,
    SleepUntilEntry,
    WaitForEventEntry,
)

if TYPE_CHECKING:
    from ._engine.execution import Execution
    from ._engine.outcome import Outcome

Attrs = dict[str, AttributeValue]


class Level:
    """The tracer's state for one workflow level (`Execution.span`): where new spans hang, the
    step spans still open in its run (ended by the run span if an exception skips their end),
    the step path prefix of nested levels, and the loop whose iterations are being traced."""

    __slots__ = ("ctx", "loop", "open", "prefix")

    def __init__(
        self, ctx: otel_context.Context, open_: set[Any], prefix: str, loop: str | None = None
    ) -> None:
        self.ctx = ctx
        self.open = open_
        self.prefix = prefix
        self.loop = loop


class OtelStepSpan:
    """`tracing.StepSpan`: a `workflow_step` span, registered as open until it ends."""

    __slots__ = ("_ctx", "open", "path", "span")

    def __init__(self, span: trace.Span, path: str, open_: set[Any]) -> None:
        self.span = span
        self.path = path
        self.open = open_
        self._ctx: otel_context.Context | None = None
        open_.add(self)

    def context(self) -> otel_context.Context:
        if self._ctx is None:
            self._ctx = trace.set_span_in_context(self.span)
        return self._ctx

    async def call(self, fn: Callable[[Any], Any], ctx: Any, is_async: bool) -> Any:
        # The user's code runs in a copy of the current contextvars with this span current, so
        # its own spans (models, tools, HTTP...) are children of the step. The engine itself
        # never makes a span current: parallel steps start eagerly in the parent's context.
        run_in = contextvars.copy_context()
        run_in.run(otel_context.attach, self.context())
        if is_async:
            raw = run_in.run(fn, ctx)
        else:
            raw = await asyncio.to_thread(run_in.run, fn, ctx)
        if inspect.iscoroutine(raw):
            return await _InContext(cast(Coroutine[Any, Any, Any], raw), run_in)
        if inspect.isawaitable(raw):
            return await raw
        return raw

    def retry(self, exc: BaseException, attempt: int) -> None:
        self.span.add_event(
            "treadle.retry",
            {
                "treadle.step.attempt": attempt,
                "error.type": type(exc).__name__,
                "treadle.error.message": str(exc),
            },
        )

    def end(self, record: dict[str, Any], outcome: Outcome, attempt: int) -> None:
        self.open.discard(self)
        span = self.span
        status = outcome.status
        attrs: Attrs = {
            "treadle.step.status": str(record.get("status", status)),
            # `attempt` counts the failed attempts: the last one is its own when it failed
            "treadle.step.attempt": attempt if status == "failed" else attempt + 1,
        }
        if status == "suspended":
            attrs["treadle.suspended"] = True
        elif status == "bailed":
            attrs["treadle.step.bailed"] = True
        span.set_attributes(attrs)
        if status == "failed":
            _failed(span, outcome.exc, record=True)
        span.end()


class OtelConditionSpan:
    """`tracing.ConditionSpan`: a `workflow_conditional_eval` span."""

    __slots__ = ("open", "span")

    def __init__(self, span: trace.Span, open_: set[Any]) -> None:
        self.span = span
        self.open = open_
        open_.add(self)

    def end(self, matched: bool | None, exc: BaseException | None = None) -> None:
        self.open.discard(self)
        if exc is not None:
            _failed(self.span, exc, record=True)
        else:
            self.span.set_attribute("treadle.condition.result", bool(matched))
        self.span.end()


class _InContext:
    """Awaitable driving a coroutine with each of its steps run inside `context` (what an
    asyncio Task does, without a task: the step stays in the run's task, as untraced)."""

    __slots__ = ("_context", "_coro")

    def __init__(self, coro: Coroutine[Any, Any, Any], context: contextvars.Context) -> None:
        self._coro = coro
        self._context = context

    def __await__(self) -> Generator[Any, Any, Any]:
        run, coro = self._context.run, self._coro
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            try:
                yielded = run(coro.send, sent) if thrown is None else run(coro.throw, thrown)
            except StopIteration as stop:
                return stop.value
            try:
                sent = yield yielded
                thrown = None
            except BaseException as exc:  # cancellation and throws go into the coroutine
                sent, thrown = None, exc


# -- helpers ---------------------------------------------------------------------------------------
def level_of(ex: Execution) -> Level:
    level = ex.span
    if level is None:  # not under a run span (should not happen): hang off the current context
        level = ex.span = Level(otel_context.get_current(), set(), "")
    return cast(Level, level)


def span_context(stored: dict[str, Any] | None) -> trace.SpanContext | None:
    if stored is None:
        return None
    try:
        trace_id = int(str(stored["traceId"]), 16)
        span_id = int(str(stored["spanId"]), 16)
    except (KeyError, ValueError):
        return None
    flags = trace.TraceFlags(trace.TraceFlags.SAMPLED if stored.get("sampled") else 0)
    made = trace.SpanContext(trace_id, span_id, is_remote=True, trace_flags=flags)
    return made if made.is_valid else None


def describe(entry: Entry) -> tuple[str, Attrs, str | None]:
    """A block entry's span name, first attributes, and the step whose iterations it traces."""
    if isinstance(entry, ParallelEntry):
        return "workflow_parallel", {"treadle.parallel.steps": [s.id for s in entry.steps]}, None
    if isinstance(entry, ConditionalEntry):
        ids = [s.id for s in entry.steps]
        return "workflow_conditional", {"treadle.conditional.steps": ids}, None
    if isinstance(entry, LoopEntry):
        sid = entry.step.id
        return "workflow_loop", {"treadle.loop.type": entry.loop_type, "treadle.step.id": sid}, sid
    if isinstance(entry, ForEachEntry):
        attrs: Attrs = {"treadle.loop.type": "foreach", "treadle.step.id": entry.step.id}
        if isinstance(entry.concurrency, int):
            attrs["treadle.foreach.concurrency"] = entry.concurrency
        return "workflow_loop", attrs, None
    if isinstance(entry, SleepEntry | SleepUntilEntry):
        kind = "sleep" if isinstance(entry, SleepEntry) else "sleep_until"
        return "workflow_sleep", {"treadle.step.id": entry.id, "treadle.sleep.type": kind}, None
    assert isinstance(entry, WaitForEventEntry)
    attrs = {"treadle.step.id": entry.step.id, "treadle.event.name": entry.event}
    return "workflow_wait_event", attrs, None


def end_entry(span: trace.Span, entry: Entry, ex: Execution, outcome: Outcome) -> None:
    status = "success" if outcome.status == "bailed" else outcome.status
    span.set_attribute("treadle.step.status", status)
    if isinstance(entry, LoopEntry):
        done = ex.meta.get(entry.step.id, EMPTY).get("iterationCount", 0)
        span.set_attribute("treadle.loop.iterations", int(done))
    elif isinstance(entry, ForEachEntry):
        items = ex.meta.get(entry.step.id, EMPTY).get("items")
        if isinstance(items, list):
            span.set_attribute("treadle.loop.iterations", len(cast(list[Any], items)))
    if status == "suspended":
        span.set_attribute("treadle.suspended", True)
    elif status == "failed":
        _failed(span, outcome.exc, record=False)  # the step (or condition) span records it


def end_run(span: trace.Span, status: str, exc: BaseException | None) -> None:
    status = "success" if status == "bailed" else status
    span.set_attribute("treadle.run.status", status)
    span.set_attribute("treadle.suspended", status == "suspended")
    if status == "failed":
        _failed(span, exc, record=True)


def end_escaped(span: trace.Span, exc: BaseException, ex: Execution, key: str) -> None:
    """An exception left the engine: `run.cancel()`, or the run's task canceled from outside
    or a storage failure (the stored run is not failed then: it can be restarted)."""
    if isinstance(exc, asyncio.CancelledError):
        span.set_attribute(key, "canceled" if ex.abort.aborted else "interrupted")
        return
    span.set_attribute(key, "interrupted")
    _failed(span, exc, record=True)


def sweep(level: Level, exc: BaseException | None, ex: Execution) -> None:
    """End the spans an exception kept from their own end (none when the run ended normally)."""
    canceled = isinstance(exc, asyncio.CancelledError)
    for left in list(level.open):
        level.open.discard(left)
        span = cast(trace.Span, left.span)
        aborted = canceled and ex.abort.aborted
        span.set_attribute("treadle.step.status", "canceled" if aborted else "interrupted")
        if exc is not None and not canceled:
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(exc).__name__))
        span.end()


def _failed(span: trace.Span, exc: BaseException | None, *, record: bool) -> None:
    if exc is None:
        span.set_status(trace.Status(trace.StatusCode.ERROR))
        return
    message = str(exc)
    span.set_attribute("error.type", type(exc).__name__)
    span.set_attribute("treadle.error.message", message)
    if record:
        span.record_exception(exc)
    span.set_status(trace.Status(trace.StatusCode.ERROR, f"{type(exc).__name__}: {message}"))
