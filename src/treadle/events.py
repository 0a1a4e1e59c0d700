"""Run events: the `WorkflowEvent` model and the per-run bus that fans engine events out to
watchers, output writers and the run's event log (which feeds streams)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ._engine.execution import Emit

if TYPE_CHECKING:
    from .event_log import RunEventLog

__all__ = ["EventBus", "StepEvents", "WorkflowEvent", "event_from_dict", "step_events"]


class WorkflowEvent(BaseModel):
    """One stream event: `{type, runId, from, payload}` (custom `data-*` events carry `data`).
    `seq` is its position in the run's event log (not part of the JSON)."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    type: str
    run_id: str | None = Field(default=None, alias="runId")
    from_: str | None = Field(default=None, alias="from")
    payload: dict[str, Any] | None = None
    data: Any = None
    seq: int | None = Field(default=None, exclude=True)


_FIELDS = {"type": "type", "runId": "run_id", "from": "from_", "payload": "payload", "data": "data"}
_STANDARD_SET = frozenset(("type", "run_id", "from_", "payload"))


_new_event = WorkflowEvent.__new__
_set = object.__setattr__
# The model's slots, set through their descriptors (quicker than object.__setattr__).
_slots: dict[str, Any] = {k: v for k, v in BaseModel.__dict__.items() if k.startswith("__pydantic")}
_set_fields_set = _slots["__pydantic_fields_set__"].__set__
_set_extra = _slots["__pydantic_extra__"].__set__
_set_private = _slots["__pydantic_private__"].__set__


def event_from_dict(event: dict[str, Any], seq: int | None) -> WorkflowEvent:
    """Build without validation: events are made by the engine (or read back from the store,
    which wrote what the engine made). A stream builds one per event it hands over."""
    made: WorkflowEvent = _new_event(WorkflowEvent)
    # The common shape, exactly `{type, runId, from, payload}` (four keys, so a missing one
    # means another shape).
    if len(event) == 4 and "payload" in event:
        # Filled in place: the instance's own (lazily made, key-sharing) dict is cheaper to
        # fill than a new dict is to build and set. (Typed as the class's mapping proxy.)
        fields: dict[str, Any] = made.__dict__  # pyright: ignore[reportAssignmentType]
        try:
            fields["type"] = event["type"]
            fields["run_id"] = event["runId"]
            fields["from_"] = event["from"]
            fields["payload"] = event["payload"]
        except KeyError:
            pass  # another shape: its fields are set below, replacing these
        else:
            fields["data"] = None
            fields["seq"] = seq
            _set_fields_set(made, set(_STANDARD_SET))
            _set_extra(made, {})
            _set_private(made, None)
            return made
    get = event.get
    _set(
        made,
        "__dict__",
        {
            "type": event["type"],
            "run_id": get("runId"),
            "from_": get("from"),
            "payload": get("payload"),
            "data": get("data"),
            "seq": seq,
        },
    )
    _set_fields_set(made, {_FIELDS[k] for k in event if k in _FIELDS})
    _set_extra(made, {k: v for k, v in event.items() if k not in _FIELDS})
    _set_private(made, None)
    return made


Watcher = Callable[[dict[str, Any]], Any]
OutputWriter = Callable[[Any], Any]


