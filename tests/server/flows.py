"""Workflows and helpers for the server tests: a gate the test opens (across threads: the live
server runs its own loop), and small workflows for each route."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from treadle import StepContext, Treadle, create_step, create_workflow
from treadle.storage import SQLiteStore

__all__ = ["Gate", "Name", "asgi_client", "make_app", "parse_rs", "parse_sse", "wait_for_status"]

DEADLINE_S = 10.0  # how long a test waits for the server before it fails

log = logging.getLogger("server-tests")
log.setLevel(logging.INFO)  # records are kept when a logger makes them


class Gate:
    """A step waits on it until the test opens it; `started` says a step is waiting. Safe to
    open from any thread (the waiting step's loop is told thread-safely)."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self._opened = False
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def wait(self) -> None:
        event = asyncio.Event()
        with self._lock:
            opened = self._opened
            if not opened:
                self._waiters.append((asyncio.get_running_loop(), event))
        self.started.set()
        if not opened:
            await event.wait()

    def open(self) -> None:
        with self._lock:
            self._opened = True
            waiters, self._waiters = self._waiters, []
        for loop, event in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

    async def wait_started(self) -> None:
        reached = await asyncio.to_thread(self.started.wait, DEADLINE_S)
        assert reached, "no step reached the gate"


class Name(BaseModel):
    name: str


class Greeting(BaseModel):
    greeting: str


class Ask(BaseModel):
    ask: str


class Decision(BaseModel):
    ok: bool


class Count(BaseModel):
    n: int


async def _hello(ctx: StepContext[Name]) -> Greeting:
    log.info("greeting %s", ctx.input_data.name)
    return Greeting(greeting=f"hi {ctx.input_data.name}")


async def _shout(ctx: StepContext[Greeting]) -> dict[str, str]:
    await ctx.writer.write({"shouting": True})
    return {"out": ctx.input_data.greeting.upper()}


async def _approve(ctx: StepContext[Greeting]) -> Decision:
    if ctx.resume_data is None:
        await ctx.suspend({"ask": f"approve '{ctx.input_data.greeting}'?"})
    return Decision(ok=bool(ctx.resume_data["ok"]))


async def _inc(ctx: StepContext[Count]) -> Count:
    return Count(n=ctx.input_data.n + 1)


def _steps(gate: Gate) -> dict[str, Any]:
    async def blocked(ctx: StepContext[Count]) -> Count:
        await gate.wait()
        return Count(n=ctx.input_data.n + 10)

    return {
        "hello": create_step(
            id="hello", description="Say hello", input_schema=Name, output_schema=Greeting,
            execute=_hello,
        ),
        "shout": create_step(id="shout", input_schema=Greeting, execute=_shout),
        "approve": create_step(
            id="approve", input_schema=Greeting, output_schema=Decision, suspend_schema=Ask,
            resume_schema=Decision, execute=_approve,
        ),
        "blocked": create_step(id="blocked", input_schema=Count, output_schema=Count,
                               execute=blocked),
        "inc": create_step(id="inc", input_schema=Count, output_schema=Count, execute=_inc),
    }  # fmt: skip


def make_app(db: Path, gate: Gate | None = None) -> Treadle:
    """greet: hello -> shout. approval: hello -> approve (suspends for a Decision).
    gated: inc -> blocked (waits on `gate`, +10) -> inc2. nested: inner(hello) -> shout.
    events: inc -> wait_for_event('go', inc2)."""
    s = _steps(gate or Gate())
    greet = (
        create_workflow(id="greet", description="Greets", input_schema=Name)
        .then(s["hello"])
        .then(s["shout"])
        .commit()
    )
    approval = (
        create_workflow(id="approval", input_schema=Name, output_schema=Decision)
        .then(s["hello"])
        .then(s["approve"])
        .commit()
    )
    inc2 = create_step(id="inc2", input_schema=Count, output_schema=Count, execute=_inc)
    gated = (
        create_workflow(id="gated", input_schema=Count)
        .then(s["inc"])
        .then(s["blocked"])
        .then(inc2)
        .commit()
    )
    inner = create_workflow(id="inner", input_schema=Name).then(s["hello"]).commit()
    nested = create_workflow(id="nested", input_schema=Name).then(inner).then(s["shout"]).commit()
    events = (
        create_workflow(id="events", input_schema=Count)
        .then(s["inc"])
        .wait_for_event("go", inc2)
        .commit()
    )
    return Treadle(
        {"greet": greet, "approval": approval, "gated": gated, "nested": nested, "events": events},
        storage=SQLiteStore(db),
    )


def parse_rs(body: str) -> list[dict[str, Any]]:
    """Mastra's framing, as @mastra/client-js reads it: split on RS, skip empty records."""
    return [json.loads(record) for record in body.split("\x1e") if record]


def parse_sse(body: str) -> list[tuple[int | None, str, dict[str, Any]]]:
    """(id, event, data) per SSE frame; comments (keep-alives) skipped."""
    out: list[tuple[int | None, str, dict[str, Any]]] = []
    for frame in body.split("\n\n"):
        fields: dict[str, str] = {}
        for line in frame.split("\n"):
            if not line or line.startswith(":"):
                continue
            key, _, value = line.partition(": ")
            fields[key] = value
        if "data" in fields:
            seq = int(fields["id"]) if "id" in fields else None
            out.append((seq, fields.get("event", "message"), json.loads(fields["data"])))
    return out


async def wait_for_status(
    client: httpx.AsyncClient, workflow: str, run_id: str, status: str
) -> dict[str, Any]:
    """Poll the run until it has `status` (the run goes on in the server, after the response)."""
    deadline = asyncio.get_running_loop().time() + DEADLINE_S
    while True:
        state = (await client.get(f"/api/workflows/{workflow}/runs/{run_id}")).json()
        if state.get("status") == status:
            return state
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"run {run_id} stayed {state.get('status')}, not {status}")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def asgi_client(api: FastAPI, **headers: str) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of `api`, with its lifespan (the Treadle app's start/stop) around."""
    async with (
        api.router.lifespan_context(api),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api), base_url="http://test", headers=headers
        ) as client,
    ):
        yield client
