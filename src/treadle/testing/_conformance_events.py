"""Conformance checks of the per-run event log (`append_events`, `load_events`,
`last_event_seq`), registered into `store_conformance.CHECKS` after the other checks: that
module imports this one at its end, once its helpers exist."""

from __future__ import annotations

from typing import Any

from ..errors import RunNotFoundError
from ..storage.base import RunEvent, WorkflowStore
from .store_conformance import (
    _TRICKY,  # pyright: ignore[reportPrivateUsage]
    T0,
    WF,
    _check,  # pyright: ignore[reportPrivateUsage]
    _deep,  # pyright: ignore[reportPrivateUsage]
    _expect,  # pyright: ignore[reportPrivateUsage]
    _expect_json,  # pyright: ignore[reportPrivateUsage]
    _full,  # pyright: ignore[reportPrivateUsage]
    _load,  # pyright: ignore[reportPrivateUsage]
    _pending,  # pyright: ignore[reportPrivateUsage]
    _raises,  # pyright: ignore[reportPrivateUsage]
    _record,  # pyright: ignore[reportPrivateUsage]
)

__all__: list[str] = []

STEP = "workflow-step-result"
LOG = "log"


def _event(seq: int, type_: str = STEP, run_id: str = "r1", **extra: Any) -> dict[str, Any]:
    """A stream event (or, with type_="log", a log record) as a streamed run writes it; the same
    arguments always make an equal, new dict."""
    if type_ == LOG:
        return {"type": LOG, "runId": run_id, "level": "info", "message": f"line {seq}", **extra}
    payload = {"id": f"step-{seq}", "status": "success", "output": {"n": seq}, "at": T0 + seq}
    return {"type": type_, "runId": run_id, "from": "WORKFLOW", "payload": payload, **extra}


def _entries(seqs: list[int], type_: str = STEP, run_id: str = "r1") -> list[RunEvent]:
    return [(seq, _event(seq, type_, run_id)) for seq in seqs]


def _seqs(entries: list[RunEvent]) -> list[int]:
    return [seq for seq, _ in entries]


async def _run(store: WorkflowStore, run_id: str = "r1", workflow_name: str = WF) -> None:
    await store.save_run(_record(run_id, _full(run_id), workflow_name=workflow_name))


@_check
async def check_events_round_trip(store: WorkflowStore) -> None:
    """Entries appended in batches load back whole and in seq order (stream events and log
    records alike); an empty batch is a no-op; the run itself does not change."""
    await _run(store)
    first = [(1, _event(1, "workflow-start")), (2, _event(2, LOG)), (3, _event(3))]
    second = [(4, _event(4, LOG)), (5, _event(5, "workflow-finish"))]
    await store.append_events(WF, "r1", first)
    await store.append_events(WF, "r1", [])
    await store.append_events(WF, "r1", second)
    want = [(1, _event(1, "workflow-start")), (2, _event(2, LOG)), (3, _event(3))]
    want += [(4, _event(4, LOG)), (5, _event(5, "workflow-finish"))]
    _expect_json(await store.load_events(WF, "r1"), want, "load_events after two batches")
    loaded = await _load(store, "r1")
    _expect(loaded.version, 1, "run version after append_events")
    _expect_json(loaded.snapshot, _full("r1"), "run snapshot after append_events")


@_check
async def check_events_after_and_limit(store: WorkflowStore) -> None:
    """load_events returns the entries with seq > after, at most limit of them, in seq order."""
    await _run(store)
    await store.append_events(WF, "r1", _entries(list(range(1, 11))))
    _expect(_seqs(await store.load_events(WF, "r1", after=7)), [8, 9, 10], "after=7")
    _expect(_seqs(await store.load_events(WF, "r1", limit=3)), [1, 2, 3], "limit=3")
    _expect(_seqs(await store.load_events(WF, "r1", after=4, limit=2)), [5, 6], "after=4 limit=2")
    _expect(_seqs(await store.load_events(WF, "r1", after=9, limit=5)), [10], "after=9 limit=5")
    _expect(await store.load_events(WF, "r1", after=10), [], "after the last seq")
    _expect(await store.load_events(WF, "r1", after=99), [], "after beyond the last seq")
    _expect(await store.load_events(WF, "r1", limit=0), [], "limit=0")
    _expect(_seqs(await store.load_events(WF, "r1", after=0)), list(range(1, 11)), "after=0")
    _expect_json(
        await store.load_events(WF, "r1", after=2, limit=1), _entries([3]), "entry after=2"
    )


