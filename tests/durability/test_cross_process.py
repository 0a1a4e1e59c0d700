"""Durability across real processes: crash recovery, resume anywhere, durable sleep and events,
racing resumers, and many concurrent runs on one store. Each test runs worker processes
(`worker.py`) on a shared SQLite file or PostgreSQL schema and synchronizes with their stdout.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from treadle.storage import RunRecord

Spawn = Callable[..., Any]
SMALL_LEASE_MS = 500
BOUND_S = 15.0


def side_effects_of(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


async def load(store: Any, workflow: str, run_id: str) -> RunRecord:
    record = await store.load_run(workflow, run_id)
    assert record is not None, f"run {run_id} of {workflow} is not stored"
    return record


async def until_lease_expired(store: Any, workflow: str, run_id: str) -> RunRecord:
    """Bounded poll: leases are time-based, so this is the one thing a test may wait out."""
    deadline = time.monotonic() + BOUND_S
    while True:
        record = await load(store, workflow, run_id)
        if record.lease_until is not None and record.lease_until < time.time() * 1000:
            return record
        assert time.monotonic() < deadline, f"lease never expired: {record}"
        await asyncio.sleep(0.05)


def chain_value(n: int) -> int:
    for i in range(1, 6):
        n = n * 2 + i
    return n


# -- 1. crash recovery --------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["run.restart", "restart_active_runs"])
async def test_restart_after_sigkill_does_not_rerun_finished_steps(
    spawn: Spawn, store: Any, side_effects: Path, how: str
) -> None:
    crashing = spawn("chain-crash", lease_ms=SMALL_LEASE_MS, n=1)
    run_id = crashing.expect("run")["run_id"]
    assert crashing.expect("blocked")["step"] == "s3"
    crashing.kill()

    stored = await load(store, "chain5", run_id)
    assert stored.status == "running"
    context = stored.snapshot["context"]
    assert context["s1"]["status"] == "success" and context["s1"]["output"] == {"n": 3}
    assert context["s2"]["status"] == "success" and context["s2"]["output"] == {"n": 8}

    if how == "run.restart":  # at once: restart() is the explicit "that process is gone"
        restarter = spawn("restart", workflow="chain5", run_id=run_id, force=True)
        result = restarter.expect("result", "error")
        assert result["event"] == "result", result
        assert result["result"]["status"] == "success"
        assert result["result"]["result"] == {"n": chain_value(1)}
    else:  # an app started with restart_active_runs=True, once the dead process's lease ran out
        await until_lease_expired(store, "chain5", run_id)
        restarter = spawn(
            "recover", workflow="chain5", run_id=run_id, restart_active_runs=True, timeout_s=5
        )
        run = restarter.expect("recovered")["run"]
        assert run["status"] == "success" and run["result"] == {"n": chain_value(1)}
    assert restarter.finish() == 0

    assert side_effects_of(side_effects) == ["s1", "s2", "s3", "s3", "s4", "s5"]
    done = await load(store, "chain5", run_id)
    assert done.status == "success"
    assert done.snapshot["result"] == {"n": chain_value(1)}
    assert done.lease_owner is None
    assert [k for k in done.snapshot["context"] if k != "input"] == ["s1", "s2", "s3", "s4", "s5"]


# -- 2. resume anywhere ---------------------------------------------------------------------------
async def test_resume_in_a_fresh_process_keeps_state_payload_and_outputs(
    spawn: Spawn, store: Any, side_effects: Path
) -> None:
    starter = spawn("approval-start", n=3)
    run_id = starter.expect("run")["run_id"]
    first = starter.expect("result")["result"]
    assert starter.finish() == 0
    assert first["status"] == "suspended"
    assert first["suspend_payload"] == {"review": {"ask": "approve 4?", "n": 4}}
    assert first["state"] == {"count": 30, "note": "set-by-prepare"}
    assert (await load(store, "approval", run_id)).status == "suspended"

    resumer = spawn("approval-resume", run_id=run_id, resume_data={"by": "ada"})
    line = resumer.expect("result", "error")
    assert resumer.finish() == 0
    assert line["event"] == "result", line
    result = line["result"]
    assert result["status"] == "success"
    assert result["result"] == {
        "n": 4,
        "by": "ada",
        "suspend_data": {"ask": "approve 4?", "n": 4},  # ctx.suspend_data, from the store
        "state": {"count": 30, "note": "set-by-prepare"},  # state set by step 1 in worker A
        "prepare_output": {"n": 4},  # step 1's output, from the store
        "init": {"n": 3},
        "total": 34,
    }
    assert result["state"] == {"count": 31, "note": "set-by-prepare"}
    assert result["steps"]["prepare"]["output"] == {"n": 4}
    assert result["steps"]["review"]["resume_payload"] == {"by": "ada"}
    assert side_effects_of(side_effects) == ["prepare", "review:first", "review:resumed", "finish"]
    done = await load(store, "approval", run_id)
    assert done.status == "success"
    assert done.snapshot["value"] == {"count": 31, "note": "set-by-prepare"}


# -- 3. durable sleep across a restart --------------------------------------------------------------
@pytest.mark.parametrize("how", ["restart_active_runs", "scheduler"])
async def test_sleep_survives_sigkill_and_is_continued_after_its_wake_time(
    spawn: Spawn, store: Any, side_effects: Path, how: str
) -> None:
    sleeping = spawn("sleep-start", lease_ms=SMALL_LEASE_MS, n=4)
    run_id = sleeping.expect("run")["run_id"]
    marker = sleeping.expect("waiting")
    sleeping.kill()
    wake_at = marker["wake_at"]
    assert wake_at is not None

    stored = await load(store, "sleeper", run_id)
    assert stored.status == "waiting"
    assert stored.wake_at == wake_at

    if how == "restart_active_runs":
        # The killed process's lease must have run out for restart_active_runs to take it.
        await until_lease_expired(store, "sleeper", run_id)
        recoverer = spawn(
            "recover", lease_ms=SMALL_LEASE_MS, run_id=run_id, restart_active_runs=True
        )
    else:  # started at once: its scheduler takes the run when the lease and the sleep are over
        recoverer = spawn(
            "recover", lease_ms=SMALL_LEASE_MS, run_id=run_id, restart_active_runs=False
        )
    run = recoverer.expect("recovered")["run"]
    assert recoverer.finish() == 0

    assert run["status"] == "success"
    assert run["result"] == {"n": 50}
    assert run["steps"]["nap"]["status"] == "success"
    assert run["steps"]["after"]["startedAt"] >= wake_at
    assert side_effects_of(side_effects) == ["before", "after"]
    done = await load(store, "sleeper", run_id)
    assert done.status == "success" and done.wake_at is None and done.lease_owner is None


# -- 4. durable events from another process ---------------------------------------------------------
async def test_event_sent_from_another_process_reaches_the_live_waiter(
    spawn: Spawn, store: Any, side_effects: Path
) -> None:
    waiter = spawn("event-start", n=7)
    run_id = waiter.expect("run")["run_id"]
    assert waiter.expect("waiting")["waiting_event"] == "approved"

    sender = spawn("event-send", run_id=run_id, data={"by": "bob"})
    sent = sender.expect("sent", "error")
    assert sender.finish() == 0
    assert sent == {"event": "sent", "result": None}  # the live process takes it

    result = waiter.expect("result")["result"]
    assert waiter.finish() == 0
    assert result["status"] == "success"
    assert result["result"] == {"n": 8, "by": "bob", "pid": waiter.proc.pid}
    assert result["steps"]["handle"]["resume_payload"] == {"by": "bob"}
    assert side_effects_of(side_effects) == ["open", "handle"]
    assert (await load(store, "gate", run_id)).status == "success"


async def test_event_sent_after_the_waiter_died_continues_the_run_in_the_sender(
    spawn: Spawn, store: Any, side_effects: Path
) -> None:
    waiter = spawn("event-start", lease_ms=SMALL_LEASE_MS, n=7)
    run_id = waiter.expect("run")["run_id"]
    assert waiter.expect("waiting")["waiting_event"] == "approved"
    waiter.kill()
    await until_lease_expired(store, "gate", run_id)

    sender = spawn("event-send", lease_ms=SMALL_LEASE_MS, run_id=run_id, data={"by": "eve"})
    sent = sender.expect("sent", "error")
    assert sender.finish() == 0
    assert sent["event"] == "sent", sent
    result = sent["result"]
    assert result is not None and result["status"] == "success"
    assert result["result"] == {"n": 8, "by": "eve", "pid": sender.proc.pid}
    assert side_effects_of(side_effects) == ["open", "handle"]
    done = await load(store, "gate", run_id)
    assert done.status == "success"
    assert done.snapshot["result"]["by"] == "eve"


async def test_event_stored_while_a_dead_waiters_lease_lasts_is_delivered_by_the_scheduler(
    spawn: Spawn, store: Any, side_effects: Path
) -> None:
    lease_ms = 1000
    waiter = spawn("event-start", lease_ms=lease_ms, n=7)
    run_id = waiter.expect("run")["run_id"]
    waiter.expect("waiting")
    sender = spawn("event-send", lease_ms=lease_ms, run_id=run_id, data={"by": "ann"}, barrier=True)
    sender.expect("ready")
    waiter.kill()
    sender.send("go")  # sent right after the kill: the dead process's lease still holds
    assert sender.expect("sent", "error") == {"event": "sent", "result": None}
    assert sender.finish() == 0
    stored = await load(store, "gate", run_id)
    assert stored.status == "waiting"

    # An app's scheduler continues it once the lease has run out, with the stored event.
    recoverer = spawn(
        "recover", lease_ms=lease_ms, workflow="gate", run_id=run_id, restart_active_runs=False
    )
    run = recoverer.expect("recovered")["run"]
    assert recoverer.finish() == 0
    assert run["status"] == "success"
    assert run["result"] == {"n": 8, "by": "ann", "pid": recoverer.proc.pid}
    assert side_effects_of(side_effects) == ["open", "handle"]


# -- 5. concurrent resume ---------------------------------------------------------------------------
async def test_two_processes_resuming_at_once_one_wins(
    spawn: Spawn, store: Any, side_effects: Path
) -> None:
    starter = spawn("approval-start", n=1)
    run_id = starter.expect("run")["run_id"]
    assert starter.expect("result")["result"]["status"] == "suspended"
    assert starter.finish() == 0

    racers = [
        spawn("approval-resume", run_id=run_id, resume_data={"by": f"r{i}"}, barrier=True)
        for i in range(2)
    ]
    for racer in racers:
        racer.expect("ready")  # both have loaded the workflow and opened the store
    for racer in racers:
        racer.send("go")
    outcomes = [racer.expect("result", "error") for racer in racers]
    for racer in racers:
        assert racer.finish() == 0

    wins = [o for o in outcomes if o["event"] == "result"]
    losses = [o for o in outcomes if o["event"] == "error"]
    assert len(wins) == 1 and len(losses) == 1, outcomes
    assert wins[0]["result"]["status"] == "success", outcomes
    assert losses[0]["type"] == "RunStateError"
    # Whether the loser loses the compare-and-set or loads the run after the winner's claim,
    # it is told the same thing.
    assert losses[0]["code"] == "WORKFLOW_RESUME_ALREADY_CLAIMED", losses[0]
    assert Counter(side_effects_of(side_effects))["review:resumed"] == 1
    assert side_effects_of(side_effects) == ["prepare", "review:first", "review:resumed", "finish"]
    done = await load(store, "approval", run_id)
    assert done.status == "success"
    assert done.snapshot["result"]["by"] == wins[0]["result"]["result"]["by"]


async def test_a_resume_overlapping_a_claimed_resume_gets_already_claimed(
    spawn: Spawn, store: Any, side_effects: Path
) -> None:
    starter = spawn("approval-start", n=1)
    run_id = starter.expect("run")["run_id"]
    assert starter.expect("result")["result"]["status"] == "suspended"
    assert starter.finish() == 0

    first = spawn("approval-resume", run_id=run_id, resume_data={"by": "a", "hold": "yes"})
    first.expect("holding")  # it has claimed the run and is inside the resumed step
    second = spawn("approval-resume", run_id=run_id, resume_data={"by": "b"})
    lost = second.expect("result", "error")
    assert second.finish() == 0
    first.send("go")
    won = first.expect("result", "error")
    assert first.finish() == 0

    assert won["event"] == "result" and won["result"]["status"] == "success", won
    assert Counter(side_effects_of(side_effects))["review:resumed"] == 1
    assert lost["event"] == "error" and lost["type"] == "RunStateError", lost
    assert lost["code"] == "WORKFLOW_RESUME_ALREADY_CLAIMED", lost


# -- 6. many concurrent runs from two processes -----------------------------------------------------
async def test_fifty_concurrent_runs_from_two_processes_are_all_stored(
    spawn: Spawn, store: Any
) -> None:
    inputs = [list(range(25)), list(range(1000, 1025))]
    workers = [spawn("many", inputs=batch) for batch in inputs]
    for worker in workers:
        worker.expect("ready")
    for worker in workers:
        worker.send("go")
    reports = [worker.expect("many") for worker in workers]
    for worker in workers:
        assert worker.finish() == 0

    for report in reports:
        assert report["errors"] == []
        assert len(report["runs"]) == 25
    started = {r["run_id"]: r["n"] for report in reports for r in report["runs"]}
    assert len(started) == 50

    records, total = await store.list_runs("triple")
    assert total == 50
    assert {r.run_id for r in records} == set(started)
    for summary in records:
        assert summary.status == "success", summary
        record = await load(store, "triple", summary.run_id)
        n = started[record.run_id]
        context = record.snapshot["context"]
        assert context["input"] == {"n": n}
        assert [k for k in context if k != "input"] == ["t1", "t2", "t3"]
        assert all(context[k]["status"] == "success" for k in ("t1", "t2", "t3"))
        assert context["t3"]["output"] == {"n": (n + 1) * 2 - 3}
        assert record.snapshot["result"] == {"n": (n + 1) * 2 - 3}
        assert record.snapshot["stepExecutionPath"] == ["t1", "t2", "t3"]


# -- leases keep other processes away from a live run ------------------------------------------------
async def test_a_live_sleeper_keeps_its_run_while_another_scheduler_polls(
    spawn: Spawn, store: Any, side_effects: Path
) -> None:
    # The sleep lasts five leases: only the heartbeat keeps the other scheduler away.
    env = {"SLEEP_MS": "1500"}
    sleeping = spawn("sleep-start", lease_ms=300, env=env, n=4)
    run_id = sleeping.expect("run")["run_id"]
    sleeping.expect("waiting")
    watcher = spawn("recover", lease_ms=300, env=env, run_id=run_id, restart_active_runs=True)
    watcher.expect("app-started")
    result = sleeping.expect("result")["result"]
    assert sleeping.finish() == 0
    assert watcher.expect("recovered")["run"]["status"] == "success"
    assert watcher.finish() == 0

    assert result["status"] == "success" and result["result"] == {"n": 50}
    assert side_effects_of(side_effects) == ["before", "after"]  # nobody else ran "after"
    assert (await load(store, "sleeper", run_id)).status == "success"


async def test_restart_refuses_a_run_a_live_process_still_drives(
    spawn: Spawn, store: Any, side_effects: Path
) -> None:
    holder = spawn("chain-hold", n=1)
    run_id = holder.expect("run")["run_id"]
    holder.expect("blocked")  # alive in s3, its lease renewed by the heartbeat

    intruder = spawn("restart", workflow="chain5", run_id=run_id)
    outcome = intruder.expect("result", "error")
    assert intruder.finish() == 0
    holder.send("go")
    held = holder.expect("result", "error")
    assert holder.finish() == 0

    effects = side_effects_of(side_effects)
    assert outcome["event"] == "error" and outcome["type"] == "RunStateError", (outcome, effects)
    assert held["event"] == "result" and held["result"]["status"] == "success", held
    assert effects == ["s1", "s2", "s3", "s4", "s5"]
