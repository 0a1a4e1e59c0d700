"""Pure decisions over step records: an entry's output, and a block's outcome from its children."""

from __future__ import annotations

from typing import Any

from .._graph.nodes import (
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
from ..step import Step
from .outcome import EMPTY, Outcome

__all__ = ["aggregate_children", "entry_output"]


def _output(context: dict[str, Any], key: str) -> Any:
    record = context.get(key)
    return record.get("output") if record else None


def entry_output(entry: Entry, context: dict[str, Any]) -> Any:
    """What the entry handed to the next one (used when continuing from a stored run)."""
    if isinstance(entry, StepEntry | MappingEntry | LoopEntry | ForEachEntry | WaitForEventEntry):
        return _output(context, entry.step.id)
    if isinstance(entry, SleepEntry | SleepUntilEntry):
        return _output(context, entry.id)
    if isinstance(entry, ParallelEntry):
        return {s.id: _output(context, s.id) for s in entry.steps if s.id in context}
    assert isinstance(entry, ConditionalEntry)
    return {
        s.id: _output(context, s.id)
        for s in entry.steps
        if context.get(s.id, EMPTY).get("status") == "success"
    }


def aggregate_children(
    context: dict[str, Any], children: tuple[Step[Any, Any], ...], ran: dict[str, Outcome]
) -> Outcome:
    """Mastra's precedence: any failed (first in declaration order) > any suspended > canceled >
    bailed > success with `{child_id: output}` over the children that succeeded."""
    suspended: Outcome | None = None
    canceled = False
    bailed: Outcome | None = None
    for child in children:
        outcome = ran.get(child.id)
        record = context.get(child.id)
        status = outcome.status if outcome is not None else (record or EMPTY).get("status")
        if status == "failed":
            return outcome if outcome is not None else Outcome("failed")
        if status == "suspended" and suspended is None:
            suspended = outcome or Outcome("suspended", (record or EMPTY).get("suspendPayload"))
        elif status == "canceled":
            canceled = True
        elif status == "bailed" and bailed is None:
            bailed = outcome
    if suspended is not None:
        return suspended
    if canceled:
        return Outcome("canceled")
    if bailed is not None:
        return bailed
    return Outcome(
        "success",
        {
            child.id: context[child.id].get("output")
            for child in children
            if context.get(child.id, EMPTY).get("status") == "success"
        },
    )
