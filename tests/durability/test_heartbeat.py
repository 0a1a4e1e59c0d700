"""The lease heartbeat: one timer per event loop renews every run this process drives."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from treadle import persistence
from treadle._engine.clock import SYSTEM_CLOCK
from treadle.persistence import RunPersistence
from treadle.storage import InMemoryStore, RunRecord


class LeaseStore(InMemoryStore):
    """Counts lease renewals by run id; `lost` names runs whose lease another process took."""

    shared = True

    def __init__(self) -> None:
        super().__init__()
        self.renewed: list[str] = []
        self.lost: set[str] = set()

    async def renew_lease(
        self, workflow_name: str, run_id: str, owner: str, lease_until: int
    ) -> bool:
        self.renewed.append(run_id)
        return run_id not in self.lost


def _held(store: LeaseStore, run_id: str) -> RunPersistence:
    record = RunRecord("w", run_id, "running", {})
    p = RunPersistence(store, record, "step", SYSTEM_CLOCK)
    record.lease_owner = p.owner
    p._start_heartbeat()  # as an active head write does
    return p


async def _beat() -> None:
    heartbeat = persistence._HEARTBEAT
    loop = asyncio.get_running_loop()
    heartbeat._beat(loop)  # this loop's timer's call
    await asyncio.gather(*(t for t in heartbeat._tasks if t.get_loop() is loop))  # its renewals


@pytest.fixture(autouse=True)
def clean_heartbeat() -> Any:
    yield
    heartbeat = persistence._HEARTBEAT
    heartbeat._held.clear()
    heartbeat._timed.clear()


async def test_one_beat_renews_every_held_run_until_it_ends() -> None:
    store = LeaseStore()
    a, b = _held(store, "a"), _held(store, "b")
    await _beat()
    assert sorted(store.renewed) == ["a", "b"]
    a.stop_heartbeat()  # run a ended
    await _beat()
    assert sorted(store.renewed) == ["a", "b", "b"]
    assert b.record.lease_until is not None


async def test_a_lost_lease_is_not_renewed_again() -> None:
    store = LeaseStore()
    _held(store, "a")
    store.lost.add("a")
    await _beat()
    await _beat()
    assert store.renewed == ["a"]  # refused once, then dropped


async def test_a_store_failure_keeps_the_run_for_the_next_beat() -> None:
    class Failing(LeaseStore):
        async def renew_lease(
            self, workflow_name: str, run_id: str, owner: str, lease_until: int
        ) -> bool:
            self.renewed.append(run_id)
            if len(self.renewed) == 1:
                raise OSError("store down (injected)")
            return True

    store = Failing()
    p = _held(store, "a")
    await _beat()
    assert p.record.lease_until is None  # not renewed, but still held
    await _beat()
    assert store.renewed == ["a", "a"] and p.record.lease_until is not None


def test_runs_of_an_ended_event_loop_are_dropped() -> None:
    store = LeaseStore()

    async def hold() -> None:
        _held(store, "old")

    asyncio.run(hold())  # its loop ends with the run still held (its drive never finished)

    async def later() -> None:
        _held(store, "new")
        await _beat()

    asyncio.run(later())
    assert store.renewed == ["new"]
    held = persistence._HEARTBEAT._held
    assert [p.record.run_id for p in held] == ["new"]  # "old" was dropped


async def test_each_loops_beat_renews_the_runs_that_loop_drives() -> None:
    """Two event loops (two threads) hold runs: each has its own timer, and a beat renews only
    its own loop's runs, keeping the other's held."""
    store = LeaseStore()
    other = asyncio.new_event_loop()
    thread = threading.Thread(target=other.run_forever)
    thread.start()
    try:

        async def hold_elsewhere() -> RunPersistence:
            return _held(store, "theirs")

        theirs = asyncio.run_coroutine_threadsafe(hold_elsewhere(), other).result()
        _held(store, "ours")
        assert persistence._HEARTBEAT._timed == {other, asyncio.get_running_loop()}
        await _beat()
        assert store.renewed == ["ours"]
        assert theirs in persistence._HEARTBEAT._held  # still held, for its own loop's beat
        asyncio.run_coroutine_threadsafe(_beat(), other).result()  # the other loop's timer
        assert store.renewed == ["ours", "theirs"]
    finally:
        other.call_soon_threadsafe(other.stop)
        thread.join()
        other.close()
