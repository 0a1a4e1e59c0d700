"""Signals sent to a run (`run.send_event`), kept until a `wait_for_event` entry takes them.

In one process a signal reaches the waiting entry at once. A signal sent from another process
is stored (`WorkflowStore.push_signal`); the waiting process polls the store for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from .abort import AbortSignal

__all__ = ["SIGNAL_POLL_MS", "EventInbox"]

SIGNAL_POLL_MS = 200
"""How often a waiting run looks in the store for a signal sent by another process."""

Poll = Callable[[str], Awaitable[tuple[bool, Any]]]


class EventInbox:
    def __init__(self, poll: Poll | None = None, poll_ms: float = SIGNAL_POLL_MS) -> None:
        self._pending: dict[str, list[Any]] = {}
        self._waiters: dict[str, asyncio.Future[Any]] = {}
        self._poll = poll
        self._poll_s = poll_ms / 1000

    def send(self, name: str, data: Any) -> None:
        waiter = self._waiters.pop(name, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(data)
        else:
            self._pending.setdefault(name, []).append(data)

    def is_waiting_for(self, name: str) -> bool:
        return name in self._waiters

    def take(self, name: str) -> tuple[bool, Any]:
        """A signal already here (in memory), without waiting."""
        queued = self._pending.get(name)
        if queued:
            return True, queued.pop(0)
        return False, None

    async def wait(self, name: str, abort: AbortSignal) -> Any:
        found, data = self.take(name)
        if found:
            return data
        poll = self._poll
        if poll is not None:
            found, data = await poll(name)
            if found:
                return data
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters[name] = fut
        abort.add_listener(lambda: fut.done() or fut.cancel())
        try:
            if poll is None:
                return await fut
            while True:
                try:
                    return await asyncio.wait_for(asyncio.shield(fut), self._poll_s)
                except TimeoutError:
                    found, data = await poll(name)
                    if found:
                        return data
        finally:
            self._waiters.pop(name, None)
            if not fut.done():
                fut.cancel()
