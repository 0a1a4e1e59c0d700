"""Order approval: parallel checks, a branch on their result, and a human review when risky.

What it shows:
- `parallel([...])`: the stock and fraud checks run together on the order;
- `branch([...])`: a low-risk order is approved automatically, a risky one (over 1,000) goes
  to `human-review`, which suspends until `run.resume(step="human-review",
  resume_data={"approved": True, "reviewer": "ada"})`;
- `map(fn)`: the branch's `{step_id: output}` is reduced to the one decision that was made.

This is the project's first demo workflow; `approval` is the fuller version of the idea.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, JsonValue

from treadle import ConditionContext, StepContext, create_step, create_workflow

SAMPLE_INPUT: dict[str, JsonValue] = {"order_id": "B-7", "amount": 4200, "country": "DE"}
RISK_LIMIT = 1000  # orders above this amount need a person


class Order(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SAMPLE_INPUT]})

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
    risky = ctx.input_data.amount > RISK_LIMIT
    return Checked(ok=not risky, detail="manual review needed" if risky else "low risk")


async def auto_approve(ctx: StepContext[dict[str, Any]]) -> Decision:
    return Decision(approved=True, by="auto")


async def human_review(ctx: StepContext[dict[str, Any]]) -> Decision:
    if ctx.resume_data is None:  # first visit: ask, and stop here until resumed
        order = ctx.get_init_data()
        await ctx.suspend({"question": f"Approve order {order['order_id']} of {order['amount']}?"})
    return Decision(approved=bool(ctx.resume_data["approved"]), by=ctx.resume_data["reviewer"])


stock = create_step(
    id="check-stock",
    description="Reserve the ordered items.",
    input_schema=Order,
    output_schema=Checked,
    execute=check_stock,
)
fraud = create_step(
    id="check-fraud",
    description=f"Flag orders above {RISK_LIMIT} for a manual review.",
    input_schema=Order,
    output_schema=Checked,
    execute=check_fraud,
)
auto = create_step(
    id="auto-approve",
    description="Approve a low-risk order without asking anyone.",
    input_schema=dict[str, Any],
    output_schema=Decision,
    execute=auto_approve,
)
review = create_step(
    id="human-review",
    description="Wait for a reviewer to approve or refuse a risky order.",
    input_schema=dict[str, Any],
    output_schema=Decision,
    resume_schema=Approval,
    execute=human_review,
)


def low_risk(ctx: ConditionContext) -> bool:
    return bool(ctx.input_data["check-fraud"]["ok"])


def risky(ctx: ConditionContext) -> bool:
    return not ctx.input_data["check-fraud"]["ok"]


def only_decision(ctx: StepContext[dict[str, Any]]) -> Any:
    """The branch ran exactly one arm: keep its decision."""
    return next(iter(ctx.input_data.values()))


order_approval = (
    create_workflow(
        id="order-approval",
        description=(
            "Order approval: check stock and fraud in parallel, approve low-risk orders "
            "automatically, and ask a human (suspend and resume) for risky ones."
        ),
        input_schema=Order,
        output_schema=Decision,
    )
    .parallel([stock, fraud])
    .branch([(low_risk, auto), (risky, review)])
    .map(only_decision)
    .commit()
)
