"""RunEventLog: a run's stream events in order, numbered, fanned out live to its streams and
written to the store in batches, so a consumer can re-attach from any offset."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, cast

from ._engine.error_json import serialize_error
from ._schema import to_plain

if TYPE_CHECKING:
    from .results import WorkflowResult
    from .storage.base import RunEvent, WorkflowStore

__all__ = [
    "FLUSH_BATCH",
    "FLUSH_DELAY_S",
    "LOG_TYPE",
    "RunEventLog",
    "Subscriber",
    "add_usage",
    "zero_usage",
]

logger = logging.getLogger("treadle.events")

FLUSH_DELAY_S = 0.05
"""Events wait at most this long in memory before they are written (a short run's events are
written once, when it ends; a long step's start is visible to other processes within this)."""

FLUSH_BATCH = 256
"""A batch this large is written at once, without waiting for the delay."""

LOG_TYPE = "log"
"""The `type` of log records kept in a run's event log (streams leave them out)."""

# subscriber((seq, event), outcome): outcome is the drive's WorkflowResult (or the exception it
# raised) on its `workflow-finish`, otherwise None. The entry tuple is the one queued for the
# store (one tuple per event, shared).
Subscriber = Callable[[tuple[int, dict[str, Any]], Any], None]


class RunEventLog:
    """One run's event log in this process. `append` is synchronous and cheap (the engine
    calls it inline); writes to the store happen in the background and on `flush()`.

    Sequence numbers continue the stored log (`open()` reads where it ends), so they grow across
    resumes, restarts and processes. An entry appended before `open()` (a log record of a run
    nobody streams) is numbered when it is written.
    """

    __slots__ = (
        "_flushed",
        "_flushing",
        "drive_open",
        "next_seq",
        "pending",
        "recording",
        "run_id",
        "store",
        "subscribers",
        "usage",
        "workflow_name",
    )

    def __init__(self, store: WorkflowStore, workflow_name: str, run_id: str) -> None:
        self.store = store
        self.workflow_name = workflow_name
        self.run_id = run_id
        self.next_seq: int | None = None
        self.subscribers: tuple[Subscriber, ...] = ()
        # Entries not yet written; seq None: numbered when written.
        self.pending: list[tuple[int | None, dict[str, Any]]] = []
        # True while this run's events are kept in the store (it was ever streamed).
        self.recording = False
        # Token usage reported by agent steps during the current drive (for workflow-finish).
        self.usage: dict[str, int] = zero_usage()
        # True from a drive's `workflow-start` to its `workflow-finish`: engine events are
        # logged only then, so every logged drive is bracketed by the two.
        self.drive_open = False
        # True while a write is under way; `_flushed` is made for callers that wait for it
        # (most writes have none: no future to make).
        self._flushing = False
        self._flushed: asyncio.Future[None] | None = None

    @property
    def active(self) -> bool:
        """True when events have somewhere to go: a live stream or the stored log."""
        return self.recording or bool(self.subscribers)

    async def open(self) -> None:
        """Learn where the stored log ends (once per process)."""
        if self.next_seq is None:
            last = await self.store.last_event_seq(self.workflow_name, self.run_id)
            if self.next_seq is None:  # another caller may have opened it meanwhile
                self.next_seq = last + 1
                self._number_pending()

    def begin_drive(self) -> None:
        """Append a drive's `workflow-start`: from here to `end_drive` its events are logged.
        The log must be open."""
        self.usage = zero_usage()
        self.drive_open = True
        self.append(start_event(self.run_id, self.workflow_name))

    def end_drive(self, result: WorkflowResult | None, exc: BaseException | None) -> None:
        """Append the drive's `workflow-finish`, handing `result` (or the exception `exc` the
        drive raised) to live streams."""
        self.drive_open = False
        self.append(
            finish_event(self.run_id, self.usage, result, exc),
            result if result is not None else exc,
        )

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        # A tuple, replaced on change: appends iterate it without copying.
        self.subscribers = (*self.subscribers, subscriber)

        def unsubscribe() -> None:
            self.subscribers = tuple(s for s in self.subscribers if s is not subscriber)

        return unsubscribe

    def append(self, event: dict[str, Any], outcome: Any = None) -> int:
        """Number `event`, hand it to every subscriber, and queue it for the store. The log
        must be open. (On every streamed event's path: kept flat.)"""
        seq = self.next_seq
        assert seq is not None, "RunEventLog.append before open()"
        self.next_seq = seq + 1
        if event["type"] == "workflow-step-output":
            add_usage(self.usage, event)
        entry = (seq, event)
        if self.recording:
            pending = self.pending
            pending.append(entry)
            queued = len(pending)
            if queued == 1 or queued >= FLUSH_BATCH:
                self._schedule()
        for subscriber in self.subscribers:
            subscriber(entry, outcome)
        return seq

    def append_record(self, event: dict[str, Any]) -> None:
        """Queue a log record for the store (numbered now if the log is open)."""
        seq = self.next_seq
        if seq is not None:
            self.next_seq = seq + 1
        self.pending.append((seq, event))
        self._schedule()

    async def flush(self) -> None:
        """Write every queued entry; returns when they are stored."""
        while self.pending or self._flushing:
            if self._flushing:
                done = self._flushed
                if done is None:
                    done = self._flushed = asyncio.get_running_loop().create_future()
                await asyncio.shield(done)
                continue
            await self._write_batch()

    async def read(
        self, after: int, limit: int | None = None, types: Collection[str] | None = None
    ) -> list[RunEvent]:
        """Stored entries after `after` (everything appended so far is written first)."""
        await self.flush()
        return await self.store.load_events(
            self.workflow_name, self.run_id, after=after, limit=limit, types=types
        )

    # -- writing --------------------------------------------------------------------------
    def _schedule(self) -> None:
        if self._flushing:
            return  # the running write takes these next
        if len(self.pending) >= FLUSH_BATCH:
            asyncio.get_running_loop().create_task(self._background_write())
        else:
            _write_soon(self)

    def _number_pending(self) -> None:
        """Number the entries queued before the log was open (by `open`, once: entries
        appended after it are numbered as they come)."""
        next_seq = self.next_seq
        assert next_seq is not None
        numbered: list[tuple[int | None, dict[str, Any]]] = []
        for seq, event in self.pending:
            if seq is None:
                seq, next_seq = next_seq, next_seq + 1
            numbered.append((seq, event))
        self.pending, self.next_seq = numbered, next_seq

    async def _background_write(self) -> None:
        try:
            await self._write_batch()
        except Exception:
            # Kept queued; the next append or the run's final flush tries again (and raises).
            logger.warning(
                "run '%s' of workflow '%s': writing its events failed; will retry",
                self.run_id, self.workflow_name, exc_info=True,
            )  # fmt: skip

    async def _write_batch(self) -> None:
        if self._flushing or not self.pending:
            return
        self._flushing = True
        try:
            if self.next_seq is None:
                await self.open()  # numbers what was queued before it
            batch, self.pending = self.pending, []
            store, name, run_id = self.store, self.workflow_name, self.run_id
            try:
                # Events are plain JSON by construction (the writer converts what steps
                # write), so they are stored as they are; should anything else slip in,
                # convert and retry once. Every seq is set once the log is open.
                try:
                    await store.append_events(name, run_id, cast("list[RunEvent]", batch))
                except (TypeError, ValueError):
                    await store.append_events(name, run_id, _plain(batch))
            except BaseException:
                self.pending[:0] = batch  # kept for the next attempt: nothing is dropped
                raise
        finally:
            self._flushing = False
            done = self._flushed
            if done is not None:
                self._flushed = None
                done.set_result(None)
            if self.pending:
                _write_soon(self)


# Logs with entries waiting, per event loop: one timer per loop writes them all (a timer per
# run would cost more than a short run's events). A log stays listed until the timer fires,
# even once written, so a stream of short runs arms the timer once per FLUSH_DELAY_S.
_waiting: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, set[RunEventLog]] = (
    weakref.WeakKeyDictionary()
)


