"""Run events: the `WorkflowEvent` model and the per-run bus that fans engine events out to
watchers, output writers and the run's event log (which feeds streams)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from .event_log import RunEventLog

__all__ = ["EventBus", "WorkflowEvent", "event_from_dict"]


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


_STANDARD = frozenset(("type", "runId", "from", "payload"))
_FIELDS = {"type": "type", "runId": "run_id", "from": "from_", "payload": "payload", "data": "data"}
_STANDARD_SET = frozenset(("type", "run_id", "from_", "payload"))


_new_event = WorkflowEvent.__new__
_set = object.__setattr__


def event_from_dict(event: dict[str, Any], seq: int | None) -> WorkflowEvent:
    """Build without validation: events are made by the engine (or read back from the store,
    which wrote what the engine made). A stream builds one per event it hands over."""
    get = event.get
    made = _new_event(WorkflowEvent)
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
    if event.keys() == _STANDARD:  # the common shape: one comparison, no loop
        _set(made, "__pydantic_fields_set__", set(_STANDARD_SET))
        _set(made, "__pydantic_extra__", {})
    else:
        _set(made, "__pydantic_fields_set__", {_FIELDS[k] for k in event if k in _FIELDS})
        _set(made, "__pydantic_extra__", {k: v for k, v in event.items() if k not in _FIELDS})
    _set(made, "__pydantic_private__", None)
    return made


Watcher = Callable[[dict[str, Any]], Any]
OutputWriter = Callable[[Any], Any]


class EventBus:
    """Engine events go to watchers (Mastra's watch shape: `{type, payload}`) and, in the
    stream shape, to the run's event log. `active` is False when nobody listens, so the engine
    skips building events at all."""

    __slots__ = ("_outputs", "_watchers", "log")

    def __init__(self, log: RunEventLog) -> None:
        self._watchers: list[Watcher] = []
        self._outputs: list[OutputWriter] = []
        self.log = log

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

    def engine_event(self, run_id: str, kind: str, payload: dict[str, Any]) -> None:
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
                    "runId": run_id,
                    "from": "WORKFLOW",
                    "payload": {"stepName": payload["id"], **payload}
                    if "id" in payload
                    else payload,
                }
            )

    def output_event(
        self, run_id: str, kind: str, payload: dict[str, Any]
    ) -> Awaitable[Any] | None:
        """`writer.write` / `writer.custom` chunks: to the log and to output writers, not to
        watchers. Returns what the writer step awaits (async output writers), if anything."""
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


async def _all(waits: list[Awaitable[Any]]) -> None:
    for wait in waits:
        await wait
