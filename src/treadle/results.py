"""Result models: `StepResult` and `WorkflowResult`, whose JSON dump is Mastra's wire shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    known = {_FIELD_OF[k]: v for k, v in record.items() if k in _FIELD_OF}
    values = {**_DEFAULTS, **known}
    extra: dict[str, Any] = (
        {} if len(known) == len(record) else {k: v for k, v in record.items() if k not in _FIELD_OF}
    )
    fields_set = set(known)
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
    # Step records behind a result the engine made: `steps` is built from them on first use
    # (most callers read `status` and `result` only; this keeps the per-run cost flat).
    _records: dict[str, Any] | None = PrivateAttr(default=None)

    @classmethod
    def from_engine(
        cls,
        values: dict[str, Any],
        records: dict[str, Any],
        exception: BaseException | None,
    ) -> WorkflowResult:
        """Build from engine data without validation; `steps` comes lazily from `records`."""
        made = cls.__new__(cls)
        object.__setattr__(made, "__dict__", {**_RESULT_DEFAULTS, **values})
        object.__setattr__(made, "__pydantic_fields_set__", {"steps", *values})
        object.__setattr__(made, "__pydantic_extra__", {})
        object.__setattr__(
            made, "__pydantic_private__", {"_exception": exception, "_records": records}
        )
        return made

    def _materialize(self) -> None:
        current = self.__dict__
        if "steps" not in current:
            records = self._records or {}
            steps = {k: step_result_from_record(v) for k, v in records.items() if k != "input"}
            # Keep the declared field order (it is the JSON key order).
            ordered = {"status": current.get("status"), "steps": steps, **current}
            object.__setattr__(self, "__dict__", ordered)

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            if name == "steps":
                self._materialize()
                return self.__dict__["steps"]  # pyright: ignore[reportUnknownVariableType]
            return super().__getattr__(name)

    def __eq__(self, other: object) -> bool:
        self._materialize()
        if isinstance(other, WorkflowResult):
            other._materialize()
        return super().__eq__(other)

    __hash__ = None  # models are mutable

    def __repr_args__(self) -> Any:
        self._materialize()
        return super().__repr_args__()

    @property
    def exception(self) -> BaseException | None:
        """The live exception behind `error` (None unless the run failed in this process)."""
        return self._exception

    @model_serializer(mode="wrap")
    def _with_input_step(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        self._materialize()
        data: dict[str, Any] = handler(self)
        steps = data.get("steps")
        if isinstance(steps, dict):
            data["steps"] = {"input": data.get("input"), **steps}
        return data


_RESULT_DEFAULTS: dict[str, Any] = {
    name: None for name in WorkflowResult.model_fields if name != "steps"
}
_RESULT_DEFAULTS.update(step_execution_path=[], run_id="")
