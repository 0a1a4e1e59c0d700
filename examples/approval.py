"""Expense and refund approval: typed input, a policy check, a human reviewer, a final decision.

What it shows:
- a rich input schema (a nested object, a list of objects, an optional field, enums) that the
  Studio turns into a form;
- a `branch` between an automatic decision and a human review;
- a step that suspends with a typed payload (`suspend_schema`) and is resumed with typed data
  (`resume_schema`: approved, reviewer, an optional comment and a reason code);
- a rejection path that ends the run normally, with `status: "rejected"` in its result.

Try it: a claim whose total is at most 100 is approved by policy, one above 10,000 is rejected
by policy; anything in between, every refund, and equipment without a note wait for
`run.resume(step="human-review", resume_data={"approved": True, "reviewer": "ada",
"reason": "business-need"})`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from treadle import ConditionContext, StepContext, create_workflow, step

# A claim that needs a reviewer; also the example the Studio form starts from.
SAMPLE_INPUT: dict[str, JsonValue] = {
    "claim_id": "EXP-1042",
    "kind": "expense",
    "requester": {
        "id": "E-1001",
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "department": "engineering",
    },
    "currency": "EUR",
    "items": [
        {"description": "Train to Amsterdam", "amount": 184.5, "category": "travel"},
        {"description": "Team dinner", "amount": 96.0, "category": "meals"},
    ],
    "note": "Customer workshop",
}

AUTO_APPROVE_LIMIT = 100.0  # a claim at or under this total needs nobody
HARD_LIMIT = 10_000.0  # a claim over this total is refused without a review


class Department(StrEnum):
    ENGINEERING = "engineering"
    SALES = "sales"
    OPERATIONS = "operations"
    SUPPORT = "support"


class ClaimKind(StrEnum):
    EXPENSE = "expense"
    REFUND = "refund"


class Category(StrEnum):
    TRAVEL = "travel"
    MEALS = "meals"
    EQUIPMENT = "equipment"
    SOFTWARE = "software"
    CUSTOMER_REFUND = "customer-refund"


class ReviewReason(StrEnum):
    WITHIN_POLICY = "within-policy"
    BUSINESS_NEED = "business-need"
    MISSING_RECEIPT = "missing-receipt"
    OUT_OF_POLICY = "out-of-policy"
    DUPLICATE = "duplicate"


class Employee(BaseModel):
    id: str = Field(min_length=1, description="Employee number, e.g. E-1001")
    name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", description="Where the decision is sent")
    department: Department


class LineItem(BaseModel):
    description: str = Field(min_length=1)
    amount: float = Field(gt=0, description="Amount in the claim's currency")
    category: Category


class Claim(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SAMPLE_INPUT]})

    claim_id: str = Field(min_length=1, description="e.g. EXP-1042")
    kind: ClaimKind = ClaimKind.EXPENSE
    requester: Employee
    currency: Literal["EUR", "USD", "GBP"] = "EUR"
    items: list[LineItem] = Field(min_length=1, description="At least one line")
    note: str | None = Field(default=None, description="Context for the reviewer (optional)")


class ValidatedClaim(BaseModel):
    claim_id: str
    kind: ClaimKind
    requester: Employee
    currency: str
    total: float
    categories: list[Category]
    note: str | None = None


class PolicyCheck(BaseModel):
    claim: ValidatedClaim
    verdict: Literal["approve", "review", "reject"]
    reasons: list[str]


class ReviewRequest(BaseModel):
    """What the reviewer is shown while the run waits (the suspend payload)."""

    claim_id: str
    requester: str
    department: Department
    total: float
    currency: str
    reasons: list[str]
    question: str


class ReviewDecision(BaseModel):
    """What the reviewer answers (the resume data)."""

    approved: bool
    reviewer: str = Field(min_length=1, description="Who decided")
    comment: str | None = Field(default=None, description="Shown to the requester (optional)")
    reason: ReviewReason = ReviewReason.WITHIN_POLICY


class Decision(BaseModel):
    approved: bool
    decided_by: str
    reason: str
    comment: str | None = None


class DecisionArms(BaseModel):
    """The branch's output: exactly one of its arms ran."""

    automatic: Decision | None = Field(default=None, alias="auto-decision")
    human: Decision | None = Field(default=None, alias="human-review")


class ClaimOutcome(BaseModel):
    claim_id: str
    status: Literal["approved", "rejected"]
    decided_by: str
    reason: str
    amount_paid: float
    currency: str
    message: str


@step(id="validate-claim", input_schema=Claim, output_schema=ValidatedClaim)
async def validate_claim(ctx: StepContext[Claim]) -> ValidatedClaim:
    """Check the claim is consistent and total its lines."""
    claim = ctx.input_data
    if claim.kind is ClaimKind.REFUND and any(
        item.category is not Category.CUSTOMER_REFUND for item in claim.items
    ):
        raise ValueError("a refund claim may only hold 'customer-refund' lines")
    return ValidatedClaim(
        claim_id=claim.claim_id,
        kind=claim.kind,
        requester=claim.requester,
        currency=claim.currency,
        total=round(sum(item.amount for item in claim.items), 2),
        categories=sorted({item.category for item in claim.items}),
        note=claim.note,
    )


