"""Graph entries: one frozen dataclass per control-flow primitive of a workflow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ..step import Step

__all__ = [
    "ConditionalEntry",
    "Entry",
    "ForEachEntry",
    "LoopEntry",
    "MappingEntry",
    "ParallelEntry",
    "SleepEntry",
    "SleepUntilEntry",
    "StepEntry",
    "WaitForEventEntry",
]

Condition = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class StepEntry:
    step: Step[Any, Any]


@dataclass(frozen=True, slots=True)
class MappingEntry:
    """`.map(...)`: runs like a step (its own id, events, a place in stepExecutionPath)."""

    step: Step[Any, Any]
    config: Any  # the function or the mapping dict, kept for serialization


@dataclass(frozen=True, slots=True)
class ParallelEntry:
    steps: tuple[Step[Any, Any], ...]


@dataclass(frozen=True, slots=True)
class ConditionalEntry:
    conditions: tuple[Condition, ...]
    steps: tuple[Step[Any, Any], ...]


@dataclass(frozen=True, slots=True)
class LoopEntry:
    step: Step[Any, Any]
    condition: Condition
    loop_type: Literal["dowhile", "dountil"]


@dataclass(frozen=True, slots=True)
class ForEachEntry:
    step: Step[Any, Any]
    concurrency: int | Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class SleepEntry:
    id: str
    duration_ms: float | None
    fn: Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class SleepUntilEntry:
    id: str
    date: Any  # datetime | None
    fn: Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class WaitForEventEntry:
    """The seeds' `.waitForEvent(name, step)`: pause until `run.send_event(name, data)`, then run
    `step` with the event data as its `resume_data`."""

    event: str
    step: Step[Any, Any]


Entry = (
    StepEntry
    | MappingEntry
    | ParallelEntry
    | ConditionalEntry
    | LoopEntry
    | ForEachEntry
    | SleepEntry
    | SleepUntilEntry
    | WaitForEventEntry
)


def entry_steps(entry: Entry) -> tuple[Step[Any, Any], ...]:
    """The steps an entry runs (none for sleeps)."""
    if isinstance(entry, ParallelEntry | ConditionalEntry):
        return entry.steps
    if isinstance(entry, SleepEntry | SleepUntilEntry):
        return ()
    return (entry.step,)
