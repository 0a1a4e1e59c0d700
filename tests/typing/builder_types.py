"""Checked by pyright (not run): the builder carries the previous output type.

Lines marked `# pyright: ignore[...]` MUST fail to type-check: `reportUnnecessaryTypeIgnoreComment`
turns an ignore that is no longer needed into an error, so this file fails if they ever pass.
"""

from __future__ import annotations

from pydantic import BaseModel

from treadle import Step, StepContext, Workflow, create_step, create_workflow


class A(BaseModel):
    a: int


class B(BaseModel):
    b: str


class C(BaseModel):
    c: float


async def a_to_b(ctx: StepContext[A]) -> B:
    return B(b=str(ctx.input_data.a))


async def b_to_c(ctx: StepContext[B]) -> C:
    return C(c=float(len(ctx.input_data.b)))


ab: Step[A, B] = create_step(id="ab", input_schema=A, output_schema=B, execute=a_to_b)
bc: Step[B, C] = create_step(id="bc", input_schema=B, output_schema=C, execute=b_to_c)

# Must type-check: A -> B -> C.
good: Workflow[A, C, C] = (
    create_workflow(id="good", input_schema=A, output_schema=C).then(ab).then(bc)
)

# A nested committed workflow is a Step[A, C].
nested: Step[A, C] = good

# Must fail: bc takes B, but the workflow input is A.
bad_first = create_workflow(id="bad", input_schema=A, output_schema=C).then(bc)  # pyright: ignore[reportArgumentType]

# Must fail: after ab the previous output is B, and ab takes A.
bad_chain = create_workflow(id="bad2", input_schema=A, output_schema=C).then(ab).then(ab)  # pyright: ignore[reportArgumentType]
