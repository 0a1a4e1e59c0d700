"""The app the CLI tests drive: small workflows that succeed, fail, suspend, nest and hang."""

from __future__ import annotations

import asyncio
import os

from pydantic import BaseModel

from treadle import StepContext, Treadle, create_step, create_workflow
from treadle.storage import SQLiteStore

DB_ENV = "TREADLE_CLI_TEST_DB"


class Greeting(BaseModel):
    name: str
    times: int = 1


class Tone(BaseModel):
    word: str = "hello"


class Order(BaseModel):
    order_id: str
    amount: float


class Decision(BaseModel):
    approved: bool
    reviewer: str


async def shout(ctx: StepContext[Greeting]) -> dict[str, str]:
    word = ctx.state.word
    return {"message": " ".join([f"{word} {ctx.input_data.name}"] * ctx.input_data.times)}


async def explode(ctx: StepContext[object]) -> None:
    raise RuntimeError("the oven is on fire")


async def review(ctx: StepContext[Order]) -> dict[str, object]:
    if ctx.resume_data is None:
        await ctx.suspend({"question": f"approve order {ctx.input_data.order_id}?"})
    return {"approved": ctx.resume_data["approved"], "by": ctx.resume_data["reviewer"]}


async def hang(ctx: StepContext[object]) -> None:
    await asyncio.Event().wait()  # until the run is canceled


async def double(ctx: StepContext[int]) -> int:
    await ctx.writer.write({"doubling": ctx.input_data})
    await ctx.writer.custom({"type": "data-tick", "data": {"item": ctx.input_data}})
    return ctx.input_data * 2


def closed_today(info: object) -> None:
    raise PermissionError("the shop is closed today")


def make_app() -> Treadle:
    """A fresh app on the SQLite file named by TREADLE_CLI_TEST_DB (each call: new workflows,
    so tests in one process never share run handles)."""
    greet = create_workflow(id="greet", input_schema=Greeting, state_schema=Tone).then(
        create_step(id="shout", input_schema=Greeting, execute=shout)
    )
    broken = create_workflow(id="explode").then(create_step(id="boom", execute=explode))
    review_step = create_step(
        id="review", input_schema=Order, execute=review, resume_schema=Decision
    )
    approve = create_workflow(id="approve", input_schema=Order).then(review_step)
    inner = create_workflow(id="checks", input_schema=Order).then(review_step).commit()
    nested = (
        create_workflow(id="nested-approve", input_schema=Order)
        .then(create_step(id="prepare", input_schema=Order, execute=lambda ctx: ctx.input_data))
        .then(inner)
    )
    stuck = create_workflow(id="hang").then(create_step(id="wait-forever", execute=hang))
    guarded = create_workflow(id="guarded", on_start=closed_today).then(
        create_step(id="never", execute=explode)
    )
    batch = (
        create_workflow(id="batch", input_schema=list[int])
        .for_each(create_step(id="double", input_schema=int, execute=double))
        .sleep(1, id="pause")
        .then(create_step(id="total", execute=lambda ctx: sum(ctx.input_data)))
    )
    workflows = [greet, broken, approve, nested, stuck, guarded, batch]
    return Treadle({wf.id: wf.commit() for wf in workflows}, SQLiteStore(os.environ[DB_ENV]))
