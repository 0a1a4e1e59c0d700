"""Execution: the mutable, plain-JSON state of one workflow level of one run, and its snapshot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..request_context import RequestContext
from .abort import AbortSignal
from .clock import Clock

if TYPE_CHECKING:
    from ..tracing import Tracer
    from ..workflow import Workflow
from .outcome import EMPTY

__all__ = ["Emit", "Execution", "Persist"]

# emit(type, payload): the run's event sink; None when nobody listens (the common, fast case).
# emit_output may return an awaitable (async output writers) that the writing step awaits.
Emit = Callable[[str, dict[str, Any]], Any]
# persist(key, record, path_entry): make a finished step record durable; None when the run is
# only written at suspend/finish (in-memory stores, nested workflows, the "finish" policy).
Persist = Callable[[str, dict[str, Any], "str | None"], Awaitable[None]]


class Execution:
    """One workflow level of a run. Nested workflows get a child Execution sharing the run id,
    the request context, the abort signal and (prefixed) the event sink.

    Everything in `context`, `state`, `path`, `suspended_paths`, `resume_labels` and `meta` is
    plain JSON, so `snapshot()` is a cheap shallow copy and any process can continue from it.
    """

    __slots__ = (
        "abort",
        "app",
        "clock",
        "context",
        "dirty",
        "emit",
        "emit_output",
        "events",
        "meta",
        "path",
        "persist",
        "request_context",
        "resource_id",
        "resume_labels",
        "run_id",
        "span",
        "state",
        "suspended_paths",
        "tracer",
        "validate_inputs",
        "waits",
        "workflow",
    )

    def __init__(
        self,
        workflow: Workflow[Any, Any, Any],
        *,
        run_id: str,
        resource_id: str | None,
        input_value: Any,
        state: dict[str, Any],
        request_context: RequestContext,
        abort: AbortSignal,
        clock: Clock,
        app: Any,
        emit: Emit | None,
        emit_output: Emit | None,
        events: Any,
    ) -> None:
        self.workflow = workflow
        self.run_id = run_id
        self.resource_id = resource_id
        self.context: dict[str, Any] = {"input": input_value}
        self.state = state
        self.request_context = request_context
        self.abort = abort
        self.clock = clock
        self.app = app
        self.emit = emit
        self.emit_output = emit_output
        self.events = events
        self.path: list[str] = []
        self.suspended_paths: dict[str, list[int]] = {}
        self.resume_labels: dict[str, dict[str, Any]] = {}
        # Internal bookkeeping per step id (nested snapshots, for_each items, loop counters).
        # Kept apart from the step records so it never leaks into user-visible payloads.
        self.meta: dict[str, dict[str, Any]] = {}
        self.validate_inputs = workflow.validate_inputs
        self.persist: Persist | None = None
        # The run's durable waits (sleep, wait_for_event): `await waits.before_wait(ex, ...)`
        # stores status `waiting`; `await waits.after_wait(ex)` claims the run back. None for
        # nested workflows, whose waits are covered by the top-level run's.
        self.waits: Any = None
        # True when `state` or `meta` changed since the last durable write of the head.
        self.dirty = False
        # Tracing (treadle.tracing): None when off, the common case. `span` is the tracer's
        # state for this level (where new spans hang); nested levels inherit `tracer`.
        self.tracer: Tracer | None = None
        self.span: Any = None

    def snapshot(self, *, handover: bool = False) -> dict[str, Any]:
        """The state as plain JSON. `handover=True` gives away this Execution's own containers
        (no copies): only for its final save, after which it is not used again."""
        if handover:
            return {
                "context": self.context,
                "value": self.state,
                "stepExecutionPath": self.path,
                "suspendedPaths": self.suspended_paths,
                "resumeLabels": self.resume_labels,
                "meta": self.meta,
            }
        return {
            "context": dict(self.context),
            "value": dict(self.state),
            "stepExecutionPath": list(self.path),
            "suspendedPaths": {k: list(v) for k, v in self.suspended_paths.items()},
            "resumeLabels": dict(self.resume_labels),
            "meta": {k: dict(v) for k, v in self.meta.items()},
        }

    def restore(self, snap: dict[str, Any]) -> None:
        self.context = dict(snap.get("context") or {"input": None})
        self.state = dict(snap.get("value") or EMPTY)
        self.path = list(snap.get("stepExecutionPath") or [])
        self.suspended_paths = {
            k: list(v) for k, v in (snap.get("suspendedPaths") or EMPTY).items()
        }
        self.resume_labels = dict(snap.get("resumeLabels") or EMPTY)
        self.meta = {k: dict(v) for k, v in (snap.get("meta") or EMPTY).items()}