@_check
async def check_events_types_filter(store: WorkflowStore) -> None:
    """types keeps only entries whose type is one of them; after and limit apply with it (the
    limit counts matching entries); an empty types matches nothing."""
    await _run(store)
    kinds = [STEP, LOG, "workflow-step-start", LOG, STEP, LOG, "workflow-finish"]
    entries = [(i + 1, _event(i + 1, kind)) for i, kind in enumerate(kinds)]
    await store.append_events(WF, "r1", entries)
    logs = await store.load_events(WF, "r1", types=[LOG])
    _expect_json(logs, [(seq, _event(seq, LOG)) for seq in (2, 4, 6)], "types=['log']")
    both = await store.load_events(WF, "r1", types={STEP, "workflow-finish"})
    _expect(_seqs(both), [1, 5, 7], "types={step-result, finish}")
    _expect(_seqs(await store.load_events(WF, "r1", types=(LOG,), limit=2)), [2, 4], "+limit")
    _expect(_seqs(await store.load_events(WF, "r1", types=[LOG], after=2)), [4, 6], "+after")
    _expect(_seqs(await store.load_events(WF, "r1", types=[LOG], after=3, limit=1)), [4], "+both")
    _expect(await store.load_events(WF, "r1", types=["no-such-type"]), [], "unknown type")
    _expect(await store.load_events(WF, "r1", types=[]), [], "types=[]")


@_check
async def check_events_duplicate_seq_skipped(store: WorkflowStore) -> None:
    """An entry whose seq is stored already is skipped, never overwritten: within one batch the
    first one stays, and a later batch (a retry) changes nothing stored and adds its new ones."""
    await _run(store)
    await store.append_events(
        WF, "r1", [(1, _event(1)), (2, _event(2)), (1, _event(1, LOG)), (2, {"type": "x"})]
    )
    _expect_json(await store.load_events(WF, "r1"), _entries([1, 2]), "after a batch with dups")
    await store.append_events(WF, "r1", [(2, _event(2, LOG, tag="retry")), (3, _event(3))])
    await store.append_events(WF, "r1", _entries([1, 2, 3]))  # the same batch again
    _expect_json(
        await store.load_events(WF, "r1"), _entries([1, 2, 3]), "after batches with stored seqs"
    )
    _expect(await store.last_event_seq(WF, "r1"), 3, "last_event_seq after duplicates")


@_check
async def check_events_out_of_order(store: WorkflowStore) -> None:
    """Entries appended out of seq order (within a batch and across batches, gaps filled later)
    load in seq order; after and limit follow seq, not the order of appends."""
    await _run(store)
    await store.append_events(WF, "r1", _entries([5, 1, 9]))
    await store.append_events(WF, "r1", _entries([3, 7, 2]))
    await store.append_events(WF, "r1", _entries([4]))
    want = _entries([1, 2, 3, 4, 5, 7, 9])
    _expect_json(await store.load_events(WF, "r1"), want, "entries appended out of order")
    _expect(_seqs(await store.load_events(WF, "r1", after=3, limit=3)), [4, 5, 7], "after/limit")
    _expect(await store.last_event_seq(WF, "r1"), 9, "last_event_seq")