def _write_soon(log: RunEventLog) -> None:
    loop = asyncio.get_running_loop()
    logs = _waiting.get(loop)
    if logs is None:
        logs = _waiting[loop] = set()
    if not logs:
        loop.call_later(FLUSH_DELAY_S, _write_waiting, loop)
    logs.add(log)


def _write_waiting(loop: asyncio.AbstractEventLoop) -> None:
    logs = _waiting.get(loop)
    if not logs:
        return
    due = list(logs)
    logs.clear()
    for log in due:
        if log.pending and not log._flushing:  # pyright: ignore[reportPrivateUsage]
            loop.create_task(log._background_write())  # pyright: ignore[reportPrivateUsage]


def _plain(batch: list[tuple[int | None, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
    """The batch as plain JSON, converted in one call (writer payloads may hold models,
    datetimes...); an event with a value that has no JSON form keeps its type and says so."""
    try:
        converted: list[Any] = to_plain([event for _, event in batch])
    except Exception:
        converted = [_plain_event(event) for _, event in batch]
    return [
        (seq, event) for (seq, _), event in zip(batch, converted, strict=True) if seq is not None
    ]


def _plain_event(event: dict[str, Any]) -> dict[str, Any]:
    try:
        return to_plain(event)
    except Exception as exc:
        return {"type": event.get("type"), "unserializable": f"{type(exc).__name__}: {exc}"}


def start_event(run_id: str, workflow_id: str) -> dict[str, Any]:
    return {
        "type": "workflow-start",
        "runId": run_id,
        "from": "WORKFLOW",
        "payload": {"workflowId": workflow_id},
    }


def finish_event(
    run_id: str,
    usage: dict[str, int],
    result: WorkflowResult | None,
    exc: BaseException | None = None,
) -> dict[str, Any]:
    """Mastra's `workflow-finish`: the result's status (and output, on success), or `failed`
    with the error in `metadata` when the run raised `exc`."""
    payload: dict[str, Any] = {"workflowStatus": "failed", "output": {"usage": dict(usage)}}
    if result is not None:
        payload["workflowStatus"] = result.status
        payload["metadata"] = {}
        if result.status == "success":
            payload["finalWorkflowResult"] = result.result
    else:
        assert exc is not None
        payload["metadata"] = {"error": serialize_error(exc), "errorMessage": str(exc)}
    return {"type": "workflow-finish", "runId": run_id, "from": "WORKFLOW", "payload": payload}


_ZERO_USAGE = {
    "inputTokens": 0,
    "outputTokens": 0,
    "totalTokens": 0,
    "cachedInputTokens": 0,
    "cacheCreationInputTokens": 0,
    "reasoningTokens": 0,
}


def zero_usage() -> dict[str, int]:
    return _ZERO_USAGE.copy()


def add_usage(usage: dict[str, int], event: dict[str, Any]) -> None:
    """Agent steps report token usage in their `finish` output chunk (Mastra's rule)."""
    payload: dict[str, Any] = event.get("payload") or {}
    output: Any = payload.get("output")
    if not isinstance(output, dict):
        return
    chunk = cast("dict[str, Any]", output)
    if chunk.get("type") != "finish":
        return
    inner: Any = chunk.get("payload")
    if not isinstance(inner, dict):
        return
    body = cast("dict[str, Any]", inner)
    found: Any = body.get("usage")
    if found is None:
        nested: Any = body.get("output")
        found = cast("dict[str, Any]", nested).get("usage") if isinstance(nested, dict) else None
    if not isinstance(found, dict):
        return
    aliases = {"promptTokens": "inputTokens", "completionTokens": "outputTokens"}
    for key, value in cast("dict[str, Any]", found).items():
        name = aliases.get(key, key)
        if name in usage and isinstance(value, int | float | str):
            try:
                usage[name] += int(value)
            except ValueError:
                continue
