"""How runs are printed: one human line per event (or NDJSON with --json), the result, tables."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, cast

import click

from ..events import WorkflowEvent
from ..results import WorkflowResult
from .progress import Progress

__all__ = [
    "HumanRunPrinter",
    "JsonRunPrinter",
    "RunPrinter",
    "compact_json",
    "format_duration",
    "format_time",
    "pretty_json",
    "print_table",
    "wire",
]


def wire(value: WorkflowEvent | WorkflowResult) -> dict[str, Any]:
    """The Mastra JSON shape of an event or a result."""
    return value.model_dump(mode="json", by_alias=True, exclude_none=True)


def compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


def pretty_json(value: Any) -> str:
    """One line when it is short, else indented."""
    short = compact_json(value)
    return (
        short if len(short) <= 72 else json.dumps(value, ensure_ascii=False, indent=2, default=str)
    )


def format_duration(ms: float | None) -> str:
    if ms is None or ms < 0:
        return "-"
    if ms < 1000:
        return f"{ms:.0f} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def format_time(epoch_ms: Any) -> str:
    """Local time, to the second, for an epoch-ms timestamp ("-" when missing)."""
    if not isinstance(epoch_ms, int | float) or not epoch_ms:
        return "-"
    return datetime.fromtimestamp(float(epoch_ms) / 1000).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def step_duration(record: Mapping[str, Any]) -> float | None:
    started, ended = record.get("startedAt"), record.get("endedAt") or record.get("suspendedAt")
    if isinstance(started, int | float) and isinstance(ended, int | float):
        return float(ended) - float(started)
    return None


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "") -> None:
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        click.echo(indent + "  ".join(cells).rstrip())


def error_text(error: Any) -> str:
    """`Name: message` for a serialized error (or whatever else it is)."""
    if isinstance(error, Mapping):
        err = cast(Mapping[str, Any], error)
        name, message = err.get("name"), err.get("message")
        return (
            f"{name}: {message}" if name and message else str(message or name or compact_json(err))
        )
    return str(error)


def issue_lines(error: Any, indent: str) -> list[str]:
    """One line per field path of a validation error (empty for other errors)."""
    if not isinstance(error, Mapping):
        return []
    issues = cast(Mapping[str, Any], error).get("issues")
    if not isinstance(issues, list):
        return []
    out: list[str] = []
    for issue in cast(list[Any], issues):
        if isinstance(issue, Mapping):
            item = cast(Mapping[str, Any], issue)
            out.append(f"{indent}{item.get('path', '(root)')}: {item.get('message', '')}")
    return out


class RunPrinter(Protocol):
    """What the run driver tells its printer."""

    def event(self, event: WorkflowEvent) -> None: ...

    def result(self, result: WorkflowResult, resume_commands: Sequence[str]) -> None: ...

    def note(self, text: str) -> None: ...


class JsonRunPrinter:
    """NDJSON on stdout: each event in Mastra's wire shape, then the result; notes on stderr."""

    def __init__(self, progress: Progress | None = None) -> None:
        self._progress = progress

    def event(self, event: WorkflowEvent) -> None:
        if self._progress is not None:
            self._progress.clear()
            self._progress.track(event)
        click.echo(json.dumps(wire(event), ensure_ascii=False, separators=(",", ":")))

    def result(self, result: WorkflowResult, resume_commands: Sequence[str]) -> None:
        if self._progress is not None:
            self._progress.clear()
        click.echo(json.dumps(wire(result), ensure_ascii=False, separators=(",", ":")))
        for command in resume_commands:
            click.echo(f"resume with: {command}", err=True)

    def note(self, text: str) -> None:
        if self._progress is not None:
            self._progress.clear()
        click.echo(text, err=True)


class HumanRunPrinter:
    """One readable line per event as it comes, then the outcome and the result."""

    def __init__(self, progress: Progress | None = None, *, verb: str = "started") -> None:
        self._progress = progress
        self._verb = verb
        self._began: dict[str, float] = {}  # step id -> when this drive saw it start (epoch ms)

    def note(self, text: str) -> None:
        self._echo(text, err=True)

    def _echo(self, text: str, err: bool = False) -> None:
        if self._progress is not None:
            self._progress.clear()
        click.echo(text, err=err)

    def event(self, event: WorkflowEvent) -> None:
        if self._progress is not None:
            self._progress.track(event)
        line = self._line(event)
        if line is not None:
            self._echo(line)

    def _line(self, event: WorkflowEvent) -> str | None:
        payload: dict[str, Any] = event.payload or {}
        kind = event.type
        step = str(payload.get("id") or payload.get("stepName") or "?")
        indent = "  " * (1 + step.count("."))
        if kind == "workflow-start":
            return f"run {event.run_id} of {payload.get('workflowId', '?')} {self._verb}"
        if kind in ("workflow-step-start", "workflow-step-waiting"):
            began = payload.get("resumedAt") or payload.get("startedAt")
            if isinstance(began, int | float):
                self._began[step] = float(began)
        if kind == "workflow-step-start":
            verb = "resumed" if "resumePayload" in payload else "started"
            return f"{indent}{step} {verb}"
        if kind == "workflow-step-result":
            took = self._took(step, payload)
            status = payload.get("status")
            if status == "success":
                return f"{indent}{step} succeeded in {took}"
            if status == "failed":
                return f"{indent}{step} failed after {took}: {error_text(payload.get('error'))}"
            return f"{indent}{step} {status} after {took}"
        if kind == "workflow-step-suspended":
            took = self._took(step, payload)
            suspended = compact_json(payload.get("suspendPayload"))
            return f"{indent}{step} suspended after {took}: {suspended}"
        if kind == "workflow-step-waiting":
            return f"{indent}{step} waiting"
        if kind == "workflow-step-progress":
            done, total = payload.get("completedCount"), payload.get("totalCount")
            item = payload.get("currentIndex")
            return f"{indent}{step} {done}/{total} (item {item}: {payload.get('iterationStatus')})"
        if kind == "workflow-step-output":
            name = str(payload.get("stepName") or "?")
            return (
                f"{'  ' * (1 + name.count('.'))}{name} wrote: {compact_json(payload.get('output'))}"
            )
        if kind in ("workflow-finish", "workflow-canceled"):
            return None  # the outcome is printed from the result
        return f"  {kind}: {compact_json(event.data if event.data is not None else payload)}"

    def _took(self, step: str, payload: Mapping[str, Any]) -> str:
        """How long the step ran in this drive: since it started, or since it was resumed."""
        began = self._began.get(step)
        ended = payload.get("endedAt") or payload.get("suspendedAt")
        if began is not None and isinstance(ended, int | float):
            return format_duration(float(ended) - began)
        return format_duration(step_duration(payload))

    def result(self, result: WorkflowResult, resume_commands: Sequence[str]) -> None:
        self._echo(f"status: {result.status}")
        if result.status == "success":
            self._echo(f"result: {pretty_json(result.result)}")
        elif result.status == "failed":
            self._echo(f"error: {error_text(result.error)}")
            for line in issue_lines(result.error, "  "):
                self._echo(line)
            failed = [key for key, step in result.steps.items() if step.status == "failed"]
            if failed:
                self._echo(f"failed step: {', '.join(failed)}")
        elif result.status == "suspended":
            payloads = result.suspend_payload or {}
            for path in result.suspended or []:
                shown = compact_json(payloads.get(path[0]))
                self._echo(f"suspended at {'.'.join(path)}: {shown}")
            if resume_commands:
                self._echo("resume with:")
                for command in resume_commands:
                    self._echo(f"  {command}")