@_check
async def check_last_event_seq(store: WorkflowStore) -> None:
    """last_event_seq is 0 for an empty log and for a missing run, then the highest seq stored
    (not the last appended), per run."""
    await _run(store)
    _expect(await store.last_event_seq(WF, "r1"), 0, "last_event_seq of an empty log")
    _expect(await store.last_event_seq(WF, "missing"), 0, "last_event_seq of a missing run")
    await store.append_events(WF, "r1", _entries([1, 2, 3]))
    _expect(await store.last_event_seq(WF, "r1"), 3, "after appending 1..3")
    await store.append_events(WF, "r1", _entries([10]))
    _expect(await store.last_event_seq(WF, "r1"), 10, "after appending 10")
    await store.append_events(WF, "r1", _entries([7]))
    _expect(await store.last_event_seq(WF, "r1"), 10, "after appending 7 below 10")
    _expect(await store.last_event_seq("other-wf", "r1"), 0, "same run id, another workflow")


@_check
async def check_events_missing_run(store: WorkflowStore) -> None:
    """append_events to a missing run raises RunNotFoundError (an empty batch too) and creates
    nothing; load_events of a missing run is [] (with any filter)."""
    await _raises(
        RunNotFoundError,
        store.append_events(WF, "missing", _entries([1, 2])),
        "append_events to a missing run",
    )
    await _raises(
        RunNotFoundError,
        store.append_events(WF, "missing", []),
        "append_events of an empty batch to a missing run",
    )
    _expect(await store.load_run(WF, "missing"), None, "load_run after append to a missing run")
    _expect(await store.load_events(WF, "missing"), [], "load_events of a missing run")
    _expect(
        await store.load_events(WF, "missing", after=0, limit=5, types=[STEP]),
        [],
        "filtered load_events of a missing run",
    )
    # a run created afterwards has none of the refused entries
    await _run(store, "missing")
    _expect(await store.load_events(WF, "missing"), [], "log of a run created after a refusal")
    # same run id under another workflow: still missing there
    await _raises(
        RunNotFoundError,
        store.append_events("other-wf", "missing", _entries([1])),
        "append_events to a run id stored only under another workflow",
    )


@_check
async def check_events_deleted_with_run(store: WorkflowStore) -> None:
    """delete_run deletes the run's event log; a run re-created under the same id starts with
    an empty log, and its seq 1 is a new entry (not skipped as stored)."""
    await _run(store)
    await _run(store, "r2")
    await store.append_events(WF, "r1", _entries([1, 2, 3]))
    await store.append_events(WF, "r2", _entries([1, 2], run_id="r2"))
    await store.delete_run(WF, "r1")
    _expect(await store.load_events(WF, "r1"), [], "load_events after delete_run")
    _expect(await store.last_event_seq(WF, "r1"), 0, "last_event_seq after delete_run")
    await store.save_run(_record("r1", _pending("r1")))
    _expect(await store.load_events(WF, "r1"), [], "log of a run re-created after delete")
    _expect(await store.last_event_seq(WF, "r1"), 0, "last_event_seq of the re-created run")
    await store.append_events(WF, "r1", [(1, _event(1, LOG, tag="new"))])
    _expect_json(
        await store.load_events(WF, "r1"),
        [(1, _event(1, LOG, tag="new"))],
        "seq 1 appended to the re-created run",
    )
    _expect_json(
        await store.load_events(WF, "r2"), _entries([1, 2], run_id="r2"), "other run's log"
    )


@_check
async def check_events_separate_per_run(store: WorkflowStore) -> None:
    """Each run has its own log: the same seqs in two runs, and in two runs with one run id
    under two workflow names, are separate entries; deleting one run leaves the others."""
    await _run(store, "a")
    await _run(store, "b")
    await _run(store, "a", workflow_name="other-wf")
    await store.append_events(WF, "a", _entries([1, 2, 3], run_id="a"))
    await store.append_events(WF, "b", _entries([2, 3], LOG, run_id="b"))
    await store.append_events("other-wf", "a", _entries([1, 2], "workflow-finish", run_id="x"))
    _expect_json(await store.load_events(WF, "a"), _entries([1, 2, 3], run_id="a"), "run a")
    _expect_json(await store.load_events(WF, "b"), _entries([2, 3], LOG, run_id="b"), "run b")
    _expect_json(
        await store.load_events("other-wf", "a"),
        _entries([1, 2], "workflow-finish", run_id="x"),
        "run a of other-wf",
    )
    _expect(
        (await store.last_event_seq(WF, "a"), await store.last_event_seq("other-wf", "a")),
        (3, 2),
        "last_event_seq of run a under two workflows",
    )
    _expect(await store.load_events(WF, "b", types=[STEP]), [], "run b has no step results")
    await store.delete_run("other-wf", "a")
    _expect(await store.load_events("other-wf", "a"), [], "deleted run a of other-wf")
    _expect_json(
        await store.load_events(WF, "a"), _entries([1, 2, 3], run_id="a"), "run a of wf after"
    )


