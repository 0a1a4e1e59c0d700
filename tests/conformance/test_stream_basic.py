"""Conformance twin of oracle case stream-basic: run.stream() -- the stream object's surface, the
event sequence, result / status / usage, iterating the stream itself, a failing run streamed."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from treadle import create_step, create_workflow

try:
    from ._twin import canon, dump, elide_payloads, golden
except ImportError:
    from _twin import canon, dump, elide_payloads, golden  # type: ignore[no-redef]


class X(BaseModel):
    x: int


class Y(BaseModel):
    y: int


class Empty(BaseModel):
    pass


def build() -> Any:
    a = create_step(
        id="a", input_schema=X, output_schema=X, execute=lambda ctx: {"x": ctx.input_data.x + 1}
    )
    b = create_step(
        id="b", input_schema=X, output_schema=Y, execute=lambda ctx: {"y": ctx.input_data.x * 2}
    )
    return create_workflow(id="stream", input_schema=X, output_schema=Y).then(a).then(b).commit()


def _surface(obj: Any, js_names: list[str]) -> list[str]:
    """The oracle's JS member names that `obj` has in Python spelling."""
    return [n for n in js_names if hasattr(obj, re.sub(r"(?<!^)(?=[A-Z])", "_", n).lower())]


async def test_stream_basic() -> None:
    gold = golden("stream-basic")
    wf = build()
    run = await wf.create_run()
    out = run.stream(input_data={"x": 1})
    status_before = out.status
    is_thenable = hasattr(out, "__await__")
    events = [e async for e in out.full_stream]
    result = await out.result
    usage = out.usage

    run2 = await wf.create_run()
    out2 = run2.stream(input_data={"x": 5})
    events_iter_direct = [e async for e in out2]

    async def bad_exec(ctx: Any) -> Any:
        raise Exception("stream boom")  # the twin of JS `new Error(...)`

    bad = create_step(id="bad", input_schema=Empty, output_schema=Empty, execute=bad_exec)
    wf_bad = create_workflow(id="stream-bad", input_schema=Empty).then(bad).commit()
    out3 = (await wf_bad.create_run()).stream(input_data={})
    events_failed = [e async for e in out3.full_stream]
    result_failed = await out3.result

    # deviation 4: payload always present
    assert dump(result)["steps"]["a"]["payload"] == {"x": 1}
    assert dump(result)["steps"]["b"]["payload"] == {"x": 2}
    assert dump(result_failed)["steps"]["bad"]["payload"] == {}
    obs = {
        "outputSurface": _surface(out, gold["outputSurface"]),
        "outputIsThenable": is_thenable,
        "statusBeforeConsuming": status_before,
        "statusAfter": out.status,
        "eventTypes": [e.type for e in events],
        "events": dump(events),
        "result": elide_payloads(dump(result)),
        "usage": usage,
        "eventTypesIteratingOutputDirectly": [e.type for e in events_iter_direct],
        "eventsFailed": dump(events_failed),
        "resultFailed": elide_payloads(dump(result_failed)),
        "statusFailed": out3.status,
    }
    expected = gold
    # language: JS-only API surface -- WorkflowRunOutput is a web ReadableStream (getReader, tee,
    # pipeTo, locked...) with a few run helpers; a WorkflowStream is an async iterator with these
    expected["outputSurface"] = ["fullStream", "result", "runId", "status", "usage", "workflowId"]
    # language: Python exception class names (`raise Exception(...)` for JS `new Error(...)`)
    expected["resultFailed"]["error"]["name"] = "Exception"
    expected["resultFailed"]["steps"]["bad"]["error"]["name"] = "Exception"
    expected["eventsFailed"][2]["payload"]["error"]["name"] = "Exception"
    assert canon(obs) == expected
