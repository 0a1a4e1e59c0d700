"""Eager fan-out: start each child coroutine at once and only make a task for the ones that
actually wait. Most steps finish without waiting, and a task costs more than the step itself."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar

from ..logs import current_step

__all__ = ["gather_eager"]

T = TypeVar("T")


class _Continue:
    """Awaitable that finishes driving a coroutine already stepped once (what `first` is: the
    future it waits on, re-yielded so the task wakes up when that future is done)."""

    __slots__ = ("_coro", "_first")

    def __init__(self, coro: Coroutine[Any, Any, Any], first: Any) -> None:
        self._coro = coro
        self._first = first

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, value = self._coro, self._first
        while True:
            try:
                sent = yield value
            except BaseException as exc:  # cancellation and throws go into the coroutine
                try:
                    value = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


async def _drive(coro: Coroutine[Any, Any, T], first: Any) -> T:
    return await _Continue(coro, first)


async def gather_eager(coros: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Like `asyncio.gather`, with each child run synchronously up to its first real wait.

    Children still overlap in time: one that waits becomes a task and the next child starts.
    """
    results: list[Any] = [None] * len(coros)
    waiting: list[tuple[int, asyncio.Task[Any]]] = []
    # A child's first part runs in this context: what it sets there (the step id of log
    # records) is handed to its task, then taken back from this context.
    outer_step = current_step.get()
    for index, coro in enumerate(coros):
        try:
            first = coro.send(None)
        except StopIteration as stop:
            results[index] = stop.value
            continue
        except BaseException:
            for other in coros[index + 1 :]:
                other.close()
            for _, task in waiting:
                task.cancel()
            raise
        waiting.append((index, asyncio.ensure_future(_drive(coro, first))))
        current_step.set(outer_step)
    if waiting:
        done = await asyncio.gather(*(task for _, task in waiting))
        for (index, _), value in zip(waiting, done, strict=True):
            results[index] = value
    return results
