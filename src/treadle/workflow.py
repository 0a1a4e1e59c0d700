"""The workflow builder: `create_workflow(...).then(...)...commit()`, and `clone_workflow`."""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast, overload

from ._creation import Creations
from ._graph.mapping import compile_mapping, mapping_steps
from ._graph.nodes import (
    ConditionalEntry,
    Entry,
    ForEachEntry,
    LoopEntry,
    MappingEntry,
    ParallelEntry,
    SleepEntry,
    SleepUntilEntry,
    StepEntry,
    WaitForEventEntry,
    entry_steps,
)
from ._graph.serialize import serialize_entries
from ._schema import Schema
from .errors import WorkflowDefinitionError
from .run import open_run
from .step import Step, to_ms

if TYPE_CHECKING:
    from .context import ConditionContext, StepContext
    from .persistence import Persistence
    from .run import Run

__all__ = ["RetryConfig", "Workflow", "clone_workflow", "create_workflow"]

InT = TypeVar("InT", contravariant=True)
OutT = TypeVar("OutT", covariant=True)
PrevT = TypeVar("PrevT")
I2 = TypeVar("I2")
O2 = TypeVar("O2")
N = TypeVar("N")
E = TypeVar("E")

Condition = Callable[["ConditionContext"], Awaitable[bool] | bool]


@dataclass(frozen=True, slots=True)
class RetryConfig:
    """Workflow-wide retries: `attempts` extra tries per step, `delay` ms (or timedelta) between."""

    attempts: int = 0
    delay: float | timedelta = 0

    @property
    def delay_ms(self) -> float:
        return to_ms(self.delay)

    def __post_init__(self) -> None:
        if self.attempts < 0:
            raise WorkflowDefinitionError(f"RetryConfig.attempts must be >= 0, got {self.attempts}")
        object.__setattr__(self, "delay", to_ms(self.delay))


