"""SQLiteStore against the shared store conformance suite, one fresh file per check."""

from __future__ import annotations

from pathlib import Path

import pytest

from treadle.storage import SQLiteStore
from treadle.testing import CHECKS


@pytest.mark.parametrize("name", list(CHECKS))
async def test_sqlite_store_conformance(name: str, tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "t.db")
    try:
        await CHECKS[name](store)
    finally:
        await store.close()
