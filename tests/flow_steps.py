"""Small steps and helpers shared by the streaming, logging and tracing tests."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from treadle import StepContext, WorkflowEvent, WorkflowStream, create_step


class N(BaseModel):
    n: int


async def _inc(ctx: StepContext[N]) -> N:
    return N(n=ctx.input_data.n + 1)


def inc(sid: str) -> Any:
    """A step `sid` that adds one to `n`."""
    return create_step(id=sid, input_schema=N, output_schema=N, execute=_inc)


async def _gate(ctx: StepContext[N]) -> dict[str, int]:
    if ctx.resume_data is None:
        await ctx.suspend({"n": ctx.input_data.n})
    return {"n": ctx.input_data.n + ctx.resume_data["add"]}


def gate(sid: str = "gate") -> Any:
    """A step that suspends with `{"n": n}` and, resumed with `{"add": k}`, gives `n + k`."""
    return create_step(id=sid, input_schema=N, output_schema=N, execute=_gate)


async def collect(stream: WorkflowStream) -> list[WorkflowEvent]:
    return [event async for event in stream]
