"""Conformance twin of oracle case `retries-step`: step `retries`, retry_count, overriding."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel

from treadle import RetryConfig, StepContext, create_step, create_workflow

try:
    from ._twin import canon, dump, elide_payloads, golden
except ImportError:
    from _twin import canon, dump, elide_payloads, golden  # type: ignore[no-redef]


class Empty(BaseModel):
    pass


class Attempt(BaseModel):
    attempt: int


async def test_retries_step() -> None:
    attempts_a: list[int] = []

    async def flaky_fn(ctx: StepContext[Empty]) -> Attempt:
        attempts_a.append(ctx.retry_count)
        if len(attempts_a) < 3:
            raise RuntimeError(f"fail #{len(attempts_a)}")
        return Attempt(attempt=len(attempts_a))

    flaky = create_step(
        id="flaky", retries=2, input_schema=Empty, output_schema=Attempt, execute=flaky_fn
    )
    wf_a = create_workflow(id="retries-ok", input_schema=Empty).then(flaky).commit()
    t0 = time.monotonic()
    result_ok = await (await wf_a.create_run()).start(input_data={})
    ms_a = (time.monotonic() - t0) * 1000

    attempts_b: list[int] = []

    async def always_fn(ctx: StepContext[Empty]) -> Empty:
        attempts_b.append(ctx.retry_count)
        raise RuntimeError(f"always fails (attempt {len(attempts_b)})")

    always = create_step(
        id="always-fails", retries=2, input_schema=Empty, output_schema=Empty, execute=always_fn
    )
    wf_b = create_workflow(id="retries-exhausted", input_schema=Empty).then(always).commit()
    result_exhausted = await (await wf_b.create_run()).start(input_data={})

    attempts_c: list[int] = []

    async def override_fn(ctx: StepContext[Empty]) -> Empty:
        attempts_c.append(ctx.retry_count)
        raise RuntimeError("nope")

    overriding = create_step(
        id="override", retries=1, input_schema=Empty, output_schema=Empty, execute=override_fn
    )
    wf_c = (
        create_workflow(
            id="retries-override", input_schema=Empty, retry_config=RetryConfig(attempts=4, delay=1)
        )
        .then(overriding)
        .commit()
    )
    result_override = await (await wf_c.create_run()).start(input_data={})

    raws: dict[str, Any] = {
        "resultEventuallySucceeds": dump(result_ok),
        "resultExhausted": dump(result_exhausted),
        "resultStepOverridesWorkflow": dump(result_override),
    }
    # deviation 4: payload always present
    for key, sid in (
        ("resultEventuallySucceeds", "flaky"),
        ("resultExhausted", "always-fails"),
        ("resultStepOverridesWorkflow", "override"),
    ):
        assert raws[key]["steps"][sid]["payload"] == {}
    obs = {
        **{k: elide_payloads(v) for k, v in raws.items()},
        "retryCountsSeen": attempts_a,
        "noDefaultDelay": ms_a < 500,
        "retryCountsSeenExhausted": attempts_b,
        "retryCountsSeenOverride": attempts_c,
    }
    expected = golden("retries-step")
    # language: Python exception class names (JS `new Error(...)` -> RuntimeError here)
    for key, sid in (
        ("resultExhausted", "always-fails"),
        ("resultStepOverridesWorkflow", "override"),
    ):
        expected[key]["error"]["name"] = "RuntimeError"
        expected[key]["steps"][sid]["error"]["name"] = "RuntimeError"
    assert canon(obs) == expected
