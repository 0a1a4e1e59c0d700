"""Steps: the typed unit of work (`Step`), built with `create_step`, `@step` or `clone_step`."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from ._schema import Schema
from .errors import WorkflowDefinitionError

if TYPE_CHECKING:
    from .context import StepContext

__all__ = ["Step", "clone_step", "create_step", "step"]

InT = TypeVar("InT", contravariant=True)
OutT = TypeVar("OutT", covariant=True)
I2 = TypeVar("I2")
O2 = TypeVar("O2")

Execute = Callable[["StepContext[Any]"], Any]


class Step(Generic[InT, OutT]):
    """An immutable step definition. `InT` is what it takes, `OutT` what it returns.

    Read-only after construction; the engine reads the private slots directly on its hot path.
    """

    __slots__ = (
        "_description",
        "_execute",
        "_in",
        "_is_async",
        "_metadata",
        "_out",
        "_request_context",
        "_resume",
        "_retries",
        "_state",
        "_suspend",
        "component",
        "id",
    )

    def __init__(
        self,
        *,
        id: str,
        execute: Execute | None,
        description: str | None = None,
        input_schema: Any = None,
        output_schema: Any = None,
        state_schema: Any = None,
        suspend_schema: Any = None,
        resume_schema: Any = None,
        request_context_schema: Any = None,
        retries: int | None = None,
        metadata: Mapping[str, Any] | None = None,
        component: str = "STEP",
    ) -> None:
        if not isinstance(id, str) or not id:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise WorkflowDefinitionError("a step needs a non-empty string id")
        if retries is not None and retries < 0:
            raise WorkflowDefinitionError(f"step '{id}': retries must be >= 0, got {retries}")
        self.id = id
        self.component = component
        self._execute = execute
        self._is_async = execute is not None and _is_async_callable(execute)
        self._description = description
        self._in = Schema.of(input_schema)
        self._out = Schema.of(output_schema)
        self._state = Schema.of(state_schema) if state_schema is not None else None
        self._suspend = Schema.of(suspend_schema) if suspend_schema is not None else None
        self._resume = Schema.of(resume_schema) if resume_schema is not None else None
        self._request_context = (
            Schema.of(request_context_schema) if request_context_schema is not None else None
        )
        self._retries = retries
        self._metadata: dict[str, Any] = dict(metadata or {})

    # Read-only views: a mutable typed attribute would pin the type parameters' variance.
    @property
    def description(self) -> str | None:
        return self._description

    @property
    def input_schema(self) -> Any:
        return self._in.type

    @property
    def output_schema(self) -> Any:
        return self._out.type

    @property
    def state_schema(self) -> Any:
        return self._state.type if self._state else None

    @property
    def suspend_schema(self) -> Any:
        return self._suspend.type if self._suspend else None

    @property
    def resume_schema(self) -> Any:
        return self._resume.type if self._resume else None

    @property
    def request_context_schema(self) -> Any:
        return self._request_context.type if self._request_context else None

    @property
    def retries(self) -> int | None:
        return self._retries

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self._metadata)

    @property
    def execute(self) -> Execute | None:
        return self._execute

    @property
    def can_suspend(self) -> bool:
        return self._suspend is not None or self._resume is not None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id!r}>"


def _is_async_callable(fn: Any) -> bool:
    while isinstance(fn, _partial_types):
        fn = fn.func
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - async callable objects
    )


_partial_types = (functools.partial,)


@overload
def create_step(
    *,
    id: str,
    input_schema: type[I2],
    output_schema: type[O2],
    execute: Callable[[StepContext[I2]], Awaitable[O2 | dict[str, Any]] | O2 | dict[str, Any]],
    description: str | None = ...,
    state_schema: Any = ...,
    suspend_schema: Any = ...,
    resume_schema: Any = ...,
    request_context_schema: Any = ...,
    retries: int | None = ...,
    metadata: Mapping[str, Any] | None = ...,
) -> Step[I2, O2]: ...


@overload
def create_step(
    *,
    id: str,
    execute: Callable[[StepContext[Any]], Any],
    input_schema: Any = ...,
    output_schema: Any = ...,
    description: str | None = ...,
    state_schema: Any = ...,
    suspend_schema: Any = ...,
    resume_schema: Any = ...,
    request_context_schema: Any = ...,
    retries: int | None = ...,
    metadata: Mapping[str, Any] | None = ...,
) -> Step[Any, Any]: ...


def create_step(
    *,
    id: str,
    execute: Callable[..., Any],
    input_schema: Any = None,
    output_schema: Any = None,
    description: str | None = None,
    state_schema: Any = None,
    suspend_schema: Any = None,
    resume_schema: Any = None,
    request_context_schema: Any = None,
    retries: int | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Step[Any, Any]:
    """Define a step. `execute(ctx)` may be `async def` or plain `def` (run in a worker thread)."""
    if not callable(execute):
        raise WorkflowDefinitionError(
            f"step '{id}': execute must be callable, got {type(execute).__name__}"
        )
    return Step(
        id=id,
        execute=execute,
        description=description,
        input_schema=input_schema,
        output_schema=output_schema,
        state_schema=state_schema,
        suspend_schema=suspend_schema,
        resume_schema=resume_schema,
        request_context_schema=request_context_schema,
        retries=retries,
        metadata=metadata,
    )


def step(
    *,
    id: str,
    input_schema: type[I2],
    output_schema: type[O2],
    description: str | None = None,
    state_schema: Any = None,
    suspend_schema: Any = None,
    resume_schema: Any = None,
    request_context_schema: Any = None,
    retries: int | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Callable[[Callable[[StepContext[I2]], Any]], Step[I2, O2]]:
    """Decorator form of `create_step`: `@step(id=..., input_schema=..., output_schema=...)`."""

    def wrap(fn: Callable[[StepContext[I2]], Any]) -> Step[I2, O2]:
        made: Step[I2, O2] = create_step(
            id=id,
            execute=fn,
            input_schema=input_schema,
            output_schema=output_schema,
            description=description if description is not None else inspect.getdoc(fn),
            state_schema=state_schema,
            suspend_schema=suspend_schema,
            resume_schema=resume_schema,
            request_context_schema=request_context_schema,
            retries=retries,
            metadata=metadata,
        )
        return made

    return wrap


def clone_step(source: Step[I2, O2], *, id: str) -> Step[I2, O2]:
    """A copy of `source` under a new id (Mastra's `cloneStep`; `request_context_schema` too)."""
    if source.component == "WORKFLOW":
        raise WorkflowDefinitionError(
            f"'{source.id}' is a workflow: use clone_workflow() to copy it"
        )
    return Step(
        id=id,
        execute=source.execute,
        description=source.description,
        input_schema=source.input_schema,
        output_schema=source.output_schema,
        state_schema=source.state_schema,
        suspend_schema=source.suspend_schema,
        resume_schema=source.resume_schema,
        request_context_schema=source.request_context_schema,
        retries=source.retries,
        metadata=source.metadata,
    )


def to_ms(value: float | int | timedelta) -> float:
    """Durations: a bare number is milliseconds (as in Mastra); a timedelta is accepted too."""
    if isinstance(value, timedelta):
        return value.total_seconds() * 1000.0
    return float(value)
