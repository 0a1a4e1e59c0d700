"""Streams over a real uvicorn server: Mastra's RS framing, SSE with ids and Last-Event-ID
resume, NDJSON, observe re-attach mid-run, suspend -> resume-stream, cancel, disconnects (the
run goes on), keep-alives, 409s."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.flows import Gate, make_app, parse_rs, parse_sse, wait_for_status
from server.live_server import LiveServer
from treadle import Treadle
from treadle.storage import SQLiteStore

SSE = {"Accept": "text/event-stream"}
Frame = tuple[int | None, str, dict[str, Any]]


@pytest.fixture
def live(treadle_app: Treadle) -> Iterator[LiveServer]:
    with LiveServer(treadle_app) as server:
        yield server


@pytest.fixture
async def http(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.base_url, timeout=20) as client:
        yield client


async def create(http: httpx.AsyncClient, workflow: str) -> str:
    return (await http.post(f"/api/workflows/{workflow}/create-run", json={})).json()["runId"]


def kinds(chunks: list[dict[str, Any]]) -> list[str]:
    return [c["type"] for c in chunks]


class SseReader:
    """Reads SSE frames as they arrive (keep-alive comments skipped, unless asked for)."""

    def __init__(self, response: httpx.Response) -> None:
        self._text = response.aiter_text()
        self._buffer = ""
        self.comments = 0

    async def next(self, stop_at_comment: bool = False) -> Frame | None:
        """The next event; with `stop_at_comment`, a keep-alive comes back as (None, ":", {})."""
        while True:
            while "\n\n" not in self._buffer:
                try:
                    self._buffer += await anext(self._text)
                except StopAsyncIteration:
                    return None
            frame, self._buffer = self._buffer.split("\n\n", 1)
            parsed = parse_sse(frame + "\n\n")
            if parsed:
                return parsed[0]
            self.comments += 1
            if stop_at_comment:
                return (None, ":", {})

    async def until(self, kind: str, step: str | None = None) -> list[Frame]:
        seen: list[Frame] = []
        while (frame := await self.next()) is not None:
            seen.append(frame)
            if frame[1] == kind and (step is None or frame[2]["payload"].get("id") == step):
                return seen
        raise AssertionError(f"stream ended before {kind} {step or ''}: {[f[1] for f in seen]}")

    async def rest(self) -> list[Frame]:
        seen: list[Frame] = []
        while (frame := await self.next()) is not None:
            seen.append(frame)
        return seen


@asynccontextmanager
async def sse(http: httpx.AsyncClient, path: str, **kw: Any) -> AsyncIterator[SseReader]:
    headers = {**SSE, **kw.pop("headers", {})}
    async with http.stream("POST", path, headers=headers, **kw) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield SseReader(response)


async def test_stream_uses_mastras_record_separator_framing(http: httpx.AsyncClient) -> None:
    run_id = await create(http, "greet")
    response = await http.post(
        "/api/workflows/greet/stream", params={"runId": run_id},
        json={"inputData": {"name": "al"}},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["x-accel-buffering"] == "no"
    assert response.text.endswith("\x1e")
    chunks = parse_rs(response.text)
    assert kinds(chunks) == [
        "workflow-start",
        "workflow-step-start",
        "workflow-step-result",
        "workflow-step-start",
        "workflow-step-output",
        "workflow-step-result",
        "workflow-finish",
    ]
    assert chunks[0] == {
        "type": "workflow-start", "runId": run_id, "from": "WORKFLOW",
        "payload": {"workflowId": "greet"},
    }  # fmt: skip
    assert chunks[4]["from"] == "USER" and chunks[4]["payload"]["output"] == {"shouting": True}
    finish = chunks[-1]["payload"]
    assert finish["workflowStatus"] == "success"
    assert finish["finalWorkflowResult"] == {"out": "HI AL"}


async def test_stream_alias_and_ndjson(http: httpx.AsyncClient) -> None:
    run_id = await create(http, "greet")
    response = await http.post(
        "/api/workflows/greet/streamVNext", params={"runId": run_id},
        headers={"Accept": "application/x-ndjson"}, json={"inputData": {"name": "nd"}},
    )  # fmt: skip
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines() if line]
    assert kinds(lines)[0] == "workflow-start" and kinds(lines)[-1] == "workflow-finish"


async def test_stream_refuses_a_started_run_and_bad_input(http: httpx.AsyncClient) -> None:
    run_id = await create(http, "greet")
    bad = await http.post(
        "/api/workflows/greet/stream", params={"runId": run_id}, json={"inputData": {}}
    )
    assert bad.status_code == 400
    assert bad.json()["issues"][0]["path"] == ["inputData", "name"]
    ok = await http.post(
        "/api/workflows/greet/stream", params={"runId": run_id},
        json={"inputData": {"name": "x"}},
    )  # fmt: skip
    assert ok.status_code == 200
    again = await http.post(
        "/api/workflows/greet/stream", params={"runId": run_id},
        json={"inputData": {"name": "x"}},
    )  # fmt: skip
    assert again.status_code == 409
    assert f"/api/workflows/greet/observe?runId={run_id}" in again.json()["error"]
    # A client that says where it was re-attaches instead (SSE reconnect semantics).
    everything = parse_sse(
        (await http.post("/api/workflows/greet/observe", params={"runId": run_id},
                         headers=SSE)).text
    )  # fmt: skip
    cut = everything[4][0]  # (seqs have gaps: log records are numbered in the same log)
    replay = await http.post(
        "/api/workflows/greet/stream", params={"runId": run_id},
        headers={**SSE, "Last-Event-ID": str(cut)}, json={"inputData": {"name": "x"}},
    )  # fmt: skip
    assert parse_sse(replay.text) == everything[5:]
    assert everything[-1][1] == "workflow-finish"


async def test_sse_ids_and_last_event_id_resume(http: httpx.AsyncClient, gate: Gate) -> None:
    run_id = await create(http, "gated")
    async with sse(
        http, "/api/workflows/gated/stream", params={"runId": run_id},
        json={"inputData": {"n": 1}},
    ) as reader:  # fmt: skip
        before = await reader.until("workflow-step-start", "blocked")
    # The client went away mid-run; the run waits at the gate, then goes on.
    assert [f[0] for f in before] == list(range(1, len(before) + 1))
    gate.open()
    last = before[-1][0]
    async with sse(
        http, "/api/workflows/gated/observe", params={"runId": run_id},
        headers={"Last-Event-ID": str(last)},
    ) as reader:  # fmt: skip
        after = await reader.rest()
    seen = before + after
    assert [f[0] for f in seen] == list(range(1, len(seen) + 1))  # nothing lost, nothing twice
    assert seen[-1][1] == "workflow-finish"
    assert seen[-1][2]["payload"]["finalWorkflowResult"] == {"n": 13}
    everything = await http.post("/api/workflows/gated/observe", params={"runId": run_id})
    assert [c["type"] for c in parse_rs(everything.text)] == [f[1] for f in seen]
    by_offset = await http.post(
        "/api/workflows/gated/observe", params={"runId": run_id, "offset": last}
    )
    assert kinds(parse_rs(by_offset.text)) == [f[1] for f in after]


async def test_observe_reattaches_to_a_running_run(http: httpx.AsyncClient, gate: Gate) -> None:
    run_id = await create(http, "gated")
    started = await http.post(
        "/api/workflows/gated/start", params={"runId": run_id}, json={"inputData": {"n": 5}}
    )
    assert started.json() == {"message": "Workflow run started"}
    await gate.wait_started()
    async with sse(http, "/api/workflows/gated/observe", params={"runId": run_id}) as reader:
        replayed = await reader.until("workflow-step-start", "blocked")
        assert [f[1] for f in replayed][:2] == ["workflow-start", "workflow-step-start"]
        gate.open()
        live = await reader.rest()
    assert [f[2]["payload"].get("id") for f in live if f[1] == "workflow-step-result"] == [
        "blocked",
        "inc2",
    ]
    assert live[-1][2]["payload"]["workflowStatus"] == "success"
    assert [f[0] for f in replayed + live] == list(range(1, len(replayed + live) + 1))
    missing = await http.post("/api/workflows/gated/observe", params={"runId": "ghost"})
    assert missing.status_code == 404
    pending = await create(http, "gated")
    not_started = await http.post("/api/workflows/gated/observe", params={"runId": pending})
    assert not_started.status_code == 409
    assert f"/stream?runId={pending}" in not_started.json()["error"]


async def test_suspend_then_resume_stream(http: httpx.AsyncClient) -> None:
    run_id = await create(http, "approval")
    first = await http.post(
        "/api/workflows/approval/stream", params={"runId": run_id}, headers=SSE,
        json={"inputData": {"name": "sue"}},
    )  # fmt: skip
    frames = parse_sse(first.text)
    assert frames[-2][1] == "workflow-step-suspended"
    assert frames[-2][2]["payload"]["suspendPayload"] == {"ask": "approve 'hi sue'?"}
    assert frames[-1][2]["payload"]["workflowStatus"] == "suspended"
    resumed = await http.post(
        "/api/workflows/approval/resume-stream", params={"runId": run_id}, headers=SSE,
        json={"step": "approve", "resumeData": {"ok": True}},
    )  # fmt: skip
    more = parse_sse(resumed.text)
    assert more[0][0] == frames[-1][0] + 1  # seq goes on across drives
    assert more[1][1] == "workflow-step-start"
    assert more[1][2]["payload"]["resumePayload"] == {"ok": True}
    assert more[-1][2]["payload"]["workflowStatus"] == "success"
    again = await http.post(
        "/api/workflows/approval/resume-stream", params={"runId": run_id},
        json={"resumeData": {"ok": True}},
    )  # fmt: skip
    assert again.status_code == 409


async def test_stream_that_outlives_a_suspension(http: httpx.AsyncClient) -> None:
    run_id = await create(http, "approval")
    async with sse(
        http, "/api/workflows/approval/stream", params={"runId": run_id},
        json={"inputData": {"name": "kim"}, "closeOnSuspend": False},
    ) as reader:  # fmt: skip
        await reader.until("workflow-step-suspended")
        resumed = await http.post(
            "/api/workflows/approval/resume", params={"runId": run_id},
            json={"resumeData": {"ok": False}},
        )  # fmt: skip
        assert resumed.status_code == 200
        rest = await reader.rest()
    assert rest[-1][1] == "workflow-finish"
    assert rest[-1][2]["payload"]["workflowStatus"] == "success"
    assert rest[-1][2]["payload"]["finalWorkflowResult"] == {"ok": False}


async def test_cancel_a_streaming_run(http: httpx.AsyncClient, gate: Gate) -> None:
    run_id = await create(http, "gated")
    async with sse(
        http, "/api/workflows/gated/stream", params={"runId": run_id},
        json={"inputData": {"n": 1}},
    ) as reader:  # fmt: skip
        await reader.until("workflow-step-start", "blocked")
        cancelled = await http.post(f"/api/workflows/gated/runs/{run_id}/cancel")
        assert cancelled.json() == {"message": "Workflow run cancelled"}
        rest = await reader.rest()
    assert [f[1] for f in rest][-2:] == ["workflow-canceled", "workflow-finish"]
    assert rest[-1][2]["payload"]["workflowStatus"] == "canceled"
    state = (await http.get(f"/api/workflows/gated/runs/{run_id}")).json()
    assert state["status"] == "canceled"


async def test_run_goes_on_when_the_client_disconnects(http: httpx.AsyncClient, gate: Gate) -> None:
    run_id = await create(http, "gated")
    async with sse(
        http, "/api/workflows/gated/stream", params={"runId": run_id},
        json={"inputData": {"n": 2}},
    ) as reader:  # fmt: skip
        await reader.next()
    await gate.wait_started()
    gate.open()
    state = await wait_for_status(http, "gated", run_id, "success")
    assert state["result"] == {"n": 14}


async def test_time_travel_stream(http: httpx.AsyncClient) -> None:
    done = await http.post("/api/workflows/greet/start-async", json={"inputData": {"name": "t"}})
    run_id = done.json()["runId"]
    response = await http.post(
        "/api/workflows/greet/time-travel-stream", params={"runId": run_id},
        json={"step": "shout", "inputData": {"greeting": "again"}},
    )  # fmt: skip
    chunks = parse_rs(response.text)
    assert chunks[-1]["payload"]["finalWorkflowResult"] == {"out": "AGAIN"}
    assert [c["payload"].get("id") for c in chunks if c["type"] == "workflow-step-start"] == [
        "shout"
    ]


async def test_keep_alives_while_the_run_is_quiet(treadle_app: Treadle, gate: Gate) -> None:
    with LiveServer(treadle_app, heartbeat_seconds=0.05) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=20) as http:
            run_id = await create(http, "gated")
            async with sse(
                http, "/api/workflows/gated/stream", params={"runId": run_id},
                json={"inputData": {"n": 1}},
            ) as reader:  # fmt: skip
                await reader.until("workflow-step-start", "blocked")
                quiet = await reader.next(stop_at_comment=True)
                assert quiet == (None, ":", {})  # a keep-alive while the step waits
                gate.open()
                rest = await reader.rest()
            assert rest[-1][1] == "workflow-finish"
            rs_run = await create(http, "gated")
            raw = await http.post(
                "/api/workflows/gated/stream", params={"runId": rs_run},
                json={"inputData": {"n": 1}},
            )  # fmt: skip
            assert parse_rs(raw.text)[-1]["type"] == "workflow-finish"


async def test_streams_with_a_token(treadle_app: Treadle) -> None:
    with LiveServer(treadle_app, token="t0k") as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=20) as http:
            denied = await http.post("/api/workflows/greet/stream", params={"runId": "r"})
            assert denied.status_code == 401
            response = await http.post(
                "/api/workflows/greet/stream", params={"runId": "r"},
                headers=server.headers, json={"inputData": {"name": "tok"}},
            )  # fmt: skip
            assert parse_rs(response.text)[-1]["payload"]["workflowStatus"] == "success"


async def test_shutdown_cuts_open_streams_and_leaves_the_run_restartable(
    tmp_path: Path, gate: Gate
) -> None:
    db = tmp_path / "shutdown.db"
    server = LiveServer(make_app(db, gate))
    with server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=20) as http:
            run_id = await create(http, "gated")
            async with sse(
                http, "/api/workflows/gated/stream", params={"runId": run_id},
                json={"inputData": {"n": 1}},
            ) as reader:  # fmt: skip
                await reader.until("workflow-step-start", "blocked")
                # Stop the server while the stream is open and the run mid-step.
                stopping = asyncio.create_task(asyncio.to_thread(server.__exit__))
                with pytest.raises(httpx.RemoteProtocolError):
                    await reader.rest()
                await stopping
    store = SQLiteStore(db)
    try:
        record = await store.load_run("gated", run_id)
        assert record is not None
        assert record.status == "running"  # as after a crash: a restart continues it
        assert record.snapshot["context"]["inc"]["status"] == "success"
    finally:
        await store.close()


async def test_reattaching_to_a_run_that_never_started_is_409(http: httpx.AsyncClient) -> None:
    run_id = await create(http, "greet")
    for route in ("resume-stream", "time-travel-stream", "observe"):
        response = await http.post(
            f"/api/workflows/greet/{route}", params={"runId": run_id},
            headers={"Last-Event-ID": "3"}, json={"step": "shout"},
        )  # fmt: skip
        assert response.status_code == 409, route
        assert response.json()["code"] == "WORKFLOW_RUN_NOT_STARTED"
