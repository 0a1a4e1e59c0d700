"""Clocks: wall time in epoch milliseconds and sleeping, injected so tests can use a fake one."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

__all__ = ["Clock", "SystemClock"]

_time = time.time


class Clock(Protocol):
    def now_ms(self) -> int: ...

    async def sleep(self, ms: float) -> None: ...


class SystemClock:
    """The real clock."""

    __slots__ = ()

    @staticmethod
    def now_ms() -> int:
        return int(_time() * 1000)

    async def sleep(self, ms: float) -> None:
        await asyncio.sleep(max(ms, 0) / 1000.0)


SYSTEM_CLOCK = SystemClock()
