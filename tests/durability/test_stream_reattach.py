"""Re-attaching to a streamed run after the process that streamed it was killed: the events it
logged are replayed, and the events of the run's continuation in another process follow, with
one numbering across both."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from durability.test_cross_process import SMALL_LEASE_MS, chain_value, until_lease_expired

EVENT_WAIT_S = 10


async def until_logged(store: Any, run_id: str, step: str) -> list[tuple[int, dict[str, Any]]]:
    """The run's stored events, once `step`'s start is among them (they are written in
    batches, a few ms after they happen)."""
    deadline = time.monotonic() + EVENT_WAIT_S
    while True:
        events = await store.load_events("chain5", run_id)
        if any(
            e["type"] == "workflow-step-start" and e["payload"]["id"] == step for _, e in events
        ):
            return events
        assert time.monotonic() < deadline, f"{step} start never logged: {events}"
        await asyncio.sleep(0.02)


async def test_observe_after_sigkill_replays_then_follows_the_restarted_run(
    spawn: Any, store: Any
) -> None:
    streaming = spawn("chain-stream-crash", lease_ms=SMALL_LEASE_MS, n=1)
    run_id = streaming.expect("run")["run_id"]
    assert streaming.expect("blocked")["step"] == "s3"
    logged = await until_logged(store, run_id, "s3")
    streaming.kill()

    before = [(seq, e["type"], (e.get("payload") or {}).get("id")) for seq, e in logged]
    assert before == [
        (1, "workflow-start", None),
        (2, "workflow-step-start", "s1"),
        (3, "workflow-step-result", "s1"),
        (4, "workflow-step-start", "s2"),
        (5, "workflow-step-result", "s2"),
        (6, "workflow-step-start", "s3"),
    ]

    await until_lease_expired(store, "chain5", run_id)
    observer = spawn("observe-restart", workflow="chain5", run_id=run_id, timeout_s=15)
    seen = observer.expect("observed")
    assert observer.finish() == 0

    events = [(e["seq"], e["type"], e["step"]) for e in seen["events"]]
    assert events[:6] == before  # replayed from the store
    continued = [(t, s) for _, t, s in events[6:]]
    assert continued == [
        ("workflow-start", None),
        ("workflow-step-start", "s3"),
        ("workflow-step-result", "s3"),
        ("workflow-step-start", "s4"),
        ("workflow-step-result", "s4"),
        ("workflow-step-start", "s5"),
        ("workflow-step-result", "s5"),
        ("workflow-finish", None),
    ]
    seqs = [seq for seq, _, _ in events]
    assert seqs == list(range(1, len(events) + 1))  # one numbering across both processes
    assert seen["status"] == "success"

    stored = await store.load_events("chain5", run_id)
    # On failure, say what the store holds beyond what the observer saw (seen once in CI).
    extra = [(seq, e.get("type"), e.get("message")) for seq, e in stored if seq not in seqs]
    assert [seq for seq, _ in stored] == seqs, extra
    finish = stored[-1][1]
    assert finish["payload"]["workflowStatus"] == "success"
    assert finish["payload"]["finalWorkflowResult"] == {"n": chain_value(1)}


async def test_observe_from_an_offset_skips_what_was_seen(spawn: Any, store: Any) -> None:
    streaming = spawn("chain-stream-crash", lease_ms=SMALL_LEASE_MS, n=2)
    run_id = streaming.expect("run")["run_id"]
    streaming.expect("blocked")
    await until_logged(store, run_id, "s3")
    streaming.kill()
    await until_lease_expired(store, "chain5", run_id)

    observer = spawn("observe-restart", workflow="chain5", run_id=run_id, after=4)
    seen = observer.expect("observed")
    assert observer.finish() == 0
    assert [e["seq"] for e in seen["events"]][:2] == [5, 6]
    assert seen["events"][-1]["type"] == "workflow-finish"
