"""Each example workflow runs to its expected result (in memory; a fake clock for the sleeps)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from examples.batch_enrich import SAMPLE_INPUT as CONTACTS
from examples.fan_out import SAMPLE_INPUT as DELIVERY
from examples.nested_report import SAMPLE_INPUT as REPORT
from examples.order_approval import SAMPLE_INPUT as BIG_ORDER
from examples.reminder import ACK_EVENT
from examples.reminder import SAMPLE_INPUT as REMINDER
from examples.retry_until_ready import SAMPLE_INPUT as JOB

from examples import make_app
from treadle import Treadle, WorkflowEvent, WorkflowResult
from treadle.storage import InMemoryStore
from treadle.testing import FakeClock

T0 = 1_700_000_000_000  # the fake clock's start, epoch ms


@pytest.fixture
def app() -> Treadle:
    return make_app(storage=InMemoryStore())


async def run_to_end(app: Treadle, key: str, input_data: Any, **options: Any) -> WorkflowResult:
    run = await app.get_workflow(key).create_run()
    return await run.start(input_data=input_data, **options)


async def streamed(app: Treadle, key: str, input_data: Any) -> list[WorkflowEvent]:
    run = await app.get_workflow(key).create_run()
    return [event async for event in run.stream(input_data=input_data)]


# -- fan-out ------------------------------------------------------------------------------------
async def test_fan_out_joins_the_three_lookups(app: Treadle) -> None:
    result = await run_to_end(app, "fan-out", DELIVERY)
    assert result.status == "success"
    assert result.result == {
        "city": "Lisbon",
        "sku": "CHAIR-OAK-01",
        "quantity": 24,
        "can_ship": True,
        "ship_from": "Rotterdam",
        "ship_in_days": 2,
        "total_price": 1046.98,
        "notes": ["volume discount 5%"],
    }
    lookups = ("lookup-weather", "lookup-inventory", "lookup-pricing")
    assert all(result.steps[s].status == "success" for s in lookups)
    assert result.steps["plan-delivery"].payload == {s: result.steps[s].output for s in lookups}


async def test_fan_out_lookups_run_in_parallel(app: Treadle) -> None:
    events = await streamed(app, "fan-out", DELIVERY)
    order = [
        (e.type, (e.payload or {}).get("id")) for e in events if e.type.startswith("workflow-step")
    ]
    starts = [i for i, (kind, _) in enumerate(order) if kind == "workflow-step-start"]
    first_result = next(i for i, (kind, _) in enumerate(order) if kind == "workflow-step-result")
    assert starts[:3] == [0, 1, 2]  # all three lookups start before any of them ends
    assert first_result == 3


async def test_fan_out_reports_missing_stock(app: Treadle) -> None:
    result = await run_to_end(app, "fan-out", {**DELIVERY, "quantity": 1000})
    assert result.result["can_ship"] is False
    assert result.result["ship_in_days"] == 9
    assert "only 192 of 1000 in stock at Rotterdam" in result.result["notes"]


# -- batch-enrich -------------------------------------------------------------------------------
async def test_batch_enrich_enriches_every_record_in_input_order(app: Treadle) -> None:
    batch: dict[str, Any] = dict(CONTACTS)
    duplicated = {**batch, "records": [*batch["records"], batch["records"][0]]}
    result = await run_to_end(app, "batch-enrich", duplicated)
    assert result.status == "success"
    assert result.result == {
        "source": "webinar-signups",
        "count": 8,
        "by_segment": {"consumer": 2, "enterprise": 2, "mid-market": 2, "smb": 2},
        "average_score": 48.0,
        "best_leads": ["c1", "c4", "c7"],
    }
    enriched = result.steps["enrich-record"].output
    assert [c["id"] for c in enriched] == [f"c{i}" for i in range(1, 9)]  # duplicate dropped
    assert enriched[1]["email"] == "grace@navy.example"
    assert enriched[1]["company"] == "US Navy"
    assert enriched[2]["segment"] == "consumer"


async def test_batch_enrich_works_four_at_a_time_with_progress(app: Treadle) -> None:
    events = await streamed(app, "batch-enrich", CONTACTS)
    progress = [e.payload or {} for e in events if e.type == "workflow-step-progress"]
    assert [p["completedCount"] for p in progress] == list(range(1, 9))
    assert {p["totalCount"] for p in progress} == {8}
    finished = [p["currentIndex"] for p in progress]
    assert sorted(finished) == list(range(8))
    # Records of different lookup lengths overlap, so they finish out of input order; with
    # concurrency 1 they could not.
    assert finished != sorted(finished)


async def test_batch_enrich_accepts_an_empty_batch(app: Treadle) -> None:
    result = await run_to_end(app, "batch-enrich", {"records": []})
    assert result.result == {
        "source": "import",
        "count": 0,
        "by_segment": {},
        "average_score": 0.0,
        "best_leads": [],
    }


# -- retry-until-ready --------------------------------------------------------------------------
async def test_retry_until_ready_polls_until_the_job_is_ready(app: Treadle) -> None:
    result = await run_to_end(app, "retry-until-ready", JOB, include_state=True)
    assert result.status == "success"
    timeline = ["#1 queued 33%", "#2 running 66%", "#3 ready 100%"]
    assert result.result == {
        "job_id": "export-2024-q3",
        "outcome": "ready",
        "attempts": 3,
        "timeline": timeline,
    }
    assert result.state == {"attempts": 3, "timeline": timeline}
    assert result.steps["poll-job"].metadata == {"iterationCount": 3}


async def test_retry_until_ready_gives_up_after_max_attempts(app: Treadle) -> None:
    job = {"job_id": "slow", "ready_after": 20, "max_attempts": 4}
    result = await run_to_end(app, "retry-until-ready", job)
    assert result.result["outcome"] == "gave-up"
    assert result.result["attempts"] == 4
    assert result.result["timeline"][-1] == "#4 running 20%"


# -- nested-report ------------------------------------------------------------------------------
async def test_nested_report_renders_markdown_from_the_inner_workflow(app: Treadle) -> None:
    result = await run_to_end(app, "nested-report", REPORT)
    assert result.status == "success"
    assert result.step_execution_path == ["scope-report", "sales-metrics", "publish-report"]
    assert result.steps["sales-metrics"].output["best_seller"] == "Monitor arm"
    assert "render-csv" not in result.steps
    report = result.result
    assert report["title"] == "Sales EMEA Q3"
    assert report["filename"] == "sales-emea-2024-q3.md"
    assert report["content"].splitlines()[:3] == [
        "# Sales EMEA Q3",
        "",
        "| Product | Units | Revenue |",
    ]
    assert report["content"].endswith("| **Total** | **1497** | **148,119.00** |")
    assert report["size_bytes"] == len(report["content"].encode())


async def test_nested_report_branches_to_csv(app: Treadle) -> None:
    result = await run_to_end(app, "nested-report", {**REPORT, "format": "csv", "title": "Q3"})
    assert "render-markdown" not in result.steps
    assert result.result["title"] == "Q3"
    assert result.result["filename"] == "sales-emea-2024-q3.csv"
    assert result.result["content"].splitlines()[:2] == [
        "product,units,revenue",
        "Monitor arm,377,62959.00",
    ]


async def test_nested_report_streams_the_inner_steps_with_dotted_ids(app: Treadle) -> None:
    events = await streamed(app, "nested-report", REPORT)
    ended = [(e.payload or {})["id"] for e in events if e.type == "workflow-step-result"]
    assert ended == [
        "scope-report",
        "sales-metrics.load-sales",
        "sales-metrics.aggregate-sales",
        "sales-metrics",
        "render-markdown",
        "publish-report",
    ]


# -- reminder -----------------------------------------------------------------------------------
async def test_reminder_sleeps_for_delay_seconds_then_sends() -> None:
    clock = FakeClock(start_ms=T0)
    app = make_app(storage=InMemoryStore(), clock=clock)
    run = await app.get_workflow("reminder").create_run()
    task = asyncio.create_task(run.start(input_data={**REMINDER, "delay_seconds": 90}))
    await clock.wait_for_sleepers(1)
    assert clock.deadlines == [T0 + 90_000]
    stored = await app.storage.load_run("reminder", run.run_id)
    assert stored is not None
    assert (stored.status, stored.wake_at) == ("waiting", T0 + 90_000)
    await clock.advance(89_999)
    assert not task.done()
    await clock.advance(1)
    result = await asyncio.wait_for(task, 5)
    assert result.status == "success"
    assert result.result == {
        "recipient": "ada@example.com",
        "channel": "email",
        "message": "Submit your Q3 expense claims",
        "receipt": "email-fda7bca4",
    }
    assert result.steps["send-reminder"].started_at == T0 + 90_000


async def test_reminder_refuses_a_non_email_recipient(app: Treadle) -> None:
    result = await run_to_end(app, "reminder", {**REMINDER, "recipient": "+31 6 1234"})
    assert result.status == "failed"
    assert result.error is not None
    assert "is not an email address" in result.error["message"]
    assert "wait-until-due" not in result.steps


async def test_reminder_ack_waits_for_the_acknowledgement_event() -> None:
    clock = FakeClock(start_ms=T0)
    app = make_app(storage=InMemoryStore(), clock=clock)
    run = await app.get_workflow("reminder-ack").create_run()
    waiting_for_ack = asyncio.Event()
    run.watch(
        lambda e: (
            waiting_for_ack.set()
            if e["type"] == "workflow-step-waiting"
            and e["payload"]["id"] == "record-acknowledgement"
            else None
        )
    )
    task = asyncio.create_task(run.start(input_data={**REMINDER, "channel": "slack"}))
    await clock.wait_for_sleepers(1)
    await clock.advance(2_000)  # the sample's delay_seconds
    await asyncio.wait_for(waiting_for_ack.wait(), 5)
    assert not task.done()
    await run.send_event(ACK_EVENT, {"by": "ada", "note": "on it"})
    result = await asyncio.wait_for(task, 5)
    assert result.status == "success"
    assert result.result["acknowledged_by"] == "ada"
    assert result.result["note"] == "on it"
    assert result.result["receipt"].startswith("slack-")
    assert result.steps["record-acknowledgement"].resume_payload == {"by": "ada", "note": "on it"}


# -- order-approval -----------------------------------------------------------------------------
async def test_order_approval_approves_small_orders_automatically(app: Treadle) -> None:
    result = await run_to_end(app, "order-approval", {**BIG_ORDER, "amount": 40})
    assert result.status == "success"
    assert result.result == {"approved": True, "by": "auto"}


async def test_order_approval_asks_a_human_for_large_orders(app: Treadle) -> None:
    run = await app.get_workflow("order-approval").create_run()
    suspended = await run.start(input_data=BIG_ORDER)
    assert suspended.status == "suspended"
    assert suspended.steps["human-review"].suspend_payload == {
        "question": "Approve order B-7 of 4200.0?"
    }
    result = await run.resume(
        step="human-review", resume_data={"approved": False, "reviewer": "bo"}
    )
    assert result.status == "success"
    assert result.result == {"approved": False, "by": "bo"}
