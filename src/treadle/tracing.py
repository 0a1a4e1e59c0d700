"""The engine's tracing hook: what the walker calls when a run is traced (OpenTelemetry in otel.py).

Tracing is off unless `treadle.otel.TreadleInstrumentor().instrument()` ran: `active` is then
the tracer that each new run's `Execution.tracer` gets. With it None the engine does one
`is not None` check per step and per run, nothing else. This module imports no tracing library.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol, cast

from .persistence import RUN_META

if TYPE_CHECKING:
    from ._engine.execution import Execution
    from ._engine.outcome import Outcome
    from ._graph.nodes import Entry
    from .step import Step

__all__ = [
    "ConditionSpan",
    "StepSpan",
    "Tracer",
    "active",
    "set_tracer",
    "store_trace",
    "stored_trace",
]

# The trace lives under RUN_META's "trace" key of `Execution.meta` (plain JSON saved with the
# snapshot), so a resumed or continued run joins the trace its first drive started.


class StepSpan(Protocol):
    """One step execution's span (a for_each item and a loop iteration each get their own)."""

    async def call(self, fn: Callable[[Any], Any], ctx: Any, is_async: bool) -> Any:
        """Call the step's function with this span current, so spans it makes are children."""
        ...

    def retry(self, exc: BaseException, attempt: int) -> None:
        """An attempt raised and the step will be retried."""
        ...

    def end(self, record: dict[str, Any], outcome: Outcome, attempt: int) -> None:
        """The step ended: `record` is its step result, `attempt` its count of failed attempts
        (run_step's retry counter)."""
        ...


class ConditionSpan(Protocol):
    """The evaluation of one branch condition."""

    def end(self, matched: bool | None, exc: BaseException | None = None) -> None: ...


class Tracer(Protocol):
    """What the engine calls. `Execution.span` holds the tracer's own state for a workflow level
    (None at the top level until its run span opens)."""

    async def run(
        self,
        ex: Execution,
        walk: Coroutine[Any, Any, Outcome],
        parent: StepSpan | None = None,
    ) -> Outcome:
        """Await `walk` (a level's entries) inside a `workflow_run` span: the top level's when
        `parent` is None, else a nested workflow's under its step span."""
        ...

    async def entry(
        self, ex: Execution, entry: Entry, body: Coroutine[Any, Any, Outcome]
    ) -> Outcome:
        """Await `body` inside the span of a block entry (parallel, branch, loop, for_each,
        sleep, wait for event)."""
        ...

    def step(self, ex: Execution, step: Step[Any, Any], foreach_index: int | None) -> StepSpan:
        """Open a step span (ended by `StepSpan.end`, or when its run span ends)."""
        ...

    def condition(self, ex: Execution, position: int, step_id: str) -> ConditionSpan:
        """Open the span of a branch condition's evaluation."""
        ...


active: Tracer | None = None
"""The tracer new runs get (`Run._execution` reads it); None: tracing is off."""


def set_tracer(tracer: Tracer | None) -> None:
    """Make `tracer` the one new runs use (None turns tracing off); runs under way keep theirs."""
    global active
    active = tracer


def stored_trace(ex: Execution) -> dict[str, Any] | None:
    """The trace context a previous drive of this run stored (`traceId`, `spanId`, `sampled`)."""
    run_meta = ex.meta.get(RUN_META)
    if run_meta is None:
        return None
    trace = run_meta.get("trace")
    return cast(dict[str, Any], trace) if isinstance(trace, dict) else None


def store_trace(ex: Execution, trace_id: str, span_id: str, sampled: bool) -> None:
    """Keep the first run span's context in the run's snapshot (plain JSON, hex ids)."""
    ex.meta.setdefault(RUN_META, {})["trace"] = {
        "traceId": trace_id,
        "spanId": span_id,
        "sampled": sampled,
    }
    ex.dirty = True
