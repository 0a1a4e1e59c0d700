"""Run: the handle of one workflow run (start, resume, stream, cancel, watch, restart...)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from . import logs, tracing
from ._creation import OwedCreation, load_settled
from ._engine.abort import AbortSignal
from ._engine.clock import SYSTEM_CLOCK
from ._engine.execution import Emit, Execution
from ._engine.finish import build_result, run_status
from ._engine.flow import run_entries
from ._engine.inbox import EventInbox
from ._engine.outcome import Outcome, ResumeArgs
from ._engine.resume import leaf_step, resolve_target
from ._ids import new_id
from ._schema import Schema
from .errors import RunNotFoundError, RunStateError, WorkflowDefinitionError
from .persistence import Persistence, RunDisplacedError, RunPersistence
from .request_context import RequestContext, as_request_context
from .results import WorkflowResult
from .run_callbacks import CallbacksMixin, RunInfo
from .run_recovery import RecoveryMixin
from .run_streams import StreamsMixin, bound_emitters
from .storage.base import RunRecord

if TYPE_CHECKING:
    from .events import EventBus, OutputWriter
    from .workflow import Workflow
from ._engine.outcome import EMPTY

__all__ = ["Run", "RunInfo", "open_run"]

InT = TypeVar("InT", contravariant=True)
OutT = TypeVar("OutT", covariant=True)


async def open_run(
    workflow: Workflow[Any, Any, Any],
    run_id: str | None,
    resource_id: str | None,
    persistence: Persistence | None = None,
) -> Run[Any, Any]:
    if not workflow.entries:
        raise WorkflowDefinitionError(
            f"workflow '{workflow.id}': execution flow is not defined; add steps with .then(), "
            ".branch()... and commit()"
        )
    if not workflow.committed:
        raise WorkflowDefinitionError(
            f"workflow '{workflow.id}': uncommitted step flow changes; call .commit() first"
        )
    if run_id is not None:
        held = workflow._runs.get(run_id)  # pyright: ignore[reportPrivateUsage]
        if held is not None:
            return held
    store = workflow.store
    rid = run_id or new_id()
    record = await load_settled(workflow, rid) if run_id is not None else None
    if record is None:
        now = (workflow.app.clock if workflow.app is not None else SYSTEM_CLOCK).now_ms()
        record = RunRecord(
            workflow_name=workflow.id,
            run_id=rid,
            status="pending",
            snapshot={"runId": rid, "status": "pending", "context": {}, "value": {}},
            resource_id=resource_id,
            created_at=now,
            updated_at=now,
        )
        # Written on the loop's next turn, unless the run starts first (its start writes it).
        workflow._creations.owe(store, record)  # pyright: ignore[reportPrivateUsage]
    policy: Persistence = persistence or getattr(store, "default_persistence", "step")
    # A run id made here is new everywhere: its event log is known to be empty (no read needed).
    run: Run[Any, Any] = Run(workflow, record, policy, new=run_id is None)
    workflow._runs[rid] = run  # pyright: ignore[reportPrivateUsage]
    return run


class Run(StreamsMixin, RecoveryMixin, CallbacksMixin, Generic[InT, OutT]):
    """One run of a workflow. Get it from `await workflow.create_run()`."""

    def __init__(
        self,
        workflow: Workflow[Any, Any, Any],
        record: RunRecord,
        persistence: Persistence = "step",
        new: bool = False,
    ) -> None:
        self.workflow = workflow
        self.run_id = record.run_id
        self.workflow_id = workflow.id
        self.resource_id = record.resource_id
        self.status: str = record.status
        app = workflow.app
        self.clock: Any = app.clock if app is not None else SYSTEM_CLOCK
        self._p = RunPersistence(workflow.store, record, persistence, self.clock)
        self._bus_: EventBus | None = None
        self._new_log = new  # True: this process created the run, its event log is empty
        self._inbox_: EventInbox | None = None
        self._abort: AbortSignal | None = None
        self._live: Execution | None = None  # the Execution being driven, if any
        self._task: asyncio.Task[Any] | None = None
        self._background: asyncio.Task[Any] | None = None  # start_async's task, kept referenced

    # -- public API ---------------------------------------------------------------------------
    async def start(
        self,
        input_data: Any = None,
        initial_state: Any = None,
        request_context: RequestContext | Mapping[str, Any] | None = None,
        include_state: bool = False,
        include_resume_labels: bool = False,
        output_writer: OutputWriter | None = None,
    ) -> WorkflowResult:
        """Run the workflow from the start and return its result. `output_writer(chunk)`
        (sync or async) receives what steps write with `ctx.writer` during this call."""
        if output_writer is not None:
            return await self._with_output(
                output_writer,
                self.start(input_data, initial_state, request_context, include_state,
                           include_resume_labels),
            )  # fmt: skip
        try:
            ex = self._prepare_start(input_data, initial_state, request_context)
            if self.workflow.on_start is not None:
                await self._on_start(ex)
        except BaseException:
            owed = self._owed
            if owed is not None:
                owed.start_refused()
            raise
        await self._first_write(ex)
        return await self._drive(ex, 0, None, include_state, include_resume_labels)

    async def resume(
        self,
        step: Any = None,
        resume_data: Any = None,
        label: str | None = None,
        for_each_index: int | None = None,
        request_context: RequestContext | Mapping[str, Any] | None = None,
        include_state: bool = False,
        include_resume_labels: bool = False,
        output_writer: OutputWriter | None = None,
    ) -> WorkflowResult:
        """Continue a suspended run at `step` (id, Step, path list, "outer.inner", or omitted
        when exactly one step is suspended) with `resume_data`."""
        if output_writer is not None:
            return await self._with_output(
                output_writer,
                self.resume(step, resume_data, label, for_each_index, request_context,
                            include_state, include_resume_labels),
            )  # fmt: skip
        ex, start, args = await self._prepare_resume(
            step, resume_data, label, for_each_index, request_context
        )
        return await self._drive(ex, start, args, include_state, include_resume_labels)

    async def _with_output(
        self, writer: OutputWriter, call: Coroutine[Any, Any, WorkflowResult]
    ) -> WorkflowResult:
        remove = self._bus.add_output(writer)
        try:
            return await call
        finally:
            remove()

    async def cancel(self) -> None:
        """Cancel the run: the running async step is interrupted at its next await and recorded
        `canceled`; the run ends `canceled`. A suspended or waiting run is marked canceled."""
        if self._abort is None:
            self._abort = AbortSignal()
        self._abort.fire()
        task = self._task
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
            return
        if self.status in ("suspended", "waiting", "pending"):
            record = await load_settled(self.workflow, self.run_id)
            if record is not None:
                record.status = "canceled"
                record.snapshot["status"] = "canceled"
                record.updated_at = self.clock.now_ms()
                record.wake_at = record.waiting_event = None
                record.lease_owner = record.lease_until = None
                await self.workflow.store.save_run(record)
            self.status = "canceled"

    def start_sync(self, **kwargs: Any) -> WorkflowResult:
        """`start(...)` for synchronous code (runs its own event loop)."""
        return asyncio.run(self.start(**kwargs))

    def resume_sync(self, **kwargs: Any) -> WorkflowResult:
        """`resume(...)` for synchronous code (runs its own event loop)."""
        return asyncio.run(self.resume(**kwargs))

    async def start_async(
        self,
        input_data: Any = None,
        initial_state: Any = None,
        request_context: RequestContext | Mapping[str, Any] | None = None,
    ) -> str:
        """Start in the background and return the run id at once; read the result later with
        `workflow.get_workflow_run_by_id(run_id)`. Bad input still raises here."""
        ex = self._prepare_start(input_data, initial_state, request_context)
        if self.workflow.on_start is not None:
            await self._on_start(ex)
        # As Mastra: the stored run stays `pending` until the engine writes it; only this handle
        # is marked running, so a second start() is refused.
        self.status = "running"
        self._starting_in_task()
        self._background = asyncio.get_running_loop().create_task(self._start_in_background(ex))
        return self.run_id

    async def _start_in_background(self, ex: Execution) -> WorkflowResult:
        await self._first_write(ex)  # from here on the run can be recovered
        return await self._drive(ex, 0, None, False, False)

    async def _first_write(self, ex: Execution) -> None:
        """The start's `running` write, which also creates the stored run if its `pending`
        write has not happened yet."""
        owed = self._owed
        if owed is not None and not owed.left_to_start():
            await owed.settle(write=False)
        await self._p.save_head(ex, "running")

    def _starting_in_task(self) -> None:
        """A start was handed to a task (`stream()`, `start_async()`): its first write will
        create the run, so the owed `pending` write is not begun meanwhile."""
        owed = self._owed
        if owed is not None:
            owed.starting = True

    @property
    def _owed(self) -> OwedCreation | None:
        """This run's `pending` write, while it is owed (see `_creation`)."""
        return self.workflow._creations.owed.get(self.run_id)  # pyright: ignore[reportPrivateUsage]

    # -- internals ----------------------------------------------------------------------------
    @property
    def _inbox(self) -> EventInbox:
        if self._inbox_ is None:
            store, name, run_id = self.workflow.store, self.workflow_id, self.run_id
            self._inbox_ = EventInbox(lambda event: store.pop_signal(name, run_id, event))
        return self._inbox_

    def _execution(self, input_value: Any, state: dict[str, Any], rc: RequestContext) -> Execution:
        bus = self._bus_
        run_id = self.run_id
        emit: Emit | None = None
        emit_output: Emit | None = None
        if bus is not None and bus.active:
            emit, emit_output = bound_emitters(bus)

        self._abort = AbortSignal()
        ex = Execution(
            self.workflow,
            run_id=run_id,
            resource_id=self.resource_id,
            input_value=input_value,
            state=state,
            request_context=rc,
            abort=self._abort,
            clock=self.clock,
            app=self.workflow.app,
            emit=emit,
            emit_output=emit_output,
            events=self._inbox,
        )
        ex.tracer = tracing.active  # None unless treadle.otel's instrumentor is on
        self._p.attach(ex)
        return ex

    def _validate_state(self, initial_state: Any) -> dict[str, Any]:
        schema = self.workflow.state_schema_adapter
        if schema is None:
            return dict(initial_state or EMPTY)
        value = schema.validate_or_raise(
            initial_state if initial_state is not None else {},
            "Invalid initial data",
            details={"type": "initial data"},
        )
        return schema.dump(value)

    def _prepare_start(
        self, input_data: Any, initial_state: Any, request_context: Any
    ) -> Execution:
        if self.status not in ("pending",):
            raise RunStateError(
                f"run '{self.run_id}' has already started (status: {self.status}); "
                "create a new run, or resume/restart this one"
            )
        wf = self.workflow
        if wf.validate_inputs:
            value = wf.input_adapter.validate_or_raise(
                input_data, "Invalid input data", details={"type": "input data"}
            )
            input_value = wf.input_adapter.dump(value)
        else:
            input_value = Schema.of(None).dump(input_data)
        state = self._validate_state(initial_state)
        rc = as_request_context(request_context)
        if wf.request_context_adapter is not None:
            wf.request_context_adapter.validate_or_raise(
                rc.to_dict(), f"Request context validation failed for workflow '{wf.id}'"
            )
        return self._execution(input_value, state, rc)

    async def _prepare_resume(
        self,
        step: Any,
        resume_data: Any,
        label: str | None,
        for_each_index: int | None,
        request_context: Any,
    ) -> tuple[Execution, int, ResumeArgs]:
        record = await load_settled(self.workflow, self.run_id)
        if (
            record is not None
            and record.status in ("running", "waiting")
            and not self._p.lease_expired(record)
        ):
            raise RunStateError(
                f"run '{self.run_id}' of workflow '{self.workflow_id}' could not be resumed: "
                "another caller resumed it first and is running it",
                code="WORKFLOW_RESUME_ALREADY_CLAIMED",
            )
        if record is None or record.status != "suspended":
            raise RunStateError("This workflow run was not suspended")
        snap = record.snapshot
        rc = RequestContext(snap.get("requestContext") or EMPTY)
        if request_context is not None:
            rc.update(as_request_context(request_context))
        ex = self._execution(None, {}, rc)
        ex.restore(snap)
        path, index = resolve_target(ex, step, label, for_each_index)
        target = leaf_step(self.workflow, path)
        resume_schema = target._resume if target is not None else None  # pyright: ignore[reportPrivateUsage]
        if resume_schema is not None:
            resume_data = resume_schema.dump(
                resume_schema.validate_or_raise(
                    resume_data if resume_data is not None else {},
                    "Invalid resume data",
                    details={"type": "resume data"},
                    step_id=path[-1],
                )
            )
        # Claim the run (compare-and-set on the stored version): one resumer wins.
        self._p.record = record
        await self._claim(ex, "resumed")
        self.status = "running"
        start = ex.suspended_paths[path[0]][0]
        return ex, start, ResumeArgs(resume_data, path, index)

    async def _drive(
        self,
        ex: Execution,
        start: int,
        resume: ResumeArgs | None,
        include_state: bool,
        include_resume_labels: bool,
        prev: Any = None,
    ) -> WorkflowResult:
        self.status = "running"
        self._task = asyncio.current_task()
        await self._open_log(ex)  # nothing unless the run is streamed (the usual case)
        self._live = ex
        logs.install()
        in_run = logs.current_run.set(logs.LogSink(self.run_id, self.workflow_id, self._log_of))
        try:
            result = await self._run_to_end(
                ex, start, resume, include_state, include_resume_labels, prev
            )
        except BaseException as exc:
            self._drive_over(ex)
            await self._end_drive_log(None, exc)
            raise
        else:
            self._drive_over(ex)
            await self._end_drive_log(result, None)
        finally:
            if self._live is ex:  # a resume may have begun a new drive meanwhile
                self._live = None
            logs.current_run.reset(in_run)
        wf = self.workflow
        if wf.on_finish is not None or wf.on_error is not None:
            await self._callbacks(ex, result)
        return result

    def _drive_over(self, ex: Execution) -> None:
        """The drive of `ex` is over, before its log's `workflow-finish` is written: a stream
        re-attaching while that write is awaited must not see the drive as live (it would open
        the log for it again, logging a second `workflow-start`)."""
        if self._live is ex:
            self._live = None

    async def _run_to_end(
        self,
        ex: Execution,
        start: int,
        resume: ResumeArgs | None,
        include_state: bool,
        include_resume_labels: bool,
        prev: Any,
    ) -> WorkflowResult:
        try:
            if prev is None:
                outcome = await run_entries(ex, start, resume)
            else:
                outcome = await run_entries(ex, start, resume, prev)
        except asyncio.CancelledError:
            if not ex.abort.aborted:  # the driving task was cancelled: nobody drives the run now
                self._p.stop_heartbeat()
                raise
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            outcome = Outcome("canceled")
        except BaseException:
            # A storage failure (or anything else escaping the engine): the stored run stays as
            # it was at its last good write, so it can be restarted; stop renewing its lease.
            self._p.stop_heartbeat()
            self.status = "running"
            raise
        finally:
            self._task = None
        result = build_result(
            ex, outcome, include_state=include_state, include_resume_labels=include_resume_labels
        )
        self.status = status = run_status(outcome)
        try:
            await self._p.save_head(ex, status, result=result, final=True, claim=True)
        except RunStateError as exc:
            if exc.code != "WORKFLOW_RUN_VERSION_CONFLICT":
                raise
            self._p.stop_heartbeat()
            raise RunDisplacedError(
                f"run '{self.run_id}' was taken over by another process while this one ran it; "
                "this process's result was not stored"
            ) from exc
        if status == "canceled" and ex.emit is not None:
            ex.emit("workflow-canceled", {})
        return result

    async def _stored_result(self) -> WorkflowResult:
        """The result of the run as stored (for a stream that follows a run it did not drive)."""
        record = await self._load()
        ex = self._execution(
            None, {}, RequestContext(record.snapshot.get("requestContext") or EMPTY)
        )
        ex.restore(record.snapshot)
        snap = record.snapshot
        status = record.status
        if status == "success":
            outcome = Outcome("success", snap.get("result"))
        elif status in ("suspended", "canceled"):
            outcome = Outcome(status)
        elif status == "failed":
            outcome = Outcome(
                "failed",
                None,
                RunStateError(str((snap.get("error") or EMPTY).get("message", "workflow failed"))),
            )
        else:
            raise RunStateError(f"run '{self.run_id}' has not ended (status: {status})")
        result = build_result(ex, outcome, include_state=False, include_resume_labels=False)
        if status == "failed" and snap.get("error"):
            result.error = snap["error"]
        return result

    async def _load(self) -> RunRecord:
        record = await load_settled(self.workflow, self.run_id)
        if record is None:
            raise RunNotFoundError(
                f"No snapshot found for this workflow run: {self.workflow_id} {self.run_id}"
            )
        return record
