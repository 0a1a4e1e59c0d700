"""Pure resume decisions: which suspended step a resume targets, and which entry to start at."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._graph.nodes import SleepEntry, SleepUntilEntry, WaitForEventEntry, entry_steps
from ..errors import RunStateError
from .nested import child_suspended_paths

if TYPE_CHECKING:
    from ..step import Step
    from ..workflow import Workflow
    from .execution import Execution
from .outcome import EMPTY

__all__ = ["entry_index_of", "leaf_step", "resolve_target", "waiting_entry"]


def _as_path(step: Any) -> list[str]:
    if isinstance(step, str):
        return step.split(".")
    if isinstance(step, list | tuple):
        return [s if isinstance(s, str) else str(s.id) for s in step]  # pyright: ignore[reportUnknownVariableType, reportUnknownMemberType, reportUnknownArgumentType]
    return [str(step.id)]


def _fmt(paths: list[list[str]]) -> str:
    return ", ".join(f"[{'.'.join(p)}]" for p in paths)


def resolve_target(
    ex: Execution, step: Any, label: str | None, for_each_index: int | None
) -> tuple[list[str], int | None]:
    """The full path of the step to resume (through nested workflows) and the for_each item."""
    available = child_suspended_paths(ex)
    target = ex.resume_labels.get(label) if label is not None else None
    if target is None:
        label = None  # Mastra ignores an unknown label: the step / auto-detection decides
    if target is not None:
        path = [target["stepId"], *target.get("path", [])]
        if for_each_index is None:
            for_each_index = target.get("foreachIndex")
    elif step is not None:
        path = _as_path(step)
    elif len(available) == 1:
        path = list(available[0])
    elif not available:
        raise RunStateError("No suspended steps found in this workflow run")
    else:
        raise RunStateError(
            f"Multiple suspended steps found: {_fmt(available)}. "
            'Please specify which step to resume using the "step" parameter.'
        )
    if path[0] not in ex.suspended_paths:
        raise RunStateError(
            f'This workflow step "{path[0]}" was not suspended. '
            f"Available suspended steps: [{', '.join(ex.suspended_paths)}]"
        )
    candidates = [p for p in available if p[: len(path)] == path]
    if not candidates:
        raise RunStateError(
            f'This workflow step "{".".join(path)}" was not suspended. '
            f"Available suspended steps: {_fmt(available)}"
        )
    if len(candidates) > 1 and label is None:
        raise RunStateError(
            f"Multiple suspended steps under '{'.'.join(path)}': {_fmt(candidates)}. "
            'Name one with the "step" parameter.'
        )
    full = list(candidates[0]) if label is None else path
    if for_each_index is not None:
        items = ex.meta.get(full[0], EMPTY).get("items")
        if not items or not (0 <= for_each_index < len(items)):
            raise RunStateError(f"for_each_index {for_each_index} is out of range for '{full[0]}'")
        item = items[for_each_index] or EMPTY
        if item.get("status") != "suspended":
            raise RunStateError(
                f"for_each item {for_each_index} of '{full[0]}' is not suspended "
                f"(status: {item.get('status', 'not started')})"
            )
    return full, for_each_index


def leaf_step(workflow: Workflow[Any, Any, Any], path: list[str]) -> Step[Any, Any] | None:
    """The Step object at `path` (walking into nested workflows)."""
    from ..workflow import Workflow as WorkflowCls

    current: Any = workflow
    found: Step[Any, Any] | None = None
    for part in path:
        if not isinstance(current, WorkflowCls):
            return None
        found = current.steps.get(part)
        current = found
    return found


def entry_index_of(workflow: Workflow[Any, Any, Any], step_id: str) -> int | None:
    for idx, entry in enumerate(workflow.entries):
        if (
            any(s.id == step_id for s in entry_steps(entry))
            or getattr(entry, "id", None) == step_id
        ):
            return idx
    return None


def waiting_entry(
    workflow: Workflow[Any, Any, Any], context: dict[str, Any]
) -> tuple[int, SleepEntry | SleepUntilEntry | WaitForEventEntry] | None:
    """The top-level sleep or wait-for-event entry whose record is `waiting`, with its index."""
    for idx, entry in enumerate(workflow.entries):
        if isinstance(entry, SleepEntry | SleepUntilEntry):
            key = entry.id
        elif isinstance(entry, WaitForEventEntry):
            key = entry.step.id
        else:
            continue
        if context.get(key, EMPTY).get("status") == "waiting":
            return idx, entry
    return None