class Workflow(Step[InT, OutT], Generic[InT, OutT, PrevT]):
    """A workflow definition. Build it with the fluent methods, then `commit()`; a committed
    workflow is also a Step, so `.then(other_workflow)` nests it."""

    __slots__ = (
        "_creations",
        "_entries",
        "_map_count",
        "_runs",
        "_store",
        "app",
        "committed",
        "input_adapter",
        "on_error",
        "on_finish",
        "on_start",
        "request_context_adapter",
        "retry_config",
        "serialized_step_graph",
        "state_schema_adapter",
        "steps",
        "validate_inputs",
    )

    def __init__(
        self,
        *,
        id: str,
        input_schema: Any = None,
        output_schema: Any = None,
        description: str | None = None,
        state_schema: Any = None,
        request_context_schema: Any = None,
        retry_config: RetryConfig | None = None,
        on_start: Callable[..., Any] | None = None,
        on_finish: Callable[..., Any] | None = None,
        on_error: Callable[..., Any] | None = None,
        validate_inputs: bool = True,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(
            id=id,
            execute=None,
            description=description,
            input_schema=input_schema,
            output_schema=output_schema,
            state_schema=state_schema,
            request_context_schema=request_context_schema,
            metadata=metadata,
            component="WORKFLOW",
        )
        self._entries: list[Entry] = []
        self._map_count = 0
        # Run handles this process holds, by id: the same id gives the same handle while someone
        # holds it; a dropped handle is forgotten (a long-lived app must not keep every run).
        self._runs: weakref.WeakValueDictionary[str, Run[Any, Any]] = weakref.WeakValueDictionary()
        self._creations = Creations()  # new runs whose `pending` write is owed
        self._store: Any = None  # the app's store, or a private InMemoryStore when unregistered
        self.app: Any = None
        self.committed = False
        self.input_adapter = self._in
        self.state_schema_adapter: Schema | None = self._state
        self.request_context_adapter: Schema | None = self._request_context
        self.retry_config = retry_config or RetryConfig()
        self.on_start = on_start
        self.on_finish = on_finish
        self.on_error = on_error
        self.validate_inputs = validate_inputs
        self.steps: dict[str, Step[Any, Any]] = {}
        self.serialized_step_graph: list[dict[str, Any]] = []

    # -- building -----------------------------------------------------------------------------
    def _add(self, entry: Entry) -> Any:
        self._entries.append(entry)
        self.committed = False
        return self

    def then(self, step: Step[PrevT, N]) -> Workflow[InT, OutT, N]:
        """Run `step` on the previous output."""
        _check_step(step, "then")
        return self._add(StepEntry(step))

    def parallel(self, steps: Sequence[Step[PrevT, Any]]) -> Workflow[InT, OutT, dict[str, Any]]:
        """Run `steps` at once on the same input; the next input is `{step_id: output}`."""
        if not steps:
            raise WorkflowDefinitionError(
                f"workflow '{self.id}': parallel() needs at least one step"
            )
        for s in steps:
            _check_step(s, "parallel")
        return self._add(ParallelEntry(tuple(steps)))

    def branch(
        self, branches: Sequence[tuple[Condition, Step[PrevT, Any]]]
    ) -> Workflow[InT, OutT, dict[str, Any]]:
        """Run every step whose condition is true (concurrently); the next input is
        `{step_id: output}` of the steps that ran (`{}` when none did)."""
        if not branches:
            raise WorkflowDefinitionError(f"workflow '{self.id}': branch() needs at least one arm")
        for cond, s in branches:
            if not callable(cond):
                raise WorkflowDefinitionError(
                    f"workflow '{self.id}': branch condition for '{getattr(s, 'id', s)}' is not callable"
                )
            _check_step(s, "branch")
        return self._add(
            ConditionalEntry(tuple(c for c, _ in branches), tuple(s for _, s in branches))
        )

    def do_while(self, step: Step[PrevT, N], condition: Condition) -> Workflow[InT, OutT, N]:
        """Run `step`, then again on its own output while `condition` is true."""
        return self._loop(step, condition, "dowhile")

    def do_until(self, step: Step[PrevT, N], condition: Condition) -> Workflow[InT, OutT, N]:
        """Run `step`, then again on its own output until `condition` is true."""
        return self._loop(step, condition, "dountil")

    def _loop(
        self, step: Step[Any, Any], condition: Condition, kind: Literal["dowhile", "dountil"]
    ) -> Any:
        _check_step(step, kind)
        if not callable(condition):
            raise WorkflowDefinitionError(f"workflow '{self.id}': {kind} condition is not callable")
        return self._add(LoopEntry(step, condition, kind))

    def for_each(
        self: Workflow[I2, O2, list[E]] | Workflow[I2, O2, Any],
        step: Step[E, N],
        concurrency: int | Callable[[ConditionContext], Any] = 1,
    ) -> Workflow[I2, O2, list[N]]:
        """Run `step` once per item of the previous output (a list), `concurrency` at a time;
        the next input is the list of outputs, in input order."""
        _check_step(step, "for_each")
        if isinstance(concurrency, int) and concurrency < 1:
            raise WorkflowDefinitionError(
                f"workflow '{self.id}': for_each concurrency must be >= 1, got {concurrency}"
            )
        return self._add(ForEachEntry(step, concurrency))

    @overload
    def map(
        self, fn: Callable[[StepContext[PrevT]], Awaitable[N]], id: str | None = None
    ) -> Workflow[InT, OutT, N]: ...
    @overload
    def map(
        self, fn: Callable[[StepContext[PrevT]], N], id: str | None = None
    ) -> Workflow[InT, OutT, N]: ...
    @overload
    def map(
        self, fn: Mapping[str, Any], id: str | None = None
    ) -> Workflow[InT, OutT, dict[str, Any]]: ...
    def map(self, fn: Any, id: str | None = None) -> Any:
        """Reshape the previous output with a function of the step context, or a dict of
        `map_variable(...)`, `{"value": ...}`, `{"fn": ...}`, `{"template": ...}`,
        `{"request_context_path": ...}` specs."""
        step_id = id or f"mapping_{self.id}_{self._map_count}"
        self._map_count += 1
        if isinstance(fn, Mapping):
            execute: Any = compile_mapping(fn, step_id)  # pyright: ignore[reportUnknownArgumentType]
        elif callable(fn):
            execute = _inline_async(fn)
        else:
            raise WorkflowDefinitionError(
                f"workflow '{self.id}': map() takes a function or a dict, got {type(fn).__name__}"
            )
        mapping: Step[Any, Any] = Step(id=step_id, execute=execute, component="MAPPING")
        return self._add(MappingEntry(mapping, cast(Any, fn)))

    def sleep(
        self,
        duration: float | timedelta | Callable[[ConditionContext], Any],
        id: str | None = None,
    ) -> Workflow[InT, OutT, PrevT]:
        """Pause for `duration` ms (or a timedelta, or fn(ctx) -> ms); passes its input on."""
        sid = id or self._auto_id("sleep")
        if callable(duration):
            return self._add(SleepEntry(sid, None, duration))
        return self._add(SleepEntry(sid, to_ms(duration), None))

    def sleep_until(
        self, when: datetime | Callable[[ConditionContext], Any], id: str | None = None
    ) -> Workflow[InT, OutT, PrevT]:
        """Pause until `when` (a datetime, or fn(ctx) -> datetime); passes its input on."""
        sid = id or self._auto_id("sleep")
        if callable(when):
            return self._add(SleepUntilEntry(sid, None, when))
        if not isinstance(when, datetime):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise WorkflowDefinitionError(f"workflow '{self.id}': sleep_until() takes a datetime")
        return self._add(SleepUntilEntry(sid, when, None))

    def wait_for_event(self, event: str, step: Step[PrevT, N]) -> Workflow[InT, OutT, N]:
        """Pause until `run.send_event(event, data)`, then run `step` with `resume_data=data`."""
        if not event:
            raise WorkflowDefinitionError(
                f"workflow '{self.id}': wait_for_event() needs an event name"
            )
        _check_step(step, "wait_for_event")
        return self._add(WaitForEventEntry(event, step))

    def _auto_id(self, kind: str) -> str:
        """`sleep_<uuid>` as in Mastra, but derived from the workflow id and the position, so
        every process that defines the workflow gets the same id (stored runs refer to it)."""
        stable = uuid.uuid5(uuid.NAMESPACE_URL, f"treadle:{self.id}:{kind}:{len(self._entries)}")
        return f"{kind}_{stable}"

    def commit(self) -> Workflow[InT, OutT, PrevT]:
        """Freeze the graph: check it and compute `steps` and `serialized_step_graph`."""
        if not self._entries:
            raise WorkflowDefinitionError(
                f"workflow '{self.id}': execution flow is not defined; add steps with .then(), "
                ".parallel(), .branch()... before commit()"
            )
        steps: dict[str, Step[Any, Any]] = {}
        for entry in self._entries:
            ids = [e.id for e in (entry,) if isinstance(e, SleepEntry | SleepUntilEntry)]
            for sid in ids:
                if sid in steps:
                    raise WorkflowDefinitionError(f"workflow '{self.id}': id '{sid}' is used twice")
                steps[sid] = Step(id=sid, execute=None, component="SLEEP")
            for s in entry_steps(entry):
                known = steps.get(s.id)
                if known is not None and known is not s:
                    raise WorkflowDefinitionError(
                        f"workflow '{self.id}': two different steps have the id '{s.id}'; "
                        "give each step its own id (clone_step(step, id=...) makes a copy)"
                    )
                steps[s.id] = s
            if isinstance(entry, MappingEntry) and isinstance(entry.config, Mapping):
                config = cast(Mapping[str, Any], entry.config)  # pyright: ignore[reportUnknownMemberType]
                for ref in mapping_steps(config):
                    if ref.id not in steps:
                        raise WorkflowDefinitionError(
                            f"workflow '{self.id}': map '{entry.step.id}' refers to step '{ref.id}', "
                            "which does not run before it"
                        )
        if "input" in steps:
            raise WorkflowDefinitionError(f"workflow '{self.id}': 'input' is a reserved step id")
        self.steps = steps
        self.serialized_step_graph = serialize_entries(self._entries)
        self.committed = True
        return self

    @property
    def entries(self) -> list[Entry]:
        return self._entries

    @property
    def store(self) -> Any:
        """Where this workflow's runs are kept: the app's store, else a private in-memory one."""
        if self.app is not None:
            return self.app.storage
        if self._store is None:
            from .storage.memory import InMemoryStore

            self._store = InMemoryStore()
        return self._store

    # -- runs ---------------------------------------------------------------------------------
    async def create_run(
        self,
        run_id: str | None = None,
        resource_id: str | None = None,
        persistence: Persistence | None = None,
    ) -> Run[InT, OutT]:
        """A run handle; an existing `run_id` loads that run. `persistence` is "step" (every
        step result durable when the step ends) or "finish" (only at wait, suspend and finish);
        the default is the store's (`"step"`, or `"finish"` for the in-memory store)."""
        return await open_run(self, run_id, resource_id, persistence)

    async def list_workflow_runs(self, **filters: Any) -> Any:
        from .run_queries import list_workflow_runs

        return await list_workflow_runs(self, **filters)

    async def get_workflow_run_by_id(self, run_id: str, fields: Sequence[str] | None = None) -> Any:
        from .run_queries import get_workflow_run_by_id

        return await get_workflow_run_by_id(self, run_id, fields)

    async def get_run_logs(
        self, run_id: str, *, after: int = 0, limit: int | None = None, level: str | None = None
    ) -> list[dict[str, Any]]:
        """The log records kept while run `run_id` executed (any process), oldest first."""
        from .logs import read_run_logs

        return await read_run_logs(
            self.store, self.id, run_id, after=after, limit=limit, level=level
        )

    async def delete_workflow_run_by_id(self, run_id: str) -> None:
        from .run_queries import delete_workflow_run_by_id

        await delete_workflow_run_by_id(self, run_id)

    async def list_active_workflow_runs(self) -> Any:
        from .run_queries import list_active_workflow_runs

        return await list_active_workflow_runs(self)

    async def restart_all_active_workflow_runs(self) -> None:
        from .run_queries import restart_all_active_workflow_runs

        await restart_all_active_workflow_runs(self)


def _inline_async(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Map functions are cheap data shaping: run a plain `def` inline, not in a worker thread."""
    import inspect

    if inspect.iscoroutinefunction(fn):
        return fn

    async def call(ctx: Any) -> Any:
        value = fn(ctx)
        return await value if inspect.isawaitable(value) else value

    return call


def _check_step(step: Any, where: str) -> None:
    if not isinstance(step, Step):
        raise WorkflowDefinitionError(
            f"{where}() takes a step made with create_step() or a committed workflow, got {step!r}"
        )
    if isinstance(step, Workflow) and not step.committed:
        raise WorkflowDefinitionError(
            f"nested workflow '{step.id}' is not committed; call .commit() on it first"
        )


def create_workflow(
    *,
    id: str,
    input_schema: type[I2] | Any = None,
    output_schema: type[O2] | Any = None,
    description: str | None = None,
    state_schema: Any = None,
    request_context_schema: Any = None,
    retry_config: RetryConfig | None = None,
    on_start: Callable[..., Any] | None = None,
    on_finish: Callable[..., Any] | None = None,
    on_error: Callable[..., Any] | None = None,
    validate_inputs: bool = True,
    metadata: Mapping[str, Any] | None = None,
) -> Workflow[I2, O2, I2]:
    """Start building a workflow (Mastra's `createWorkflow`)."""
    return Workflow(
        id=id,
        input_schema=input_schema,
        output_schema=output_schema,
        description=description,
        state_schema=state_schema,
        request_context_schema=request_context_schema,
        retry_config=retry_config,
        on_start=on_start,
        on_finish=on_finish,
        on_error=on_error,
        validate_inputs=validate_inputs,
        metadata=metadata,
    )


def clone_workflow(source: Workflow[I2, O2, PrevT], *, id: str) -> Workflow[I2, O2, PrevT]:
    """A committed copy of `source` under a new id, with the same graph and options."""
    copy: Workflow[I2, O2, PrevT] = Workflow(
        id=id,
        input_schema=source.input_schema,
        output_schema=source.output_schema,
        description=source.description,
        state_schema=source.state_schema,
        request_context_schema=source.request_context_schema,
        retry_config=source.retry_config,
        on_start=source.on_start,
        on_finish=source.on_finish,
        on_error=source.on_error,
        validate_inputs=source.validate_inputs,
        metadata=source.metadata,
    )
    copy._entries = list(source.entries)  # pyright: ignore[reportPrivateUsage]
    copy._map_count = source._map_count  # pyright: ignore[reportPrivateUsage]
    return copy.commit() if source.entries else copy
