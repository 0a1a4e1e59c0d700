"""What user code receives: `StepContext` for steps and map functions, `ConditionContext` for
branch and loop conditions, and the `Writer` a step streams custom events through."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar

from ._engine.signals import BailSignal, SuspendSignal
from ._schema import format_issues, issues_of, to_plain
from .errors import SchemaValidationError, WorkflowDefinitionError

if TYPE_CHECKING:
    from ._engine.abort import AbortSignal
    from ._engine.execution import Execution
    from .request_context import RequestContext
    from .step import Step

__all__ = ["ConditionContext", "StepContext", "Writer"]

InT = TypeVar("InT")


def _step_id(step_or_id: Any) -> str:
    return step_or_id if isinstance(step_or_id, str) else str(step_or_id.id)


def _step_output(ex: Execution, step_or_id: Any) -> Any:
    key = _step_id(step_or_id)
    if key == "input":  # not a step (Mastra: null); the workflow input is get_init_data()
        return None
    record = ex.context.get(key)
    if record is None or record.get("status") != "success":
        return None
    return record.get("output")


class Writer:
    """`await writer.write(obj)` streams `obj` as a `workflow-step-output` event;
    `await writer.custom({"type": "data-x", ...})` streams the object itself as an event."""

    __slots__ = ("_ex", "_step_id")

    def __init__(self, ex: Execution, step_id: str) -> None:
        self._ex = ex
        self._step_id = step_id

    async def write(self, data: Any) -> None:
        emit = self._ex.emit_output
        if emit is not None:
            waiting = emit(
                "workflow-step-output",
                {"output": to_plain(data), "runId": self._ex.run_id, "stepName": self._step_id},
            )
            if waiting is not None:
                await waiting

    async def custom(self, chunk: dict[str, Any]) -> None:
        if not isinstance(chunk.get("type"), str):
            raise WorkflowDefinitionError(
                "writer.custom() needs a dict with a string 'type' (e.g. 'data-progress')"
            )
        emit = self._ex.emit_output
        if emit is not None:
            waiting = emit("__custom__", to_plain(chunk))
            if waiting is not None:
                await waiting


class StepContext(Generic[InT]):
    """The argument of a step's `execute(ctx)` (Mastra's execute params, in Python spelling)."""

    __slots__ = (
        "_ex",
        "_state",
        "_state_update",
        "_step",
        "input_data",
        "resume_data",
        "retry_count",
        "suspend_data",
    )

    def __init__(
        self,
        ex: Execution,
        step: Step[Any, Any],
        input_data: InT,
        resume_data: Any = None,
        suspend_data: Any = None,
        retry_count: int = 0,
    ) -> None:
        self._ex = ex
        self._step = step
        self.input_data = input_data
        self.resume_data = resume_data
        self.suspend_data = suspend_data
        self.retry_count = retry_count
        self._state: Any = _UNSET
        self._state_update: dict[str, Any] | None = None

    # -- identity -----------------------------------------------------------------------------
    @property
    def run_id(self) -> str:
        return self._ex.run_id

    @property
    def workflow_id(self) -> str:
        return self._ex.workflow.id

    @property
    def resource_id(self) -> str | None:
        return self._ex.resource_id

    @property
    def app(self) -> Any:
        return self._ex.app

    @property
    def request_context(self) -> RequestContext:
        return self._ex.request_context

    @property
    def abort_signal(self) -> AbortSignal:
        return self._ex.abort

    @property
    def writer(self) -> Writer:
        return Writer(self._ex, self._step.id)

    # -- state --------------------------------------------------------------------------------
    @property
    def state(self) -> Any:
        """The workflow state as of this step's start (an instance of the workflow's
        `state_schema`, or a dict without one). `set_state` takes effect when the step ends."""
        if self._state is _UNSET:
            schema = self._ex.workflow.state_schema_adapter
            self._state = (
                schema.validate(self._ex.state) if schema is not None else dict(self._ex.state)
            )
        return self._state

    async def set_state(self, update: Any) -> None:
        """Shallow-merge `update` into the state once this step succeeds (last call wins)."""
        plain = update.model_dump(exclude_unset=True) if hasattr(update, "model_dump") else update
        if not isinstance(plain, dict):
            raise WorkflowDefinitionError(
                f"step '{self._step.id}': set_state() takes a dict or a model, "
                f"got {type(plain).__name__}"
            )
        own = self._step._state  # pyright: ignore[reportPrivateUsage]
        if own is not None:
            own.validate_or_raise(plain, "Step state data validation failed", step_id=self._step.id)
        else:
            schema = self._ex.workflow.state_schema_adapter
            if schema is not None:
                schema.validate_or_raise(
                    {**self._ex.state, **plain},
                    f"Step '{self._step.id}' state data validation failed",
                    step_id=self._step.id,
                )
        self._state_update = to_plain(plain)

    # -- control ------------------------------------------------------------------------------
    async def suspend(
        self, payload: Any = None, resume_label: str | list[str] | None = None
    ) -> NoReturn:
        """Suspend the run at this step. Never returns: the step ends here."""
        schema = self._step._suspend  # pyright: ignore[reportPrivateUsage]
        if schema is not None and payload is not None:
            try:
                payload = schema.validate(payload)
            except Exception as exc:  # pydantic.ValidationError
                issues = issues_of(exc)  # type: ignore[arg-type]
                raise SchemaValidationError(
                    # Mastra's wording; the step is named by `stepId` on the error.
                    f"Step suspend data validation failed: \n{format_issues(issues)}",
                    issues=issues,
                    code="WORKFLOW_STEP_SUSPEND_DATA_VALIDATION_FAILED",
                    step_id=self._step.id,
                ) from None
        labels = [resume_label] if isinstance(resume_label, str) else list(resume_label or [])
        raise SuspendSignal(to_plain(payload) if payload is not None else None, labels)

    def bail(self, value: Any = None) -> NoReturn:
        """End this workflow level successfully with `value` as its result."""
        raise BailSignal(to_plain(value))

    def abort(self) -> None:
        """Cancel the run; it ends `canceled` when this step returns."""
        self._ex.abort.fire()

    # -- reading the run ----------------------------------------------------------------------
    def get_step_result(self, step_or_id: Any) -> Any:
        """Output of an earlier step (by id or Step), `None` if it did not run or failed."""
        return _step_output(self._ex, step_or_id)

    def get_init_data(self) -> Any:
        """The input of this workflow level."""
        return self._ex.context.get("input")


class ConditionContext:
    """The argument of branch and loop conditions (and sleep functions)."""

    __slots__ = ("_ex", "input_data", "iteration_count")

    def __init__(self, ex: Execution, input_data: Any, iteration_count: int = 0) -> None:
        self._ex = ex
        self.input_data = input_data
        self.iteration_count = iteration_count

    @property
    def state(self) -> Any:
        schema = self._ex.workflow.state_schema_adapter
        return schema.validate(self._ex.state) if schema is not None else dict(self._ex.state)

    @property
    def request_context(self) -> RequestContext:
        return self._ex.request_context

    @property
    def run_id(self) -> str:
        return self._ex.run_id

    @property
    def workflow_id(self) -> str:
        return self._ex.workflow.id

    @property
    def retry_count(self) -> int:
        return -1

    def get_step_result(self, step_or_id: Any) -> Any:
        return _step_output(self._ex, step_or_id)

    def get_init_data(self) -> Any:
        return self._ex.context.get("input")


_UNSET: Any = object()
