"""The store conformance suite (`treadle.testing`) on InMemoryStore, one test per check, and
the suite's runner reporting a broken store."""

from __future__ import annotations

from typing import Any

import pytest

from treadle.storage import InMemoryStore, RunRecord, WorkflowStore
from treadle.testing import CHECKS, run_store_conformance


@pytest.mark.parametrize("name", list(CHECKS))
async def test_in_memory_store(name: str) -> None:
    store = InMemoryStore()
    try:
        await CHECKS[name](store)
    finally:
        await store.close()


async def test_in_memory_store_passes_the_whole_suite() -> None:
    async def make() -> WorkflowStore:
        return InMemoryStore()

    await run_store_conformance(make)


class _ReversedListStore(InMemoryStore):
    """Lists runs oldest first: the wrong order."""

    async def list_runs(self, *args: Any, **kwargs: Any) -> tuple[list[RunRecord], int]:
        rows, total = await super().list_runs(*args, **kwargs)
        return rows[::-1], total


async def test_runner_reports_every_failed_check() -> None:
    made: list[_ReversedListStore] = []
    closed: list[bool] = []

    class Tracked(_ReversedListStore):
        async def close(self) -> None:
            closed.append(True)

    async def make() -> WorkflowStore:
        made.append(Tracked())
        return made[-1]

    with pytest.raises(AssertionError) as info:
        await run_store_conformance(make)
    message = str(info.value)
    assert "list_runs_order" in message
    assert "list_runs(workflow) order" in message  # the check's own message is included
    assert "list_runs_paging" in message
    assert "save_load_round_trip" not in message
    assert "signals_fifo_per_name" not in message
    # a fresh store per check, each closed
    assert len(made) == len(CHECKS)
    assert len({id(s) for s in made}) == len(CHECKS)
    assert len(closed) == len(CHECKS)


async def test_runner_reports_unexpected_exceptions() -> None:
    class Exploding(InMemoryStore):
        async def pop_signal(self, workflow_name: str, run_id: str, name: str) -> tuple[bool, Any]:
            raise RuntimeError("kaboom")

    async def make() -> WorkflowStore:
        return Exploding()

    with pytest.raises(AssertionError) as info:
        await run_store_conformance(make)
    assert "signals_fifo_per_name: raised RuntimeError: kaboom" in str(info.value)


def test_checks_are_named_and_documented() -> None:
    assert len(CHECKS) >= 30
    for name, check in CHECKS.items():
        assert name and not name.startswith("check_")
        assert check.__doc__, name


def test_import_treadle_does_not_import_testing() -> None:
    import subprocess
    import sys

    code = "import sys, treadle; sys.exit(1 if 'treadle.testing' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_testing_does_not_need_pytest() -> None:
    import subprocess
    import sys

    code = "import sys; sys.modules['pytest'] = None; import treadle.testing; sys.exit(0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
