"""Run events: the `WorkflowEvent` model and the per-run bus that fans events out to watchers
and streams."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["EventBus", "WorkflowEvent"]


class WorkflowEvent(BaseModel):
    """One stream event: `{type, runId, from, payload}` (custom `data-*` events carry `data`)."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    type: str
    run_id: str | None = Field(default=None, alias="runId")
    from_: str | None = Field(default=None, alias="from")
    payload: dict[str, Any] | None = None
    data: Any = None


Listener = Callable[[str, dict[str, Any]], None]


class EventBus:
    """Engine events go to watchers (Mastra's watch shape) and to stream sinks (stream shape).
    `active` is False when nobody listens, so the engine skips building events at all."""

    __slots__ = ("_outputs", "_streams", "_watchers")

    def __init__(self) -> None:
        self._watchers: list[Callable[[dict[str, Any]], Any]] = []
        self._streams: list[Callable[[dict[str, Any]], None]] = []
        self._outputs: list[Callable[[dict[str, Any]], Any]] = []

    @property
    def active(self) -> bool:
        return bool(self._watchers or self._streams or self._outputs)

    def add_watcher(self, callback: Callable[[dict[str, Any]], Any]) -> Callable[[], None]:
        self._watchers.append(callback)
        return lambda: self._remove(self._watchers, callback)

    def add_stream(self, sink: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        self._streams.append(sink)
        return lambda: self._remove(self._streams, sink)

    def add_output(self, sink: Callable[[dict[str, Any]], Any]) -> Callable[[], None]:
        self._outputs.append(sink)
        return lambda: self._remove(self._outputs, sink)

    @staticmethod
    def _remove(items: list[Any], item: Any) -> None:
        if item in items:
            items.remove(item)

    def engine_event(self, run_id: str, kind: str, payload: dict[str, Any]) -> None:
        for watcher in list(self._watchers):
            watcher({"type": kind, "payload": payload})
        if self._streams and kind != "workflow-step-finish":
            event: dict[str, Any] = {
                "type": kind,
                "runId": run_id,
                "from": "WORKFLOW",
                "payload": {"stepName": payload.get("id"), **payload}
                if "id" in payload
                else payload,
            }
            for sink in list(self._streams):
                sink(event)

    def output_event(self, run_id: str, kind: str, payload: dict[str, Any]) -> None:
        """`writer.write` / `writer.custom` chunks: streams and output writers, not watchers."""
        if kind == "__custom__":
            event = {**payload, "runId": run_id, "from": "WORKFLOW"}
            plain = dict(payload)
        else:
            event = {"type": kind, "runId": run_id, "from": "USER", "payload": payload}
            plain = event
        for sink in list(self._streams):
            sink(event)
        for out in list(self._outputs):
            out(plain)

    def run_event(self, event: dict[str, Any]) -> None:
        """workflow-start / workflow-finish: synthesized for streams only (as Mastra does)."""
        for sink in list(self._streams):
            sink(event)
