"""Demo: run every example workflow end to end in the terminal, offline, in about a second.

Each run is streamed: one line per step event (start, result, suspended, waiting, progress).
The human steps are answered by the demo itself (`resume`, `send_event`). Runs are kept in
memory, so nothing is written to disk.

Run: python -m examples.demo   (./scripts/demo sets up .venv first)
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from treadle import Run, Treadle, WorkflowEvent, WorkflowResult, WorkflowStream
from treadle.storage import InMemoryStore

from . import make_app
from .approval import SAMPLE_INPUT as CLAIM
from .batch_enrich import SAMPLE_INPUT as CONTACTS
from .fan_out import SAMPLE_INPUT as DELIVERY
from .nested_report import SAMPLE_INPUT as REPORT
from .order_approval import SAMPLE_INPUT as BIG_ORDER
from .order_approval import order_approval
from .reminder import ACK_EVENT
from .reminder import SAMPLE_INPUT as REMINDER
from .retry_until_ready import SAMPLE_INPUT as JOB

__all__ = ["STUDIO_URL", "main", "order_approval"]

STUDIO_URL = "http://127.0.0.1:4111"
PREVIEW_CHARS = 80  # of JSON shown per event line


def preview(value: Any) -> str:
    """Compact JSON of `value`, cut to one short line."""
    text = json.dumps(value, separators=(",", ":"), default=str)
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 3] + "..."


def event_line(event: WorkflowEvent) -> str | None:
    """One terminal line for a step event; None for the events the demo does not show."""
    p = event.payload or {}
    step = p.get("id") or p.get("stepName") or ""
    match event.type:
        case "workflow-step-start":
            return f"  start     {step}"
        case "workflow-step-result" if p.get("status") == "success":
            return f"  done      {step:<30} {preview(p.get('output'))}"
        case "workflow-step-result":
            error: dict[str, Any] = p.get("error") or {}
            return f"  {p.get('status', '?'):<9} {step:<30} {error.get('message', '')}"
        case "workflow-step-suspended":
            return f"  suspended {step:<30} {preview(p.get('suspendPayload'))}"
        case "workflow-step-waiting":
            return f"  waiting   {step}"
        case "workflow-step-progress":
            done, total = p.get("completedCount"), p.get("totalCount")
            return f"  progress  {step:<30} {done}/{total} (item {p.get('currentIndex')})"
        case _:
            return None


async def follow(stream: WorkflowStream, run: Run[Any, Any] | None = None) -> WorkflowResult:
    """Print the stream's step events, then its final status; return the result. With `run`,
    a wait for the acknowledgement event is answered as soon as the run reaches it."""
    async for event in stream:
        line = event_line(event)
        if line is not None:
            print(line)
        waits_for = (
            (event.payload or {}).get("id") if event.type == "workflow-step-waiting" else None
        )
        if run is not None and waits_for == "record-acknowledgement":
            answer = {"by": "ada", "note": "done, thanks"}
            print(f"  -> send_event({ACK_EVENT!r}, {preview(answer)})")
            await run.send_event(ACK_EVENT, answer)
    result = await stream.result
    print(f"  => {result.status}")
    return result


async def start(app: Treadle, key: str, input_data: Any) -> tuple[Run[Any, Any], WorkflowResult]:
    """Print the workflow's header, start a run and follow it."""
    workflow = app.get_workflow(key)
    print(f"\n== {key}: {workflow.description}")
    run = await workflow.create_run()
    result = await follow(run.stream(input_data=input_data), run)
    return run, result


async def resume(run: Run[Any, Any], step: str, answer: dict[str, Any]) -> WorkflowResult:
    print(f"  -> resume {step} with {preview(answer)}")
    return await follow(run.resume_stream(step=step, resume_data=answer))


async def main() -> None:
    """Run every example once, answering the human steps, and print what happened."""
    began = time.perf_counter()
    app = make_app(storage=InMemoryStore())

    run, _ = await start(app, "approval", CLAIM)
    review = {"approved": True, "reviewer": "ada", "reason": "business-need", "comment": "ok"}
    claim = await resume(run, "human-review", review)
    print(f"  {claim.result['message']}")

    _, plan = await start(app, "fan-out", DELIVERY)
    p = plan.result
    notes = "; ".join(p["notes"]) or "no notes"
    print(
        f"  ship from {p['ship_from']} in {p['ship_in_days']} days, {p['total_price']:.2f} ({notes})"
    )

    _, batch = await start(app, "batch-enrich", CONTACTS)
    b = batch.result
    print(f"  {b['count']} contacts {b['by_segment']}, best leads: {', '.join(b['best_leads'])}")

    _, job = await start(app, "retry-until-ready", JOB)
    j = job.result
    print(f"  {j['outcome']} after {j['attempts']} attempts: {', '.join(j['timeline'])}")

    _, report = await start(app, "nested-report", REPORT)
    print("  " + report.result["content"].replace("\n", "\n  "))

    _, sent = await start(app, "reminder", {**REMINDER, "delay_seconds": 0.3})
    print(f"  sent to {sent.result['recipient']} after 0.3 s, receipt {sent.result['receipt']}")
    _, acked = await start(app, "reminder-ack", {**REMINDER, "delay_seconds": 0.1})
    print(f"  acknowledged by {acked.result['acknowledged_by']}")

    run, _ = await start(app, "order-approval", BIG_ORDER)
    order = await resume(run, "human-review", {"approved": True, "reviewer": "ada"})
    print(f"  order {BIG_ORDER['order_id']}: {preview(order.result)}")

    await app.stop()
    print(f"\nAll {len(app.list_workflows())} examples ran in {time.perf_counter() - began:.1f} s.")
    print(f"Run `treadle dev` to open them in the Studio at {STUDIO_URL}")


if __name__ == "__main__":
    asyncio.run(main())
