"""InMemoryStore's event log beyond the conformance suite: its encoded chunks refuse what has
no plain form, and reads hand out copies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from treadle.storage import InMemoryStore, RunRecord

WF = "wf"


def _events(seqs: range | list[int]) -> list[Any]:
    return [
        (seq, {"type": "workflow-step-result", "runId": "r1", "payload": {"n": seq, "é": "🧵"}})
        for seq in seqs
    ]


async def _store_with_run() -> InMemoryStore:
    store = InMemoryStore()
    await store.save_run(RunRecord(WF, "r1", "running", {"runId": "r1"}))
    return store


async def test_an_event_with_no_plain_form_is_refused_and_nothing_of_its_batch_is_kept() -> None:
    store = await _store_with_run()
    await store.append_events(WF, "r1", _events([1, 2]))
    dated = {"type": "x", "payload": {"at": datetime(2024, 5, 6, tzinfo=UTC)}}
    with pytest.raises(TypeError, match="not plain JSON"):
        await store.append_events(WF, "r1", [*_events([3]), (4, dated)])
    with pytest.raises(TypeError, match="not plain JSON"):  # out of order: the merged path
        await store.append_events(WF, "r1", [(4, dated), *_events([3])])
    assert await store.last_event_seq(WF, "r1") == 2
    assert await store.load_events(WF, "r1") == _events([1, 2])
    await store.append_events(WF, "r1", _events(range(3, 6)))  # the log goes on
    assert await store.load_events(WF, "r1", after=2) == _events(range(3, 6))


async def test_reads_are_copies_of_what_was_stored() -> None:
    store = await _store_with_run()
    written = _events(range(1, 4))
    await store.append_events(WF, "r1", written)
    written[0][1]["payload"]["n"] = "changed after the write"
    first = await store.load_events(WF, "r1")
    first[1][1]["payload"]["n"] = "changed after the read"
    assert await store.load_events(WF, "r1") == _events(range(1, 4))


async def test_batches_appended_out_of_order_read_back_in_seq_order() -> None:
    store = await _store_with_run()
    await store.append_events(WF, "r1", _events([1, 2, 5]))
    await store.append_events(WF, "r1", _events([3, 4]))
    await store.append_events(WF, "r1", _events([2, 6]))  # a seq stored already is kept
    assert await store.load_events(WF, "r1") == _events(range(1, 7))
    assert await store.load_events(WF, "r1", after=3, limit=2) == _events([4, 5])
