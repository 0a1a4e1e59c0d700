"""Run-aware logging: every `logging` record made while a run executes carries `run_id`,
`workflow_id` and `step_id`, and is kept in the run's event log, retrievable by run id."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from .event_log import LOG_TYPE

if TYPE_CHECKING:
    from .event_log import RunEventLog
    from .storage.base import WorkflowStore

__all__ = ["LogSink", "current_run", "current_step", "install", "log_entry", "read_run_logs"]


class LogSink:
    """Where a run's records go: its ids, and its event log (made on first use)."""

    __slots__ = ("_log", "_open_log", "run_id", "workflow_id")

    def __init__(self, run_id: str, workflow_id: str, open_log: Any) -> None:
        self.run_id = run_id
        self.workflow_id = workflow_id
        self._open_log = open_log  # () -> RunEventLog
        self._log: RunEventLog | None = None

    def keep(self, entry: dict[str, Any]) -> None:
        log = self._log
        if log is None:
            log = self._log = self._open_log()
        log.append_record(entry)


current_run: ContextVar[LogSink | None] = ContextVar("treadle_run", default=None)
"""The run executing in this context (set for the length of each drive)."""

current_step: ContextVar[str | None] = ContextVar("treadle_step", default=None)
"""The step executing in this context: its path, `outer.inner` inside nested workflows."""

_installed = False
_capturing = ContextVar("treadle_log_capturing", default=False)


def install() -> None:
    """Wrap the logging record factory (once per process, chaining whatever factory was set):
    records get `run_id`, `workflow_id` and `step_id` attributes (None outside runs), and
    records made inside a run are kept in its event log.

    Keeping happens when a record is made, that is once a logger has decided the level is
    enabled (your logging configuration decides what is kept), and whether or not any handler
    prints it."""
    global _installed
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        sink = current_run.get()
        if sink is None:
            record.run_id = record.workflow_id = record.step_id = None
            return record
        record.run_id = sink.run_id
        record.workflow_id = sink.workflow_id
        record.step_id = current_step.get()
        if not _capturing.get():  # a record made while keeping one is not kept (no loops)
            token = _capturing.set(True)
            try:
                sink.keep(log_entry(record))
            except Exception:  # logging must never break the run
                pass
            finally:
                _capturing.reset(token)
        return record

    logging.setLogRecordFactory(factory)


def log_entry(record: logging.LogRecord) -> dict[str, Any]:
    """A record as a plain-JSON log entry (`type: "log"`)."""
    try:
        message = record.getMessage()
    except Exception as exc:  # a bad format string: keep what we can
        message = f"{record.msg!r} (unformattable: {exc})"
    entry: dict[str, Any] = {
        "type": LOG_TYPE,
        "time": int(record.created * 1000),
        "level": record.levelname,
        "logger": record.name,
        "message": message,
        "runId": getattr(record, "run_id", None),
        "workflowId": getattr(record, "workflow_id", None),
        "stepId": getattr(record, "step_id", None),
    }
    if record.exc_info and record.exc_info[1] is not None:
        exc = record.exc_info[1]
        entry["error"] = {"name": type(exc).__name__, "message": str(exc)}
    return entry


async def read_run_logs(
    store: WorkflowStore,
    workflow_id: str,
    run_id: str,
    *,
    after: int = 0,
    limit: int | None = None,
    level: str | None = None,
) -> list[dict[str, Any]]:
    """A run's log records from its stored event log, each with its `seq`."""
    levels = logging.getLevelNamesMapping()
    floor = 0
    if level is not None:
        floor = levels.get(level.upper(), -1)
        if floor < 0:
            raise ValueError(f"unknown log level {level!r} (use one of {', '.join(levels)})")
    out: list[dict[str, Any]] = []
    for seq, entry in await store.load_events(workflow_id, run_id, after=after, types=(LOG_TYPE,)):
        if floor and levels.get(str(entry.get("level")), 0) < floor:
            continue
        out.append({"seq": seq, **entry})
        if limit is not None and len(out) >= limit:
            break
    return out
