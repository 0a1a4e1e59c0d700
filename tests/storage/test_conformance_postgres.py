"""The shared store conformance checks, each on a fresh PostgresStore in a fresh schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from treadle.testing.store_conformance import CHECKS


@pytest.mark.parametrize("name", list(CHECKS))
async def test_postgres_conformance(name: str, make_postgres_store: Callable[..., Any]) -> None:
    await CHECKS[name](make_postgres_store())
