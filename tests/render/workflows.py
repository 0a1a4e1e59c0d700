"""Real workflows, built with treadle's public API, for the render tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from treadle import ConditionContext, StepContext, Workflow, create_step, create_workflow


async def _same(ctx: StepContext[Any]) -> Any:
    return ctx.input_data


def step(step_id: str, **options: Any) -> Any:
    return create_step(id=step_id, execute=_same, **options)


def is_big(ctx: ConditionContext) -> bool:
    return True


def is_small(ctx: ConditionContext) -> bool:
    return False


def ready(ctx: ConditionContext) -> bool:
    return ctx.iteration_count > 2


def leaf_workflow() -> Workflow[Any, Any, Any]:
    """Level 3: a step then two in parallel."""
    return create_workflow(id="leaf").then(step("l1")).parallel([step("l2"), step("l3")]).commit()


def mid_workflow() -> Workflow[Any, Any, Any]:
    """Level 2: holds `leaf`, then a loop."""
    return (
        create_workflow(id="mid")
        .then(step("m1"))
        .then(leaf_workflow())
        .do_until(step("m2"), ready)
        .commit()
    )


def kitchen_sink() -> Workflow[Any, Any, Any]:
    """Every primitive once, with workflows nested three levels deep."""
    per_item = create_workflow(id="per-item").then(step("enrich-one")).commit()
    retry = create_workflow(id="retry").then(step("try")).then(step("check")).commit()
    side = create_workflow(id="side").then(step("s1")).commit()
    return (
        create_workflow(id="sink")
        .then(step("fetch", description="Fetch the records from the API"))
        .parallel([step("a"), step("b"), side])
        .branch([(is_big, step("big")), (is_small, mid_workflow())])
        .do_while(step("poll"), ready)
        .do_until(retry, ready)
        .for_each(step("enrich"), concurrency=4)
        .for_each(per_item, concurrency=2)
        .map(lambda ctx: ctx.input_data)
        .sleep(timedelta(seconds=2))
        .sleep(300_000, id="cool-down")
        .sleep_until(datetime(2030, 1, 1, 9, 0, tzinfo=UTC))
        .wait_for_event("approved", step("approve", resume_schema=dict))
        .commit()
    )


# Every key a run of `kitchen_sink` can have in `steps`, apart from the generated sleep ids.
SINK_PATHS = {
    "fetch",
    "a",
    "b",
    "side",
    "side.s1",
    "big",
    "mid",
    "mid.m1",
    "mid.leaf",
    "mid.leaf.l1",
    "mid.leaf.l2",
    "mid.leaf.l3",
    "mid.m2",
    "poll",
    "retry",
    "retry.try",
    "retry.check",
    "enrich",
    "per-item",
    "per-item.enrich-one",
    "mapping_sink_0",
    "cool-down",
    "approve",
}
NESTED = {"side", "mid", "mid.leaf", "retry", "per-item"}
