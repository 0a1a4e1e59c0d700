"""Request bodies of the workflow routes, field for field as Mastra's (camelCase JSON)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "ID_PATTERN",
    "CreateRunBody",
    "RestartBody",
    "ResumeBody",
    "SendEventBody",
    "StartBody",
    "StreamBody",
    "TimeTravelBody",
]

ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"
"""Run and resource ids: any text without control characters."""


def _whole_number(value: Any) -> Any:
    """JSON Schema's integer: `2` and `2.0`, not `"2"` or `true`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected an integer")
    return value


Index = Annotated[int, Field(ge=0, le=2**53, strict=False), BeforeValidator(_whole_number)]

Id = Annotated[str, Field(min_length=1, max_length=256, pattern=ID_PATTERN)]
StepPath = Annotated[
    Annotated[str, Field(min_length=1, max_length=1024)]
    | list[Annotated[str, Field(min_length=1, max_length=256)]],
    Field(
        description="A step id, a dotted path (`outer.inner`), or a path as a list of ids.",
        examples=["approve", ["outer", "inner"]],
    ),
]


# Unknown fields are ignored, as Mastra's server does (newer clients send newer fields); known
# ones are strict: `0` is not a boolean, `"1"` is not an index.
_CONFIG = ConfigDict(extra="ignore", strict=True)


class _Body(BaseModel):
    model_config = _CONFIG

    requestContext: dict[str, Any] | None = Field(
        default=None, description="Values merged into the run's request context."
    )
    tracingOptions: dict[str, Any] | None = Field(
        default=None,
        description="Accepted for compatibility; Treadle traces through OpenTelemetry.",
    )
    perStep: bool | None = Field(
        default=None, description="Step-by-step (debug) runs; not supported, `true` is refused."
    )


class CreateRunBody(BaseModel):
    model_config = _CONFIG

    resourceId: Id | None = Field(default=None, description="Who the run belongs to.")
    disableScorers: bool | None = Field(default=None, description="Accepted; Treadle has none.")


class StartBody(_Body):
    inputData: Any = Field(default=None, description="The workflow input.")
    initialState: Any = Field(default=None, description="The initial workflow state.")
    resourceId: Id | None = Field(default=None, description="For a run created by this call.")


class StreamBody(StartBody):
    closeOnSuspend: bool | None = Field(
        default=None, description="End the stream when the run suspends (default true)."
    )


class ResumeBody(_Body):
    step: StepPath | None = Field(
        default=None, description="The suspended step; optional when only one is suspended."
    )
    resumeData: Any = Field(default=None, description="Validated by the step's resume schema.")
    forEachIndex: Index | None = Field(
        default=None, description="Resume one item of a suspended for_each."
    )
    label: str | None = Field(default=None, description="Pick the step by its resume label.")
    closeOnSuspend: bool | None = Field(
        default=None, description="resume-stream: end the stream if the run suspends again."
    )


class TimeTravelBody(_Body):
    step: StepPath = Field(description="The top-level step to run again from.")
    inputData: Any = Field(default=None, description="The step's input (default: as before).")
    resumeData: Any = Field(default=None, description="Resume data for the step.")
    initialState: Any = Field(default=None, description="Replace the workflow state.")
    context: dict[str, Any] | None = Field(
        default=None, description="Outputs of earlier steps, by step id, to use instead."
    )
    nestedStepsContext: dict[str, dict[str, Any]] | None = Field(
        default=None, description="Not supported: must be absent or empty."
    )
    closeOnSuspend: bool | None = Field(
        default=None, description="time-travel-stream: end the stream when the run suspends."
    )


class RestartBody(BaseModel):
    model_config = _CONFIG

    requestContext: dict[str, Any] | None = Field(default=None, description="Ignored.")
    tracingOptions: dict[str, Any] | None = Field(default=None, description="Ignored.")


class SendEventBody(BaseModel):
    model_config = _CONFIG

    event: str = Field(min_length=1, max_length=256, description="The event name.")
    data: Any = Field(default=None, description="Given to the waiting step as resume data.")
