"""Lifecycle callbacks (`on_start`, `on_finish`, `on_error`) and the `RunInfo` they receive.
Mixed into `Run`; kept apart so each file has one job."""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .request_context import RequestContext
from .results import WorkflowResult

if TYPE_CHECKING:
    from ._engine.execution import Execution
    from .workflow import Workflow

__all__ = ["CallbacksMixin", "RunInfo"]

logger = logging.getLogger("treadle")


@dataclass(slots=True)
class RunInfo:
    """What lifecycle callbacks receive."""

    run_id: str
    workflow_id: str
    resource_id: str | None
    state: dict[str, Any]
    input: Any
    request_context: RequestContext
    status: str = "running"
    result: Any = None
    error: dict[str, Any] | None = None
    steps: dict[str, Any] = field(default_factory=dict[str, Any])
    step_execution_path: list[str] = field(default_factory=list[str])
    exception: BaseException | None = None

    def get_init_data(self) -> Any:
        return self.input


class CallbacksMixin:
    """The callbacks half of `Run` (see run.py for the attributes used here)."""

    if TYPE_CHECKING:
        workflow: Workflow[Any, Any, Any]
        run_id: str
        resource_id: str | None

    async def _on_start(self, ex: Execution) -> None:
        """`on_start(info)`: raising makes start() raise; nothing has run or been stored yet."""
        wf = self.workflow
        assert wf.on_start is not None
        info = RunInfo(
            self.run_id, wf.id, self.resource_id, dict(ex.state), ex.context.get("input"),
            ex.request_context,
        )  # fmt: skip
        started = wf.on_start(info)
        if inspect.isawaitable(started):
            await started

    async def _callbacks(self, ex: Execution, result: WorkflowResult) -> None:
        wf = self.workflow
        if wf.on_finish is None and (wf.on_error is None or result.status != "failed"):
            return
        info = RunInfo(
            self.run_id, wf.id, self.resource_id, dict(ex.state), ex.context.get("input"),
            ex.request_context, result.status, result.result, result.error,
            dict(result.steps), list(result.step_execution_path), result.exception,
        )  # fmt: skip
        for callback in (wf.on_finish, wf.on_error if result.status == "failed" else None):
            if callback is None:
                continue
            try:
                await _maybe_await(callback(info))
            except Exception:  # callbacks must not change the run's outcome
                logger.exception(
                    "workflow '%s' run '%s': lifecycle callback raised", wf.id, self.run_id
                )


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value
