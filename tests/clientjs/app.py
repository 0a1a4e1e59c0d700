"""The workflows the @mastra/client-js compatibility run drives: plain, suspending, and cancelable."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import BaseModel

from treadle import StepContext, Treadle, create_step, create_workflow
from treadle.storage import SQLiteStore


class Name(BaseModel):
    name: str


class Greeting(BaseModel):
    text: str


class Shout(BaseModel):
    text: str
    length: int


class Answer(BaseModel):
    approved: bool
    reviewer: str


class Outcome(BaseModel):
    text: str
    approved: bool


async def greet(ctx: StepContext[Name]) -> Greeting:
    return Greeting(text=f"hello {ctx.input_data.name}")


async def shout(ctx: StepContext[Greeting]) -> Shout:
    return Shout(text=ctx.input_data.text.upper(), length=len(ctx.input_data.text))


async def review(ctx: StepContext[Greeting]) -> Outcome:
    if ctx.resume_data is None:
        await ctx.suspend({"question": f"approve '{ctx.input_data.text}'?"})
    answer = Answer.model_validate(ctx.resume_data)
    return Outcome(text=f"{ctx.input_data.text} ({answer.reviewer})", approved=answer.approved)


async def wait_forever(ctx: StepContext[Greeting]) -> Greeting:
    await asyncio.Event().wait()  # only a cancel ends this step
    return ctx.input_data


greet_step = create_step(id="greet", input_schema=Name, output_schema=Greeting, execute=greet)
shout_step = create_step(id="shout", input_schema=Greeting, output_schema=Shout, execute=shout)
review_step = create_step(
    id="review",
    input_schema=Greeting,
    output_schema=Outcome,
    resume_schema=Answer,
    execute=review,
)
hang_step = create_step(
    id="hang", input_schema=Greeting, output_schema=Greeting, execute=wait_forever
)

greeting = (
    create_workflow(id="greeting", description="Greets, then shouts.", input_schema=Name,
                    output_schema=Shout)
    .then(greet_step)
    .then(shout_step)
    .commit()
)  # fmt: skip
approval = (
    create_workflow(id="approval", description="Greets, then waits for a reviewer.",
                    input_schema=Name, output_schema=Outcome)
    .then(greet_step)
    .then(review_step)
    .commit()
)  # fmt: skip
endless = (
    create_workflow(id="endless", description="Runs until canceled.", input_schema=Name,
                    output_schema=Greeting)
    .then(greet_step)
    .then(hang_step)
    .commit()
)  # fmt: skip


def make_app(db: Path) -> Treadle:
    return Treadle(
        workflows={"greeting": greeting, "approval": approval, "endless": endless},
        storage=SQLiteStore(str(db)),
    )
