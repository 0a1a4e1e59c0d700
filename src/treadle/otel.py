"""OpenTelemetry tracing of workflow runs: `TreadleInstrumentor().instrument(tracer_provider=...)`.

Needs the `otel` extra (`pip install 'treadle[otel]'`); `import treadle` never loads this module.
The span tree and attributes are described in docs/observability.md.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Coroutine
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, cast

from opentelemetry import context as otel_context
from opentelemetry import trace

from . import tracing
from ._engine.outcome import EMPTY
from ._otel_spans import (
    Attrs,
    Level,
    OtelConditionSpan,
    OtelStepSpan,
    describe,
    end_entry,
    end_escaped,
    end_run,
    level_of,
    span_context,
    sweep,
)

if TYPE_CHECKING:
    from ._engine.execution import Execution
    from ._engine.outcome import Outcome
    from ._graph.nodes import Entry
    from .step import Step

__all__ = ["OtelTracer", "TreadleInstrumentor"]

logger = logging.getLogger("treadle")


def _version() -> str | None:
    try:
        return version("treadle")
    except PackageNotFoundError:
        return None


class TreadleInstrumentor:
    """Traces every run started after `instrument()` (the usual OpenTelemetry instrumentor
    shape: one per process, `instrument()` twice is a no-op, `uninstrument()` turns it off).
    Runs under way when either is called keep their setting."""

    _instance: TreadleInstrumentor | None = None

    def __new__(cls) -> TreadleInstrumentor:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    @property
    def is_instrumented_by_opentelemetry(self) -> bool:
        return tracing.active is not None

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("opentelemetry-api >= 1.24",)

    def instrument(self, tracer_provider: trace.TracerProvider | None = None, **_: Any) -> None:
        """Trace new runs with a tracer from `tracer_provider` (default: the global one)."""
        if tracing.active is not None:
            logger.warning("treadle is already instrumented; uninstrument() first")
            return
        tracer = trace.get_tracer("treadle", _version(), tracer_provider=tracer_provider)
        tracing.set_tracer(OtelTracer(tracer))

    def uninstrument(self, **_: Any) -> None:
        tracing.set_tracer(None)


class OtelTracer:
    """The engine's `tracing.Tracer`, making OpenTelemetry spans."""

    __slots__ = ("_tracer",)

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    # -- runs -----------------------------------------------------------------------------------
    async def run(
        self,
        ex: Execution,
        walk: Coroutine[Any, Any, Outcome],
        parent: tracing.StepSpan | None = None,
    ) -> Outcome:
        wf_id = ex.workflow.id
        attrs: Attrs = {
            "gen_ai.operation.name": "invoke_workflow",
            "gen_ai.workflow.name": wf_id,
            "treadle.workflow.id": wf_id,
            "treadle.run.id": ex.run_id,
        }
        if ex.resource_id is not None:
            attrs["treadle.resource.id"] = ex.resource_id
        links: list[trace.Link] = []
        ctx: otel_context.Context | None = None  # None: the caller's span (if any) is the parent
        prefix = ""
        first = False
        if parent is not None:
            step_span = cast(OtelStepSpan, parent)
            ctx = step_span.context()
            prefix = step_span.path + "."
        else:
            earlier = span_context(tracing.stored_trace(ex))
            if earlier is not None:  # resumed/continued: join the first drive's trace
                ctx = trace.set_span_in_context(trace.NonRecordingSpan(earlier))
                links.append(trace.Link(earlier, {"treadle.link": "run_continued"}))
                caller = trace.get_current_span().get_span_context()
                if caller.is_valid and caller.trace_id != earlier.trace_id:
                    links.append(trace.Link(caller, {"treadle.link": "caller"}))
                attrs["treadle.run.continued"] = True
            else:
                first = True
        span = self._tracer.start_span("workflow_run", ctx, attributes=attrs, links=links)
        if first:
            made = span.get_span_context()
            if made.is_valid:
                tracing.store_trace(
                    ex,
                    trace.format_trace_id(made.trace_id),
                    trace.format_span_id(made.span_id),
                    made.trace_flags.sampled,
                )
        level = Level(trace.set_span_in_context(span), set(), prefix)
        saved = ex.span
        ex.span = level
        outcome: Outcome | None = None
        escaped: BaseException | None = None
        try:
            outcome = await walk
            return outcome
        except BaseException as exc:
            escaped = exc
            raise
        finally:
            ex.span = saved
            sweep(level, escaped, ex)
            if outcome is not None:
                end_run(span, outcome.status, outcome.exc)
            else:
                assert escaped is not None
                end_escaped(span, escaped, ex, "treadle.run.status")
            span.end()

    # -- blocks -----------------------------------------------------------------------------------
    async def entry(
        self, ex: Execution, entry: Entry, body: Coroutine[Any, Any, Outcome]
    ) -> Outcome:
        level = level_of(ex)
        name, attrs, loop = describe(entry)
        attrs["treadle.run.id"] = ex.run_id
        span = self._tracer.start_span(name, level.ctx, attributes=attrs)
        ex.span = Level(trace.set_span_in_context(span), level.open, level.prefix, loop)
        outcome: Outcome | None = None
        escaped: BaseException | None = None
        try:
            outcome = await body
            return outcome
        except BaseException as exc:
            escaped = exc
            raise
        finally:
            ex.span = level
            if outcome is not None:
                end_entry(span, entry, ex, outcome)
            else:
                assert escaped is not None
                end_escaped(span, escaped, ex, "treadle.step.status")
            span.end()

    # -- steps and conditions -------------------------------------------------------------------
    def step(self, ex: Execution, step: Step[Any, Any], foreach_index: int | None) -> OtelStepSpan:
        level = level_of(ex)
        sid = step.id
        path = level.prefix + sid
        attrs: Attrs = {
            "treadle.step.id": sid,
            "treadle.step.path": path,
            "treadle.step.type": step.component.lower(),
            "treadle.workflow.id": ex.workflow.id,
            "treadle.run.id": ex.run_id,
        }
        if foreach_index is not None:
            attrs["treadle.foreach.index"] = foreach_index
        elif level.loop == sid:  # iterations done so far, kept by the loop as it goes
            done = ex.meta.get(sid, EMPTY).get("iterationCount", 0)
            attrs["treadle.loop.iteration"] = int(done) + 1
        span = self._tracer.start_span("workflow_step", level.ctx, attributes=attrs)
        return OtelStepSpan(span, path, level.open)

    def condition(self, ex: Execution, position: int, step_id: str) -> OtelConditionSpan:
        level = level_of(ex)
        attrs: Attrs = {
            "treadle.condition.index": position,
            "treadle.step.id": step_id,
            "treadle.run.id": ex.run_id,
        }
        span = self._tracer.start_span("workflow_conditional_eval", level.ctx, attributes=attrs)
        return OtelConditionSpan(span, level.open)
