"""Result models: `StepResult` and `WorkflowResult`, whose JSON dump is Mastra's wire shape."""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    model_serializer,
)
from pydantic.alias_generators import to_camel

__all__ = ["StepResult", "WorkflowResult", "step_result_from_record"]

_CONFIG = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


class StepResult(BaseModel):
    """One step's result: `status`, `payload` (its input), `output` or `error`, timestamps (epoch
    ms), and suspend/resume payloads."""

    model_config = _CONFIG

    status: str
    payload: Any = None
    output: Any = None
    error: dict[str, Any] | None = None
    started_at: int | None = None
    ended_at: int | None = None
    suspended_at: int | None = None
    resumed_at: int | None = None
    suspend_payload: Any = None
    resume_payload: Any = None
    metadata: dict[str, Any] | None = None


_FIELD_OF = {to_camel(name): name for name in StepResult.model_fields}
_DEFAULTS: dict[str, Any] = dict.fromkeys(StepResult.model_fields)


def step_result_from_record(record: dict[str, Any]) -> StepResult:
    """Build without validation (records are made by the engine and already well-formed), and
    without `model_construct`'s per-field default resolution: this runs once per step."""
    values = dict(_DEFAULTS)
    extra: dict[str, Any] = {}
    fields_set: set[str] = set()
    for key, value in record.items():
        name = _FIELD_OF.get(key)
        if name is None:
            extra[key] = value
        else:
            values[name] = value
            fields_set.add(name)
    made = StepResult.__new__(StepResult)
    object.__setattr__(made, "__dict__", values)
    object.__setattr__(made, "__pydantic_fields_set__", fields_set)
    object.__setattr__(made, "__pydantic_extra__", extra)
    object.__setattr__(made, "__pydantic_private__", None)
    return made


class WorkflowResult(BaseModel):
    """A run's result. `model_dump(mode="json", by_alias=True, exclude_none=True)` is Mastra's
    JSON, including the `input` pseudo-step inside `steps`."""

    model_config = _CONFIG

    status: str
    steps: dict[str, StepResult] = Field(default_factory=dict[str, StepResult])
    input: Any = None
    step_execution_path: list[str] = Field(default_factory=list[str])
    result: Any = None
    error: dict[str, Any] | None = None
    suspended: list[list[str]] | None = None
    suspend_payload: dict[str, Any] | None = None
    resume_labels: dict[str, Any] | None = None
    state: dict[str, Any] | None = None
    run_id: str = ""
    _exception: BaseException | None = PrivateAttr(default=None)

    @property
    def exception(self) -> BaseException | None:
        """The live exception behind `error` (None unless the run failed in this process)."""
        return self._exception

    @model_serializer(mode="wrap")
    def _with_input_step(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        steps = data.get("steps")
        if isinstance(steps, dict):
            data["steps"] = {"input": data.get("input"), **steps}
        return data
