"""FakeClock: a `Clock` whose time moves only when the test says so."""

from __future__ import annotations

import asyncio
import heapq
import itertools

__all__ = ["FakeClock"]


class _Sleeper:
    __slots__ = ("deadline", "future", "queued", "resumed")

    def __init__(self, deadline: float, future: asyncio.Future[None]) -> None:
        self.deadline = deadline
        self.future = future
        self.queued = True  # still in the clock's heap
        self.resumed = asyncio.Event()  # set once the sleeping coroutine has left sleep()


class FakeClock:
    """A clock for tests (the engine's `Clock` protocol: `now_ms()` and `async sleep(ms)`).

    Time starts at `start_ms` and moves only with `await clock.advance(ms)`. `advance` wakes,
    in deadline order (ties in the order they went to sleep), every sleeper whose deadline is
    at or before the new time. Before waking each one it sets the time to that sleeper's
    deadline, and it waits until the woken coroutine has run on to its next `await` before
    waking the next. So a task that sleeps again on waking, with a deadline still inside the
    advanced span, is woken again by the same `advance` (as under real time), and when
    `advance` returns every woken task has reacted. `advance` is not reentrant: call it from
    one task at a time.

    `sleepers` counts the sleeps in progress; `await clock.wait_for_sleepers(n)` returns once
    at least `n` are asleep, so a test can wait for the code under test to reach its sleep
    without sleeping itself. `sleep(ms)` with `ms <= 0` only yields to the event loop.
    """

    __slots__ = ("_changed", "_heap", "_now", "_seq")

    def __init__(self, start_ms: int = 0) -> None:
        self._now: float = start_ms
        self._heap: list[tuple[float, int, _Sleeper]] = []
        self._seq = itertools.count()
        self._changed = asyncio.Event()

    def now_ms(self) -> int:
        """The fake time in epoch milliseconds."""
        return int(self._now)

    @property
    def sleepers(self) -> int:
        """How many sleeps are in progress (not yet woken or cancelled)."""
        return sum(1 for _, _, s in self._heap if not s.future.done())

    @property
    def deadlines(self) -> list[float]:
        """The deadlines (ms) of the sleeps in progress, earliest first."""
        return sorted(s.deadline for _, _, s in self._heap if not s.future.done())

    async def sleep(self, ms: float) -> None:
        """Return once the clock has been advanced `ms` past the time of this call."""
        if ms <= 0:
            await asyncio.sleep(0)
            return
        sleeper = _Sleeper(self._now + ms, asyncio.get_running_loop().create_future())
        heapq.heappush(self._heap, (sleeper.deadline, next(self._seq), sleeper))
        self._notify()
        try:
            await sleeper.future
        finally:
            if sleeper.queued:  # cancelled while asleep
                self._heap = [entry for entry in self._heap if entry[2] is not sleeper]
                heapq.heapify(self._heap)
                sleeper.queued = False
            sleeper.resumed.set()
            self._notify()

    async def advance(self, ms: float) -> None:
        """Move the time forward by `ms` and wake the sleepers that are due (see the class)."""
        if ms < 0:
            raise ValueError(f"FakeClock.advance: cannot go back in time ({ms} ms)")
        target = self._now + ms
        while self._heap and self._heap[0][0] <= target:
            _, _, sleeper = heapq.heappop(self._heap)
            sleeper.queued = False
            if sleeper.future.done():  # its task was cancelled and has not run since
                continue
            self._now = max(self._now, sleeper.deadline)
            sleeper.future.set_result(None)
            await sleeper.resumed.wait()
        self._now = max(self._now, target)
        self._notify()

    async def wait_for_sleepers(self, n: int = 1) -> None:
        """Return once at least `n` sleeps are in progress."""
        while self.sleepers < n:
            await self._changed.wait()

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
