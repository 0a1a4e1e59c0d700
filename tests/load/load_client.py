"""A load client: start and stream one run over HTTP and check its events arrive complete and once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

RS = "\x1e"


@dataclass
class StreamedRun:
    run_id: str
    events: list[dict[str, Any]] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)  # SSE event ids (seq), when streamed as SSE


async def start_and_stream(http: httpx.AsyncClient, n: int, sse: bool) -> StreamedRun:
    created = await http.post("/api/workflows/count/create-run")
    created.raise_for_status()
    run = StreamedRun(created.json()["runId"])
    headers = {"accept": "text/event-stream"} if sse else {}
    async with http.stream(
        "POST",
        "/api/workflows/count/stream",
        params={"runId": run.run_id},
        json={"inputData": {"n": n}},
        headers=headers,
    ) as response:
        response.raise_for_status()
        body = ""
        async for text in response.aiter_text():
            body += text
    if sse:
        for block in body.split("\n\n"):
            lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            if "data" in lines:
                run.events.append(json.loads(lines["data"]))
                run.ids.append(int(lines["id"]))
    else:
        run.events = [json.loads(part) for part in body.split(RS) if part.strip()]
    return run


def expected_types(steps: int) -> list[str]:
    middle = ["workflow-step-start", "workflow-step-result"] * steps
    return ["workflow-start", *middle, "workflow-finish"]
