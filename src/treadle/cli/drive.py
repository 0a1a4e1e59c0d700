"""Follow a streamed run (run or resume): print its events, handle Ctrl-C, choose the exit code."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..results import WorkflowResult
from ..run import Run
from ..stream import WorkflowStream
from .output import HumanRunPrinter, JsonRunPrinter, RunPrinter
from .progress import Progress
from .session import EXIT_INTERRUPTED, exit_code_of

__all__ = ["follow_run", "make_printer"]

ResumeHints = Callable[[WorkflowResult], Sequence[str]]


def make_printer(as_json: bool, *, verb: str) -> tuple[RunPrinter, Progress | None]:
    """The printer for `--json` or humans, and the progress line when stderr is a terminal."""
    progress = Progress.for_terminal(sys.stderr)
    printer: RunPrinter = (
        JsonRunPrinter(progress) if as_json else HumanRunPrinter(progress, verb=verb)
    )
    return printer, progress


class _CtrlC:
    """First Ctrl-C: cancel the run and let it end cleanly. Second: stop waiting at once."""

    def __init__(self, run: Run[Any, Any], printer: RunPrinter) -> None:
        self.pressed = 0
        self._run = run
        self._printer = printer
        self._loop = asyncio.get_running_loop()
        self._main = asyncio.current_task()
        self._cancel: asyncio.Task[None] | None = None
        self.installed = False

    def install(self) -> None:
        try:
            self._loop.add_signal_handler(signal.SIGINT, self._on_sigint)
            self.installed = True
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # no loop signal handlers here (Windows, a thread): Ctrl-C stops the process

    def remove(self) -> None:
        if self.installed:
            self._loop.remove_signal_handler(signal.SIGINT)
            self.installed = False

    async def settle(self) -> None:
        """Wait for a cancel asked by Ctrl-C to have been handed over to the run."""
        if self._cancel is not None:
            with contextlib.suppress(Exception):
                await self._cancel

    def _on_sigint(self) -> None:
        self.pressed += 1
        if self.pressed == 1:
            self._printer.note("canceling the run (press Ctrl-C again to quit at once)")
            self._cancel = self._loop.create_task(self._run.cancel())
        elif self._main is not None:
            self._main.cancel()


async def follow_run(
    run: Run[Any, Any],
    stream: WorkflowStream,
    printer: RunPrinter,
    progress: Progress | None,
    resume_hints: ResumeHints,
) -> int:
    """Print each event of `stream` as it comes, then the result; return the exit code.

    The two events of a run refused before it began (they have no `seq`) are not printed: the
    refusal is raised from here (`WorkflowError`) for the caller to explain.
    """
    ctrl_c = _CtrlC(run, printer)
    ctrl_c.install()
    if progress is not None:
        progress.start()
    try:
        async for event in stream:
            if event.seq is not None:
                printer.event(event)
        result = await stream.result
    except asyncio.CancelledError:
        if ctrl_c.pressed < 2:
            raise
        current = asyncio.current_task()
        if current is not None:
            current.uncancel()  # the cancellation was ours: the command ends normally
        printer.note("interrupted: the run was left as it is")
        return EXIT_INTERRUPTED
    finally:
        ctrl_c.remove()
        await ctrl_c.settle()
        if progress is not None:
            await progress.stop()
    hints = resume_hints(result) if result.status == "suspended" else ()
    printer.result(result, hints)
    if ctrl_c.pressed:
        return EXIT_INTERRUPTED
    return exit_code_of(result.status)
