"""Mastra's `serializedStepGraph`: the committed graph as plain JSON (what Studio draws)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..step import Step
from .nodes import (
    ConditionalEntry,
    Entry,
    ForEachEntry,
    LoopEntry,
    MappingEntry,
    ParallelEntry,
    SleepEntry,
    SleepUntilEntry,
    StepEntry,
    WaitForEventEntry,
)

__all__ = ["describe_fn", "serialize_entries"]


def describe_fn(fn: Any) -> str:
    """A readable name for a function (never its source: graphs are data, not code)."""
    if isinstance(fn, dict):
        return "<mapping>"
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__
    return f"<function {name}>"


def _inner(step: Step[Any, Any]) -> dict[str, Any]:
    """The step held by a loop, foreach or wait entry: the bare step body, or a nested workflow
    entry as a whole."""
    serialized = _step(step)
    return serialized if step.component == "WORKFLOW" else serialized["step"]


def _step(step: Step[Any, Any]) -> dict[str, Any]:
    if step.component == "WORKFLOW":
        from ..workflow import Workflow

        assert isinstance(step, Workflow)
        return {
            "type": "workflow",
            "id": step.id,
            "workflowId": step.id,
            "serializedStepFlow": serialize_entries(step.entries),
        }
    body: dict[str, Any] = {"id": step.id}
    if step.description:
        body["description"] = step.description
    if step.metadata:
        body["metadata"] = step.metadata
    body["canSuspend"] = step.can_suspend
    return {"type": "step", "step": body}


def serialize_entries(entries: Sequence[Entry]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for entry in entries:
        if isinstance(entry, StepEntry):
            out.append(_step(entry.step))
        elif isinstance(entry, MappingEntry):
            out.append(
                {"type": "mapping", "id": entry.step.id, "mapConfig": describe_fn(entry.config)}
            )
        elif isinstance(entry, ParallelEntry):
            out.append({"type": "parallel", "steps": [_step(s) for s in entry.steps]})
        elif isinstance(entry, ConditionalEntry):
            out.append(
                {
                    "type": "conditional",
                    "steps": [_step(s) for s in entry.steps],
                    "serializedConditions": [
                        {"id": f"{s.id}-condition", "fn": describe_fn(c)}
                        for c, s in zip(entry.conditions, entry.steps, strict=True)
                    ],
                }
            )
        elif isinstance(entry, LoopEntry):
            out.append(
                {
                    "type": "loop",
                    "step": _inner(entry.step),
                    "serializedCondition": {
                        "id": f"{entry.step.id}-condition",
                        "fn": describe_fn(entry.condition),
                    },
                    "loopType": entry.loop_type,
                }
            )
        elif isinstance(entry, ForEachEntry):
            conc = (
                entry.concurrency
                if isinstance(entry.concurrency, int)
                else describe_fn(entry.concurrency)
            )
            out.append(
                {
                    "type": "foreach",
                    "step": _inner(entry.step),
                    "opts": {"concurrency": conc},
                }
            )
        elif isinstance(entry, SleepEntry):
            item: dict[str, Any] = {"type": "sleep", "id": entry.id}
            if entry.fn is not None:
                item["fn"] = describe_fn(entry.fn)
            else:
                item["duration"] = entry.duration_ms
            out.append(item)
        elif isinstance(entry, SleepUntilEntry):
            item = {"type": "sleepUntil", "id": entry.id}
            if entry.fn is not None:
                item["fn"] = describe_fn(entry.fn)
            else:
                item["date"] = entry.date.isoformat() if entry.date is not None else None
            out.append(item)
        else:
            assert isinstance(entry, WaitForEventEntry)
            out.append({"type": "waitForEvent", "event": entry.event, "step": _inner(entry.step)})
    return out
