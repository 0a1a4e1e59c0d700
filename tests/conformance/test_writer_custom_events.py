"""Conformance twin of oracle case writer-custom-events: writer.write() / writer.custom() from a
step, as seen in run.stream() events and by run.watch() (which sees neither)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from treadle import create_step, create_workflow

try:
    from ._twin import canon, dump, elide_payloads, golden
except ImportError:
    from _twin import canon, dump, elide_payloads, golden  # type: ignore[no-redef]


class Empty(BaseModel):
    pass


class Ok(BaseModel):
    ok: bool


def build() -> Any:
    async def talker_exec(ctx: Any) -> Any:
        await ctx.writer.write({"kind": "progress", "pct": 50})
        await ctx.writer.custom({"type": "data-my-event", "data": {"hello": "world"}})
        await ctx.writer.write("plain string chunk")
        return {"ok": True}

    talker = create_step(id="talker", input_schema=Empty, output_schema=Ok, execute=talker_exec)
    return create_workflow(id="writer", input_schema=Empty).then(talker).commit()


async def test_writer_custom_events() -> None:
    wf = build()
    out = (await wf.create_run()).stream(input_data={})
    stream_events = [e async for e in out.full_stream]

    written: list[Any] = []

    async def writer(chunk: Any) -> None:
        written.append(chunk)

    result = await (await wf.create_run()).start(input_data={}, output_writer=writer)

    watched: list[Any] = []
    run3 = await wf.create_run()
    run3.watch(watched.append)
    await run3.start(input_data={})

    assert dump(result)["steps"]["talker"]["payload"] == {}  # deviation 4
    obs = {
        "streamEvents": dump(stream_events),
        "streamEventTypes": [e.type for e in stream_events],
        "outputWriterChunks": written,
        "result": elide_payloads(dump(result)),
        "watchEventTypes": [e["type"] for e in watched],
        "watchEvents": watched,
    }
    expected = golden("writer-custom-events")
    assert canon(obs) == expected