class EventBus:
    """Engine events go to watchers (Mastra's watch shape: `{type, payload}`) and, in the
    stream shape, to the run's event log. `active` is False when nobody listens, so the engine
    skips building events at all. The bus itself is the run's `ex.emit` (calling it is
    `engine_event`), so `run_step` can send step events straight to it; `output_event` is its
    `ex.emit_output`."""

    __slots__ = ("_outputs", "_watchers", "log", "run_id")

    def __init__(self, log: RunEventLog) -> None:
        self._watchers: list[Watcher] = []
        self._outputs: list[OutputWriter] = []
        self.log = log
        self.run_id = log.run_id

    @property
    def active(self) -> bool:
        return bool(self._watchers or self._outputs) or self.log.active

    def add_watcher(self, callback: Watcher) -> Callable[[], None]:
        self._watchers.append(callback)
        return lambda: self._remove(self._watchers, callback)

    def add_output(self, writer: OutputWriter) -> Callable[[], None]:
        self._outputs.append(writer)
        return lambda: self._remove(self._outputs, writer)

    @staticmethod
    def _remove(items: list[Any], item: Any) -> None:
        if item in items:
            items.remove(item)

    def engine_event(self, kind: str, payload: dict[str, Any]) -> None:
        if self._watchers:
            for watcher in tuple(self._watchers):
                watcher({"type": kind, "payload": payload})
        log = self.log
        # As Mastra's stream: step-finish is dropped; payloads gain `stepName`. (A drive is
        # open only while the log is active: streams make it record, and it stays so.)
        if kind != "workflow-step-finish" and log.drive_open:
            log.append(
                {
                    "type": kind,
                    "runId": self.run_id,
                    "from": "WORKFLOW",
                    "payload": {"stepName": payload["id"], **payload}
                    if "id" in payload
                    else payload,
                }
            )

    __call__ = engine_event

    # Step events, the bulk of a run's events: what `engine_event` would make of
    # `{"id": sid, "stepCallId": call_id, **record}`, with each shape's payload built once (the
    # stream's straight from the record) and step-finish built only for watchers.
    def step_event(self, kind: str, sid: str, call_id: str, record: dict[str, Any]) -> None:
        if self._watchers:
            payload = {"id": sid, "stepCallId": call_id, **record}
            for watcher in tuple(self._watchers):
                watcher({"type": kind, "payload": payload})
        log = self.log
        if log.drive_open:
            log.append(
                {
                    "type": kind,
                    "runId": self.run_id,
                    "from": "WORKFLOW",
                    "payload": {"stepName": sid, "id": sid, "stepCallId": call_id, **record},
                }
            )

    def step_end(self, sid: str, call_id: str, record: dict[str, Any]) -> None:
        """`workflow-step-result`, then `workflow-step-finish` (which only watchers get)."""
        self.step_event("workflow-step-result", sid, call_id, record)
        if self._watchers:
            payload: dict[str, Any] = {"id": sid, "stepCallId": call_id, "metadata": {}}
            for watcher in tuple(self._watchers):
                watcher({"type": "workflow-step-finish", "payload": payload})

    def output_event(self, kind: str, payload: dict[str, Any]) -> Awaitable[Any] | None:
        """`writer.write` / `writer.custom` chunks: to the log and to output writers, not to
        watchers. Returns what the writer step awaits (async output writers), if anything."""
        run_id = self.run_id
        if kind == "__custom__":
            event = {**payload, "runId": run_id, "from": "WORKFLOW"}
            chunk = dict(payload)
        else:
            event = {"type": kind, "runId": run_id, "from": "USER", "payload": payload}
            chunk = event
        log = self.log
        if log.drive_open:
            log.append(event)
        waits: list[Awaitable[Any]] = []
        for writer in tuple(self._outputs):
            returned = writer(chunk)
            if inspect.isawaitable(returned):
                waits.append(returned)
        if not waits:
            return None
        return _all(waits)


class StepEvents(Protocol):
    """Where `run_step` sends a step's events (see `EventBus.step_event`)."""

    def step_event(self, kind: str, sid: str, call_id: str, record: dict[str, Any]) -> None: ...

    def step_end(self, sid: str, call_id: str, record: dict[str, Any]) -> None: ...


class _EmitSteps:
    """Step events through any other emitter (a nested workflow's, which prefixes ids)."""

    __slots__ = ("_emit",)

    def __init__(self, emit: Emit) -> None:
        self._emit = emit

    def step_event(self, kind: str, sid: str, call_id: str, record: dict[str, Any]) -> None:
        self._emit(kind, {"id": sid, "stepCallId": call_id, **record})

    def step_end(self, sid: str, call_id: str, record: dict[str, Any]) -> None:
        self._emit("workflow-step-result", {"id": sid, "stepCallId": call_id, **record})
        self._emit("workflow-step-finish", {"id": sid, "stepCallId": call_id, "metadata": {}})


def step_events(emit: Emit) -> StepEvents:
    """The sink for step events sent through `emit`: the run's bus itself (the usual case),
    else an adapter that calls `emit`."""
    return emit if isinstance(emit, EventBus) else _EmitSteps(emit)


async def _all(waits: list[Awaitable[Any]]) -> None:
    for wait in waits:
        await wait
