"""Demo: an order approval that fans out (parallel), branches, and waits for a human (suspend).

Run: python -m examples.demo
"""

from __future__ import annotations

import asyncio
import json

from pydantic import BaseModel

from treadle import StepContext, Treadle, create_step, create_workflow
from treadle.storage import InMemoryStore


class Order(BaseModel):
    order_id: str
    amount: float
    country: str


class Checked(BaseModel):
    ok: bool
    detail: str


class Decision(BaseModel):
    approved: bool
    by: str


class Approval(BaseModel):
    approved: bool
    reviewer: str


async def check_stock(ctx: StepContext[Order]) -> Checked:
    return Checked(ok=True, detail=f"stock reserved for {ctx.input_data.order_id}")


async def check_fraud(ctx: StepContext[Order]) -> Checked:
    risky = ctx.input_data.amount > 1000
    return Checked(ok=not risky, detail="manual review needed" if risky else "low risk")


async def auto_approve(ctx: StepContext[dict[str, object]]) -> Decision:
    return Decision(approved=True, by="auto")


async def human_review(ctx: StepContext[dict[str, object]]) -> Decision:
    if ctx.resume_data is None:
        order = ctx.get_init_data()
        await ctx.suspend({"question": f"Approve order {order['order_id']} of {order['amount']}?"})
    return Decision(approved=bool(ctx.resume_data["approved"]), by=ctx.resume_data["reviewer"])


stock = create_step(
    id="check-stock", input_schema=Order, output_schema=Checked, execute=check_stock
)
fraud = create_step(
    id="check-fraud", input_schema=Order, output_schema=Checked, execute=check_fraud
)
auto = create_step(
    id="auto-approve", input_schema=dict[str, object], output_schema=Decision, execute=auto_approve
)
review = create_step(
    id="human-review",
    input_schema=dict[str, object],
    output_schema=Decision,
    resume_schema=Approval,
    execute=human_review,
)

order_approval = (
    create_workflow(id="order-approval", input_schema=Order, output_schema=Decision)
    .parallel([stock, fraud])
    .branch(
        [
            (lambda ctx: ctx.input_data["check-fraud"]["ok"], auto),
            (lambda ctx: not ctx.input_data["check-fraud"]["ok"], review),
        ]
    )
    .map(lambda ctx: next(iter(ctx.input_data.values())))
    .commit()
)


def show(title: str, result: object) -> None:
    data = result.model_dump(mode="json", by_alias=True, exclude_none=True)  # type: ignore[attr-defined]
    print(f"\n== {title}: {data['status']}")
    print(
        json.dumps(
            {k: data[k] for k in ("result", "suspended", "suspendPayload") if k in data}, indent=2
        )
    )


async def main() -> None:
    app = Treadle(workflows={"orderApproval": order_approval}, storage=InMemoryStore())
    wf = app.get_workflow("orderApproval")

    small = await (await wf.create_run()).start(
        input_data={"order_id": "A-1", "amount": 40, "country": "NL"}
    )
    show("small order", small)

    run = await wf.create_run()
    big = await run.start(input_data={"order_id": "B-7", "amount": 4200, "country": "DE"})
    show("large order (waits for a human)", big)

    done = await run.resume(step="human-review", resume_data={"approved": True, "reviewer": "ada"})
    show("after the reviewer answered", done)


if __name__ == "__main__":
    asyncio.run(main())