@_check
async def check_events_unicode_and_nested_json(store: WorkflowStore) -> None:
    """Unicode strings and keys (in `type` too), big integers, floats, literals, empty values
    and deep nesting come back exactly (type-exact) from the event log."""
    await _run(store)
    tricky_type = "étape-ü-🧵"
    entries: list[RunEvent] = [
        (1, {"type": STEP, "runId": "r1", "from": "WORKFLOW", "payload": _TRICKY}),
        (2, {"type": LOG, "message": 'ログ 🧵\n"quoted"', "data": _deep(40)}),
        (3, {"type": tricky_type, "ключ": _TRICKY["keys"], "numbers": _TRICKY["numbers"]}),
        (4, {"type": "", "payload": {"": [{}, [], "", None, False, 0, -0.5]}}),
    ]
    await store.append_events(WF, "r1", entries)
    want: list[RunEvent] = [
        (1, {"type": STEP, "runId": "r1", "from": "WORKFLOW", "payload": _TRICKY}),
        (2, {"type": LOG, "message": 'ログ 🧵\n"quoted"', "data": _deep(40)}),
        (3, {"type": tricky_type, "ключ": _TRICKY["keys"], "numbers": _TRICKY["numbers"]}),
        (4, {"type": "", "payload": {"": [{}, [], "", None, False, 0, -0.5]}}),
    ]
    _expect_json(await store.load_events(WF, "r1"), want, "tricky events")
    _expect_json(
        await store.load_events(WF, "r1", types=[tricky_type, ""]),
        [want[2], want[3]],
        "types filter with unicode and empty type names",
    )


@_check
async def check_events_large_batch(store: WorkflowStore) -> None:
    """2,000 entries appended in ONE call all load back in order; after/limit page through
    them; last_event_seq is the last one."""
    await _run(store)
    seqs = list(range(1, 2001))
    batch = [(seq, _event(seq, LOG if seq % 3 == 0 else STEP)) for seq in seqs]
    await store.append_events(WF, "r1", batch)
    loaded = await store.load_events(WF, "r1")
    _expect(len(loaded), 2000, "number of entries loaded")
    want = [(seq, _event(seq, LOG if seq % 3 == 0 else STEP)) for seq in seqs]
    _expect_json(loaded, want, "2,000 entries")
    page = await store.load_events(WF, "r1", after=1000, limit=500)
    _expect(_seqs(page), list(range(1001, 1501)), "after=1000 limit=500")
    logs = await store.load_events(WF, "r1", types=[LOG])
    _expect(_seqs(logs), [seq for seq in seqs if seq % 3 == 0], "types=['log'] of 2,000")
    _expect(await store.last_event_seq(WF, "r1"), 2000, "last_event_seq")


@_check
async def check_events_load_returns_copy(store: WorkflowStore) -> None:
    """Changing loaded entries (their events, nested values) changes nothing stored."""
    await _run(store)
    await store.append_events(WF, "r1", _entries([1, 2]))
    first = await store.load_events(WF, "r1")
    event = first[0][1]
    event["payload"]["output"]["n"] = -1
    event["payload"]["extra"] = [1]
    event["type"] = LOG
    del first[1][1]["payload"]
    first.clear()
    _expect_json(await store.load_events(WF, "r1"), _entries([1, 2]), "entries reloaded")
    _expect(_seqs(await store.load_events(WF, "r1", types=[LOG])), [], "type of a changed copy")
