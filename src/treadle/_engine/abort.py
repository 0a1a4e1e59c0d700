"""AbortSignal: the run's cancellation flag, readable from async and plain `def` steps alike."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from typing import Any

__all__ = ["AbortSignal"]


class AbortSignal:
    """Set once, when the run is canceled. `await signal` waits for it; `signal.aborted` reads it
    (also from plain `def` steps running in a worker thread)."""

    __slots__ = ("_event", "_listeners", "_loop", "aborted")

    def __init__(self) -> None:
        # A plain attribute: set once, read from any thread (assignment is atomic under the GIL).
        self.aborted = False
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listeners: list[Callable[[], Any]] | None = None

    def add_listener(self, callback: Callable[[], Any]) -> None:
        """Call `callback()` when the signal fires (at once if it already has)."""
        if self.aborted:
            callback()
        elif self._listeners is None:
            self._listeners = [callback]
        else:
            self._listeners.append(callback)

    def fire(self) -> None:
        if self.aborted:
            return
        self.aborted = True
        if self._event is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._event.set)
        listeners, self._listeners = self._listeners or [], None
        for callback in listeners:
            callback()

    async def wait(self) -> None:
        if self.aborted:
            return
        if self._event is None:
            self._event = asyncio.Event()
            self._loop = asyncio.get_running_loop()
        await self._event.wait()

    def __await__(self) -> Generator[Any, None, None]:
        return self.wait().__await__()
