"""Poll until ready: a `do_until` loop checks a job until it is done, counting in workflow state.

What it shows:
- `do_until(step, condition)`: the poll step runs on its own previous output until the
  condition holds;
- workflow state (`state_schema`): each poll records its attempt with `ctx.set_state`, and the
  loop condition and the report read it back (`ctx.state`), so the count survives a restart;
- a bounded loop: it gives up after `max_attempts` instead of polling forever.

The "job" is simulated: it is ready on attempt `ready_after`, deterministically.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from treadle import ConditionContext, StepContext, create_workflow, step

SAMPLE_INPUT: dict[str, JsonValue] = {
    "job_id": "export-2024-q3",
    "ready_after": 3,
    "max_attempts": 10,
}


class JobRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SAMPLE_INPUT]})

    job_id: str = Field(min_length=1)
    ready_after: int = Field(default=3, ge=1, le=50, description="The attempt it is ready on")
    max_attempts: int = Field(default=10, ge=1, le=100, description="Give up after this many")


class PollState(BaseModel):
    """Kept across loop iterations (and restarts) in the run's state."""

    attempts: int = 0
    timeline: list[str] = Field(default_factory=list)


class JobStatus(BaseModel):
    job_id: str
    ready_after: int
    max_attempts: int
    phase: Literal["submitted", "queued", "running", "ready"]
    progress: int = Field(ge=0, le=100)


class JobReport(BaseModel):
    job_id: str
    outcome: Literal["ready", "gave-up"]
    attempts: int
    timeline: list[str]


@step(id="submit-job", input_schema=JobRequest, output_schema=JobStatus)
async def submit_job(ctx: StepContext[JobRequest]) -> JobStatus:
    """Submit the job; it starts queued at 0%."""
    job = ctx.input_data
    return JobStatus(
        job_id=job.job_id,
        ready_after=job.ready_after,
        max_attempts=job.max_attempts,
        phase="submitted",
        progress=0,
    )


@step(id="poll-job", input_schema=JobStatus, output_schema=JobStatus)
async def poll_job(ctx: StepContext[JobStatus]) -> JobStatus:
    """Ask the job for its status once, and count the attempt in the workflow state."""
    job = ctx.input_data
    state: PollState = ctx.state
    attempt = state.attempts + 1
    progress = min(100, attempt * 100 // job.ready_after)
    phase = "ready" if progress == 100 else "queued" if attempt == 1 else "running"
    await ctx.set_state(
        {"attempts": attempt, "timeline": [*state.timeline, f"#{attempt} {phase} {progress}%"]}
    )
    return job.model_copy(update={"phase": phase, "progress": progress})


def ready_or_out_of_attempts(ctx: ConditionContext) -> bool:
    """Stop when the job is ready, or when the attempts allowed are used up."""
    state: PollState = ctx.state
    return ctx.input_data["phase"] == "ready" or state.attempts >= ctx.input_data["max_attempts"]


@step(id="report-job", input_schema=JobStatus, output_schema=JobReport)
async def report_job(ctx: StepContext[JobStatus]) -> JobReport:
    """Report the outcome and every attempt, from the workflow state."""
    state: PollState = ctx.state
    return JobReport(
        job_id=ctx.input_data.job_id,
        outcome="ready" if ctx.input_data.phase == "ready" else "gave-up",
        attempts=state.attempts,
        timeline=state.timeline,
    )


retry_until_ready = (
    create_workflow(
        id="retry-until-ready",
        description=(
            "Polling loop: submit a job, poll it until it is ready (or the attempts run out), "
            "keeping the attempt count in workflow state, then report."
        ),
        input_schema=JobRequest,
        output_schema=JobReport,
        state_schema=PollState,
    )
    .then(submit_job)
    .do_until(poll_job, ready_or_out_of_attempts)
    .then(report_job)
    .commit()
)