@step(id="check-policy", input_schema=ValidatedClaim, output_schema=PolicyCheck)
async def check_policy(ctx: StepContext[ValidatedClaim]) -> PolicyCheck:
    """Apply the spending policy: approve, send to a reviewer, or reject."""
    claim = ctx.input_data
    money = f"{claim.total:.2f} {claim.currency}"
    if claim.total > HARD_LIMIT:
        reason = f"total {money} is over the {HARD_LIMIT:.2f} hard limit"
        return PolicyCheck(claim=claim, verdict="reject", reasons=[reason])
    reasons: list[str] = []
    if claim.total > AUTO_APPROVE_LIMIT:
        reasons.append(f"total {money} is over the {AUTO_APPROVE_LIMIT:.2f} auto-approval limit")
    if claim.kind is ClaimKind.REFUND:
        reasons.append("refunds are always reviewed")
    if Category.EQUIPMENT in claim.categories and not claim.note:
        reasons.append("equipment needs a note saying what it is for")
    return PolicyCheck(claim=claim, verdict="review" if reasons else "approve", reasons=reasons)


@step(id="auto-decision", input_schema=PolicyCheck, output_schema=Decision)
async def auto_decision(ctx: StepContext[PolicyCheck]) -> Decision:
    """Decide by policy alone (clearly fine, or clearly over the limit)."""
    check = ctx.input_data
    approved = check.verdict == "approve"
    return Decision(
        approved=approved,
        decided_by="policy",
        reason=(ReviewReason.WITHIN_POLICY if approved else ReviewReason.OUT_OF_POLICY).value,
        comment="; ".join(check.reasons) or None,
    )


def decided_by_policy(ctx: ConditionContext) -> bool:
    return ctx.input_data["verdict"] != "review"


def needs_a_reviewer(ctx: ConditionContext) -> bool:
    return ctx.input_data["verdict"] == "review"


@step(
    id="human-review",
    input_schema=PolicyCheck,
    output_schema=Decision,
    suspend_schema=ReviewRequest,
    resume_schema=ReviewDecision,
)
async def human_review(ctx: StepContext[PolicyCheck]) -> Decision:
    """Wait for a reviewer to approve or reject the claim."""
    check = ctx.input_data
    if ctx.resume_data is None:  # first visit: ask, and stop here until resumed
        claim = check.claim
        await ctx.suspend(
            ReviewRequest(
                claim_id=claim.claim_id,
                requester=claim.requester.name,
                department=claim.requester.department,
                total=claim.total,
                currency=claim.currency,
                reasons=check.reasons,
                question=f"Approve {claim.kind.value} {claim.claim_id} "
                f"of {claim.total:.2f} {claim.currency}?",
            )
        )
    answer = ReviewDecision.model_validate(ctx.resume_data)
    return Decision(
        approved=answer.approved,
        decided_by=answer.reviewer,
        reason=answer.reason.value,
        comment=answer.comment,
    )


@step(id="finalize", input_schema=DecisionArms, output_schema=ClaimOutcome)
async def finalize(ctx: StepContext[DecisionArms]) -> ClaimOutcome:
    """Record the outcome and tell the requester."""
    decision = ctx.input_data.human or ctx.input_data.automatic
    if decision is None:
        raise ValueError("no decision was made: neither branch arm ran")
    claim = ValidatedClaim.model_validate(ctx.get_step_result(validate_claim))
    verb = "approved" if decision.approved else "rejected"
    message = f"Claim {claim.claim_id} {verb} by {decision.decided_by}"
    if decision.approved:
        message += f": {claim.total:.2f} {claim.currency} is paid with the next payroll."
    else:
        message += f" ({decision.reason})" + (f": {decision.comment}" if decision.comment else ".")
    return ClaimOutcome(
        claim_id=claim.claim_id,
        status=verb,
        decided_by=decision.decided_by,
        reason=decision.reason,
        amount_paid=claim.total if decision.approved else 0.0,
        currency=claim.currency,
        message=message,
    )


approval = (
    create_workflow(
        id="approval",
        description=(
            "Expense and refund approval: validate a claim, apply the spending policy, ask a "
            "human reviewer when needed (suspend and resume), then approve or reject."
        ),
        input_schema=Claim,
        output_schema=ClaimOutcome,
    )
    .then(validate_claim)
    .then(check_policy)
    .branch([(decided_by_policy, auto_decision), (needs_a_reviewer, human_review)])
    # branch() is typed as giving dict[str, Any]; finalize validates it into DecisionArms.
    .then(finalize)  # pyright: ignore[reportArgumentType]
    .commit()
)
