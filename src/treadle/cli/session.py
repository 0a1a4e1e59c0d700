"""What every command shares: exit codes, the app source, workflow look-up, and running a
command's coroutine with the app's store closed afterwards."""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import click

from ..app import Treadle
from ..errors import SchemaValidationError, StorageError, WorkflowError, WorkflowNotFoundError
from ..workflow import Workflow
from .loader import AppLoadError, load_app

__all__ = [
    "EXIT_CANCELED",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_SUSPENDED",
    "EXIT_USAGE",
    "AppSource",
    "CliError",
    "CliFailure",
    "exit_code_of",
    "explain_refusal",
    "run_with_app",
    "workflow_of",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_SUSPENDED = 3
EXIT_CANCELED = 4
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C

_STATUS_EXIT = {
    "success": EXIT_OK,
    "failed": EXIT_FAILED,
    "suspended": EXIT_SUSPENDED,
    "canceled": EXIT_CANCELED,
}

# Which option a refused value came from, by the `details.type` of the validation error.
_OPTION_OF = {"input data": "--input", "initial data": "--state", "resume data": "--data"}

AnyWorkflow = Workflow[Any, Any, Any]


def exit_code_of(status: str) -> int:
    """The exit code for a run that ended (or paused) with `status`."""
    return _STATUS_EXIT.get(status, EXIT_FAILED)


class CliError(click.ClickException):
    """An error shown as `Error: <message>` on stderr; the process exits with 2 (bad usage or
    bad input)."""

    exit_code = EXIT_USAGE


class CliFailure(click.ClickException):
    """Shown like `CliError`, but the process exits with 1: not the caller's mistake (the store
    failed, or the workflow's own `on_start` raised)."""

    exit_code = EXIT_FAILED


@dataclass(frozen=True, slots=True)
class AppSource:
    """The app target (`--app` / `TREADLE_APP`, or None for the bundled examples), and how to
    repeat it in a printed command."""

    target: str | None
    given_on_command_line: bool = False

    def load(self) -> Treadle:
        try:
            return load_app(self.target)
        except AppLoadError as exc:
            raise CliError(str(exc)) from None

    def command(self, *args: str) -> str:
        """`treadle [--app TARGET] args...`, quoted for a POSIX shell."""
        words = ["treadle"]
        if self.target is not None and self.given_on_command_line:
            words += ["--app", self.target]
        return " ".join(shlex.quote(word) for word in [*words, *args])


def workflow_of(app: Treadle, key: str) -> AnyWorkflow:
    """The workflow registered as `key` (or with that id); a usage error lists the known ones."""
    try:
        return app.get_workflow(key)
    except WorkflowNotFoundError:
        known = ", ".join(sorted(app.list_workflows())) or "none"
        raise CliError(f"unknown workflow '{key}' (known: {known})") from None


def run_with_app(source: AppSource, body: Callable[[Treadle], Awaitable[int]]) -> int:
    """Load the app, run `body(app)` in a fresh event loop, close the app's store, and return
    the exit code `body` chose (130 when Ctrl-C stops it)."""
    app = source.load()

    async def main() -> int:
        try:
            return await body(app)
        finally:
            await app.stop()

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:  # outside a run's own Ctrl-C handling (or a second Ctrl-C)
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED


def explain_refusal(exc: Exception) -> click.ClickException:
    """The error for a run (or resume) refused before anything ran. Bad input names each bad
    field path and the option it came from (exit 2); a store failure or an exception from the
    workflow's code exits with 1."""
    if isinstance(exc, StorageError):
        return CliFailure(f"the store failed: {exc.message}")
    if not isinstance(exc, WorkflowError):
        return CliFailure(f"the run could not start: {type(exc).__name__}: {exc}")
    if isinstance(exc, SchemaValidationError):
        head = exc.message.splitlines()[0].rstrip(" :") if exc.message else "Invalid data"
        option = _OPTION_OF.get(str(exc.details.get("type", "")))
        where = f" ({option})" if option else ""
        lines = [f"{head}{where}:"]
        lines += [f"  {issue.path}: {issue.get('message', '')}" for issue in exc.issues]
        return CliError("\n".join(lines))
    return CliError(exc.message or type(exc).__name__)
