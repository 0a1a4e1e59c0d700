"""WorkflowStream: a run's events as an async iterator, plus its result, status and usage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .errors import RunStateError
from .events import WorkflowEvent
from .results import WorkflowResult

if TYPE_CHECKING:
    from .run import Run

__all__ = ["WorkflowStream"]

_ZERO_USAGE = {
    "inputTokens": 0,
    "outputTokens": 0,
    "totalTokens": 0,
    "cachedInputTokens": 0,
    "cacheCreationInputTokens": 0,
    "reasoningTokens": 0,
}
_END: Any = object()


class WorkflowStream:
    """Iterate it for `WorkflowEvent`s (`workflow-start` ... `workflow-finish`); `await
    stream.result` for the `WorkflowResult`; `stream.status` reads `running` until it ends."""

    def __init__(
        self,
        run: Run[Any, Any],
        execute: Callable[[], Awaitable[WorkflowResult]],
    ) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RunStateError(
                "run.stream() starts the run at once: call it from async code (a running loop)"
            ) from None
        self.run_id = run.run_id
        self.workflow_id = run.workflow_id
        self.status = "running"
        self.usage: dict[str, int] = dict(_ZERO_USAGE)
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._events: list[WorkflowEvent] = []
        self._unsubscribe = run._bus.add_stream(self._push)  # pyright: ignore[reportPrivateUsage]
        self._push({"type": "workflow-start", "runId": run.run_id, "from": "WORKFLOW",
                    "payload": {"workflowId": run.workflow_id}})  # fmt: skip
        self._task: asyncio.Task[WorkflowResult] = loop.create_task(self._drive(execute))

    def _push(self, event: dict[str, Any]) -> None:
        self._queue.put_nowait(WorkflowEvent.model_validate(event))

    async def _drive(self, execute: Callable[[], Awaitable[WorkflowResult]]) -> WorkflowResult:
        try:
            result = await execute()
        except BaseException:
            self.status = "failed"
            self._unsubscribe()
            self._queue.put_nowait(_END)
            raise
        self.status = result.status
        payload: dict[str, Any] = {
            "workflowStatus": result.status,
            "output": {"usage": dict(self.usage)},
            "metadata": {},
        }
        if result.status == "success":
            payload["finalWorkflowResult"] = result.result
        self._push({"type": "workflow-finish", "runId": self.run_id, "from": "WORKFLOW",
                    "payload": payload})  # fmt: skip
        self._unsubscribe()
        self._queue.put_nowait(_END)
        return result

    @property
    def result(self) -> asyncio.Task[WorkflowResult]:
        """Await it for the run's result."""
        return self._task

    def __aiter__(self) -> AsyncIterator[WorkflowEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[WorkflowEvent]:
        while True:
            item = await self._queue.get()
            if item is _END:
                return
            self._events.append(item)
            yield item

    @property
    def full_stream(self) -> AsyncIterator[WorkflowEvent]:
        return self._iterate()
