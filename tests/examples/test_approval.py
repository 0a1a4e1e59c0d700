"""The `approval` example: policy outcomes, suspend with a typed payload, resume to either end."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from examples.approval import SAMPLE_INPUT, Claim

from examples import make_app
from treadle import Treadle
from treadle.errors import SchemaValidationError
from treadle.storage import InMemoryStore


@pytest.fixture
def app() -> Treadle:
    return make_app(storage=InMemoryStore())


def claim(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(SAMPLE_INPUT)
    data.update(changes)
    return data


def lines(*amounts: float, category: str = "travel") -> list[dict[str, Any]]:
    return [
        {"description": f"line {i}", "amount": a, "category": category}
        for i, a in enumerate(amounts)
    ]


async def test_claim_over_the_auto_limit_suspends_for_a_reviewer(app: Treadle) -> None:
    run = await app.get_workflow("approval").create_run()
    result = await run.start(input_data=SAMPLE_INPUT)
    assert result.status == "suspended"
    assert result.suspended == [["human-review"]]
    asked = result.steps["human-review"].suspend_payload
    assert asked == {
        "claim_id": "EXP-1042",
        "requester": "Grace Hopper",
        "department": "engineering",
        "total": 280.5,
        "currency": "EUR",
        "reasons": ["total 280.50 EUR is over the 100.00 auto-approval limit"],
        "question": "Approve expense EXP-1042 of 280.50 EUR?",
    }
    assert "finalize" not in result.steps


async def test_resume_approved_pays_the_claim(app: Treadle) -> None:
    run = await app.get_workflow("approval").create_run()
    await run.start(input_data=SAMPLE_INPUT)
    answer = {"approved": True, "reviewer": "ada", "reason": "business-need"}
    result = await run.resume(step="human-review", resume_data=answer)
    assert result.status == "success"
    assert result.result == {
        "claim_id": "EXP-1042",
        "status": "approved",
        "decided_by": "ada",
        "reason": "business-need",
        "amount_paid": 280.5,
        "currency": "EUR",
        "message": "Claim EXP-1042 approved by ada: 280.50 EUR is paid with the next payroll.",
    }
    assert result.steps["human-review"].resume_payload == {**answer, "comment": None}


async def test_resume_rejected_ends_the_run_with_a_rejected_outcome(app: Treadle) -> None:
    run = await app.get_workflow("approval").create_run()
    await run.start(input_data=SAMPLE_INPUT)
    answer = {
        "approved": False,
        "reviewer": "bob",
        "reason": "missing-receipt",
        "comment": "attach the train ticket",
    }
    result = await run.resume(step="human-review", resume_data=answer)
    assert result.status == "success"
    assert result.result["status"] == "rejected"
    assert result.result["amount_paid"] == 0.0
    assert result.result["message"] == (
        "Claim EXP-1042 rejected by bob (missing-receipt): attach the train ticket"
    )


async def test_bad_resume_data_is_refused_with_the_field_named(app: Treadle) -> None:
    run = await app.get_workflow("approval").create_run()
    await run.start(input_data=SAMPLE_INPUT)
    with pytest.raises(SchemaValidationError) as caught:
        await run.resume(step="human-review", resume_data={"approved": True, "reason": "because"})
    assert set(caught.value.paths) == {"reviewer", "reason"}
    result = await run.resume(
        step="human-review", resume_data={"approved": True, "reviewer": "ada"}
    )
    assert result.result["reason"] == "within-policy"  # the enum's default


async def test_small_claim_is_approved_by_policy_without_a_reviewer(app: Treadle) -> None:
    run = await app.get_workflow("approval").create_run()
    result = await run.start(input_data=claim(items=lines(40, 12.5)))
    assert result.status == "success"
    assert result.result["status"] == "approved"
    assert result.result["decided_by"] == "policy"
    assert result.result["amount_paid"] == 52.5
    assert "human-review" not in result.steps


async def test_claim_over_the_hard_limit_is_rejected_by_policy(app: Treadle) -> None:
    run = await app.get_workflow("approval").create_run()
    result = await run.start(input_data=claim(items=lines(9_000, 1_500)))
    assert result.status == "success"
    assert result.result["status"] == "rejected"
    assert result.result["decided_by"] == "policy"
    assert result.result["reason"] == "out-of-policy"
    assert "10000.00 hard limit" in result.result["message"]


async def test_small_refund_still_goes_to_a_reviewer(app: Treadle) -> None:
    refund = claim(kind="refund", items=lines(20, category="customer-refund"))
    result = await (await app.get_workflow("approval").create_run()).start(input_data=refund)
    assert result.status == "suspended"
    reasons = result.steps["human-review"].suspend_payload["reasons"]
    assert reasons == ["refunds are always reviewed"]


async def test_refund_with_an_expense_line_fails_in_validation(app: Treadle) -> None:
    refund = claim(kind="refund", items=lines(20, category="meals"))
    result = await (await app.get_workflow("approval").create_run()).start(input_data=refund)
    assert result.status == "failed"
    assert result.steps["validate-claim"].status == "failed"
    assert result.error is not None
    assert "only hold 'customer-refund' lines" in result.error["message"]


async def test_bad_input_names_each_wrong_field(app: Treadle) -> None:
    bad = claim(items=[])
    bad["requester"] = {**bad["requester"], "department": "legal"}
    with pytest.raises(SchemaValidationError) as caught:
        await (await app.get_workflow("approval").create_run()).start(input_data=bad)
    assert set(caught.value.paths) == {"items", "requester.department"}


def test_input_schema_has_what_the_studio_form_needs() -> None:
    schema = Claim.model_json_schema()
    assert set(schema["required"]) == {"claim_id", "requester", "items"}  # note is optional
    assert schema["$defs"]["Department"]["enum"] == [
        "engineering",
        "sales",
        "operations",
        "support",
    ]
    assert schema["properties"]["items"]["type"] == "array"
    assert schema["properties"]["requester"] == {"$ref": "#/$defs/Employee"}
    assert schema["examples"] == [SAMPLE_INPUT]


async def test_equipment_without_a_note_goes_to_a_reviewer(app: Treadle) -> None:
    gear = claim(items=lines(60, category="equipment"), note=None)
    result = await (await app.get_workflow("approval").create_run()).start(input_data=gear)
    assert result.status == "suspended"
    reasons = result.steps["human-review"].suspend_payload["reasons"]
    assert reasons == ["equipment needs a note saying what it is for"]
