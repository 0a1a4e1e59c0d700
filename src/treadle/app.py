"""Treadle: the app that registers workflows and owns their storage (Mastra's `Mastra`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import WorkflowDefinitionError, WorkflowNotFoundError

if TYPE_CHECKING:
    from .storage.base import WorkflowStore
    from .workflow import Workflow

__all__ = ["Treadle"]


class Treadle:
    """`Treadle(workflows={"key": wf}, storage=store)`. Registering commits the workflows and
    makes the app their `ctx.app` and their store."""

    def __init__(
        self,
        workflows: Mapping[str, Workflow[Any, Any, Any]] | None = None,
        storage: WorkflowStore | None = None,
    ) -> None:
        if storage is None:
            from .storage import default_store

            storage = default_store()
        self.storage: WorkflowStore = storage
        self._workflows: dict[str, Workflow[Any, Any, Any]] = {}
        for key, wf in (workflows or {}).items():
            self.add_workflow(wf, key=key)

    def add_workflow(self, workflow: Workflow[Any, Any, Any], key: str | None = None) -> None:
        name = key or workflow.id
        if name in self._workflows and self._workflows[name] is not workflow:
            raise WorkflowDefinitionError(f"a workflow is already registered as '{name}'")
        if not workflow.committed:
            workflow.commit()
        workflow.app = self
        self._workflows[name] = workflow

    def get_workflow(self, key: str) -> Workflow[Any, Any, Any]:
        found = self._workflows.get(key)
        if found is None:
            for wf in self._workflows.values():
                if wf.id == key:
                    return wf
            raise WorkflowNotFoundError(
                f"no workflow '{key}' is registered (known: {', '.join(self._workflows) or 'none'})"
            )
        return found

    def list_workflows(self) -> dict[str, Workflow[Any, Any, Any]]:
        return dict(self._workflows)
