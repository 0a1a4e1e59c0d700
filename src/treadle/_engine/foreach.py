"""for_each: run a step once per item of the previous output, `concurrency` items at a time."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from .._graph.nodes import ForEachEntry
from .._ids import new_call_id
from ..context import ConditionContext
from ..errors import StepExecutionError
from .error_json import serialize_error
from .execution import Execution
from .outcome import EMPTY, Outcome, ResumeArgs
from .steps import fresh_record, resumed_record, run_step

__all__ = ["run_foreach"]


async def _concurrency(ex: Execution, entry: ForEachEntry, items: list[Any]) -> int:
    value: Any = entry.concurrency
    if callable(value):
        from .flow import call_user_fn

        value = await call_user_fn(value, ConditionContext(ex, items))
    return value if isinstance(value, int) and value >= 1 else 1


async def run_foreach(
    ex: Execution, idx: int, entry: ForEachEntry, prev: Any, resume: ResumeArgs | None
) -> Outcome:
    step = entry.step
    sid = step.id
    now = ex.clock.now_ms
    prior_items: list[dict[str, Any] | None]
    if resume is not None:
        prior = ex.context.get(sid) or EMPTY
        record = resumed_record(prior, resume.data, now())
        items: Any = prior.get("payload")
        prior_items = list(ex.meta.get(sid, EMPTY).get("items") or [])
        item_meta: dict[str, Any] = dict(ex.meta.get(sid, EMPTY).get("itemMeta") or EMPTY)
    else:
        items = prev
        record = fresh_record(items, now())
        prior_items = [None] * len(cast(list[Any], items)) if isinstance(items, list) else []
        item_meta = {}
    ex.context[sid] = record
    ex.suspended_paths.pop(sid, None)
    emit = ex.emit
    call_id = new_call_id() if emit is not None else ""
    if emit is not None:
        emit("workflow-step-start", {"id": sid, "stepCallId": call_id, **record})
    if not isinstance(items, list):
        error = StepExecutionError(
            f"for_each step '{sid}' needs a list as input, got {type(items).__name__}",
            details={"stepId": sid},
        )
        return _finish(ex, record, call_id, Outcome("failed", None, error))

    items = cast(list[Any], items)
    iters = prior_items
    targets: list[int] = []
    if resume is not None:
        if resume.foreach_index is not None:
            targets = [resume.foreach_index]
        else:
            targets = [i for i, r in enumerate(iters) if r and r.get("status") == "suspended"]
    pending = targets + [i for i, r in enumerate(iters) if r is None]
    total = len(items)
    completed = sum(1 for r in iters if r and r.get("status") == "success")
    stop = False
    item_resume = ResumeArgs(resume.data, resume.rest[1:]) if resume is not None else None

    async def one(i: int) -> Outcome:
        nonlocal completed
        before = iters[i]
        resuming = item_resume is not None and i in targets and before is not None
        if resuming and before is not None and item_resume is not None:
            irec = resumed_record(before, item_resume.data, now())
            value = before.get("payload")
            suspend_data = before.get("suspendPayload")
        else:
            irec = fresh_record(items[i], now())
            value, suspend_data = items[i], None
        iters[i] = irec
        holder: dict[str, Any] = item_meta.setdefault(str(i), {})
        outcome = await run_step(
            ex, step, value, irec, item_resume if resuming else None, suspend_data,
            emit_events=False, foreach_index=i, meta=holder,
        )  # fmt: skip
        if outcome.status == "success":
            completed += 1
        if emit is not None:
            progress: dict[str, Any] = {
                "id": sid,
                "completedCount": completed,
                "totalCount": total,
                "currentIndex": i,
                "iterationStatus": outcome.status if outcome.status != "bailed" else "success",
            }
            if outcome.status == "success":
                progress["iterationOutput"] = outcome.output
            emit("workflow-step-progress", progress)
        return outcome

    outcomes: dict[int, Outcome] = {}
    limit = await _concurrency(ex, entry, items)
    if limit == 1 or len(pending) <= 1:
        for i in pending:
            if ex.abort.aborted:
                break
            outcomes[i] = out = await one(i)
            if out.status != "success":
                break
    else:
        queue = iter(pending)

        async def worker(first: int) -> None:
            # The first `limit` items are all dispatched up front (Mastra fills every slot
            # before any result is seen), even if one of them ends without ever yielding.
            nonlocal stop
            i: int | None = first
            while i is not None:
                outcomes[i] = out = await one(i)
                if out.status != "success":
                    stop = True  # in-flight items finish, queued ones never start
                if stop or ex.abort.aborted:
                    return
                i = next(queue, None)

        firsts = [next(queue) for _ in range(min(limit, len(pending)))]
        await asyncio.gather(*(worker(i) for i in firsts))

    ex.meta[sid] = {"items": iters, "itemMeta": {k: v for k, v in item_meta.items() if v}}
    ex.dirty = True
    return _finish(ex, record, call_id, _aggregate(ex, idx, sid, record, iters, outcomes))


def _aggregate(
    ex: Execution,
    idx: int,
    sid: str,
    record: dict[str, Any],
    iters: list[dict[str, Any] | None],
    outcomes: dict[int, Outcome],
) -> Outcome:
    first_suspended: int | None = None
    for i, irec in enumerate(iters):
        status = irec.get("status") if irec else None
        if status == "failed":
            out = outcomes.get(i)
            return out if out is not None else Outcome("failed")
        if status == "suspended" and first_suspended is None:
            first_suspended = i
    for out in outcomes.values():
        if out.status == "bailed":
            return out
    if first_suspended is not None:
        irec = iters[first_suspended] or EMPTY
        ex.suspended_paths[sid] = [idx]
        ex.meta.setdefault(sid, {})["foreachIndex"] = first_suspended
        return Outcome("suspended", irec.get("suspendPayload"))
    if ex.abort.aborted or any(r is None for r in iters):
        return Outcome("canceled")
    return Outcome("success", [r.get("output") if r else None for r in iters])


def _finish(ex: Execution, record: dict[str, Any], call_id: str, outcome: Outcome) -> Outcome:
    now = ex.clock.now_ms()
    if outcome.status in ("success", "bailed"):
        record.update(status="success", output=outcome.output, endedAt=now)
    elif outcome.status == "failed":
        assert outcome.exc is not None
        record.update(status="failed", error=serialize_error(outcome.exc), endedAt=now)
    elif outcome.status == "suspended":
        record["status"] = "suspended"
        if outcome.output is not None:
            record["suspendPayload"] = outcome.output
        record["suspendedAt"] = now
    else:
        record.update(status="canceled", endedAt=now)
    emit = ex.emit
    if emit is not None:
        sid = record_id = _id_of(ex, record)
        if outcome.status == "suspended":
            emit("workflow-step-suspended", {"id": sid, "stepCallId": call_id, **record})
        else:
            emit("workflow-step-result", {"id": sid, "stepCallId": call_id, **record})
            emit("workflow-step-finish", {"id": record_id, "stepCallId": call_id, "metadata": {}})
    return outcome


def _id_of(ex: Execution, record: dict[str, Any]) -> str:
    for key, value in ex.context.items():
        if value is record:
            return key
    return ""
