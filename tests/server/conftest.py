"""Fixtures for the server tests: a Treadle app on a SQLite file, its FastAPI app, and an
in-process client (ASGI, with the app's lifespan run around it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from server.flows import Gate, asgi_client, make_app
from treadle import Treadle
from treadle.server import create_app


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def treadle_app(tmp_path: Path, gate: Gate) -> Treadle:
    return make_app(tmp_path / "runs.db", gate)


@pytest.fixture
def api(treadle_app: Treadle) -> FastAPI:
    return create_app(treadle_app, studio=False)


@pytest.fixture
async def client(api: FastAPI, gate: Gate) -> AsyncIterator[httpx.AsyncClient]:
    """A client talking to `api` in this event loop; the lifespan (app start/stop) around it."""
    async with asgi_client(api) as c:
        yield c
        gate.open()  # a run still waiting at the gate ends before the app stops
