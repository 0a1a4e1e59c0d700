"""The live progress line on a terminal: elapsed time and the steps running, redrawn in place."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from typing import TextIO

from ..events import WorkflowEvent

__all__ = ["Progress"]

_CLEAR_LINE = "\r\x1b[2K"
_DELAY_S = 0.5  # a run that ends sooner never shows the line: it would only flicker
_REDRAW_S = 0.1
_SPINNER = "|/-\\"


class Progress:
    """Keeps `[12.3s] running: fetch, enrich` on the last line of a terminal (stderr) while a
    run goes on. Call `clear()` before printing anything else; the next redraw puts it back."""

    def __init__(
        self, stream: TextIO, *, delay_s: float = _DELAY_S, redraw_s: float = _REDRAW_S
    ) -> None:
        self._stream = stream
        self._delay_s = delay_s
        self._redraw_s = redraw_s
        self._started = time.monotonic()
        self._running: dict[str, None] = {}  # insertion-ordered set of step ids
        self._waiting: dict[str, None] = {}
        self._shown = False
        self._frame = 0
        self._task: asyncio.Task[None] | None = None

    @staticmethod
    def for_terminal(stream: TextIO) -> Progress | None:
        """A progress line on `stream` if it is a terminal, else None (plain lines only)."""
        isatty = getattr(stream, "isatty", None)
        try:
            return Progress(stream) if isatty is not None and isatty() else None
        except ValueError:  # a closed stream
            return None

    def start(self) -> None:
        self._started = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(self._redraw_forever())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.clear()

    def track(self, event: WorkflowEvent) -> None:
        """Follow which steps are running from the run's events."""
        payload = event.payload or {}
        step = payload.get("id")
        if not isinstance(step, str):
            return
        if event.type == "workflow-step-start":
            self._running[step] = None
            self._waiting.pop(step, None)
        elif event.type == "workflow-step-waiting":
            self._running.pop(step, None)
            self._waiting[step] = None
        elif event.type in ("workflow-step-result", "workflow-step-suspended"):
            self._running.pop(step, None)
            self._waiting.pop(step, None)

    def clear(self) -> None:
        if self._shown:
            self._write(_CLEAR_LINE)
            self._shown = False

    def line(self) -> str:
        """The text of the progress line now."""
        elapsed = time.monotonic() - self._started
        parts = [f"{_SPINNER[self._frame % len(_SPINNER)]} [{elapsed:.1f}s]"]
        if self._running:
            parts.append("running: " + ", ".join(self._running))
        if self._waiting:
            parts.append("waiting: " + ", ".join(self._waiting))
        if len(parts) == 1:
            parts.append("running")
        return "  ".join(parts)

    async def _redraw_forever(self) -> None:
        await asyncio.sleep(self._delay_s)
        while True:
            self._frame += 1
            width = max(20, shutil.get_terminal_size().columns - 1)
            self._write(_CLEAR_LINE + self.line()[:width])
            self._shown = True
            await asyncio.sleep(self._redraw_s)

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # the terminal went away: drawing is best effort
            self._task = None
