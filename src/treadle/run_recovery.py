"""Continuing stored runs: events from other processes, restart after a crash, continuing a
waiting run, time travel. Mixed into `Run`; kept apart so each file has one job."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._engine.aggregate import entry_output
from ._engine.finish import build_result
from ._engine.outcome import EMPTY, Outcome, ResumeArgs
from ._engine.resume import entry_index_of, waiting_entry
from ._graph.nodes import WaitForEventEntry, entry_steps
from .errors import RunStateError
from .persistence import RUN_META
from .request_context import RequestContext, as_request_context
from .results import WorkflowResult
from .storage.base import RunRecord

if TYPE_CHECKING:
    import asyncio

    from ._engine.execution import Execution
    from ._engine.inbox import EventInbox
    from .persistence import RunPersistence
    from .workflow import Workflow

__all__ = ["RecoveryMixin"]


class RecoveryMixin:
    """The durable half of `Run` (see run.py for the other half and the attributes used here)."""

    if TYPE_CHECKING:
        workflow: Workflow[Any, Any, Any]
        run_id: str
        workflow_id: str
        status: str
        clock: Any
        _p: RunPersistence
        _task: asyncio.Task[Any] | None

        @property
        def _inbox(self) -> EventInbox: ...

        async def _load(self) -> RunRecord: ...

        def _execution(
            self, input_value: Any, state: dict[str, Any], rc: RequestContext
        ) -> Execution: ...

        def _validate_state(self, initial_state: Any) -> dict[str, Any]: ...

        async def _drive(
            self,
            ex: Execution,
            start: int,
            resume: ResumeArgs | None,
            include_state: bool,
            include_resume_labels: bool,
            prev: Any = None,
        ) -> WorkflowResult: ...

    async def send_event(self, event: str, data: Any = None) -> WorkflowResult | None:
        """Deliver `event` to the run; its `wait_for_event(event, ...)` entry continues with
        `data` as the step's `resume_data`.

        When this process drives the run, the event goes to it directly. Otherwise it is stored;
        if the run waits for it and no live process holds the run, this call continues the run
        here and returns its result. Else the process that holds it takes the event (None).
        """
        inbox = self._inbox
        if self._task is not None or inbox.is_waiting_for(event):
            inbox.send(event, data)
            return None
        store = self.workflow.store
        record = await self._load()
        if record.status in ("success", "failed", "canceled"):
            raise RunStateError(
                f"run '{self.run_id}' has ended ({record.status}); it takes no events"
            )
        if record.status == "pending" and self.status == "pending":
            inbox.send(event, data)  # not started yet: kept for when it reaches the wait
            return None
        await store.push_signal(self.workflow_id, self.run_id, event, data)
        if (
            record.status == "waiting"
            and record.waiting_event == event
            and self._p.lease_expired(record)
        ):
            return await self._continue_waiting(record)
        return None

    async def restart(self, force: bool = False) -> WorkflowResult:
        """Continue a run left `running`/`waiting` (e.g. by a crash) from its last snapshot;
        finished steps are not run again.

        A run whose lease is still live (its process may still be driving it) is refused with
        `RunStateError` (code `WORKFLOW_RUN_LEASED`): wait for the lease to expire, or pass
        `force=True` when you know that process is gone (the old process, if alive after all,
        stops with `RunDisplacedError` at its next write of the run).
        """
        record = await self._load()
        if (
            not force
            and record.status in ("running", "waiting")
            and not self._p.lease_expired(record)
        ):
            raise RunStateError(
                f"run '{self.run_id}' is held by a live process ({record.lease_owner}) until "
                f"{record.lease_until}; restart it once that lease expires, or with force=True "
                "if that process is gone",
                code="WORKFLOW_RUN_LEASED",
            )
        if record.status in ("success", "failed"):
            ex = self._execution(
                record.snapshot.get("context", EMPTY).get("input"), {}, RequestContext()
            )
            ex.restore(record.snapshot)
            result = build_result(
                ex, _outcome_of(record), include_state=False, include_resume_labels=False
            )
            if record.status == "failed" and record.snapshot.get("error"):
                result.error = record.snapshot["error"]  # the stored error, as it was
            return result
        if record.status == "waiting":
            return await self._continue_waiting(record)
        if record.status != "running":
            raise RunStateError(f"This workflow run was not active (status: {record.status})")
        ex = self._execution(
            None, {}, RequestContext(record.snapshot.get("requestContext") or EMPTY)
        )
        ex.restore(record.snapshot)
        start = _first_unfinished(self.workflow, ex.context)
        # Claim the run first (compare-and-set): two restarters cannot both continue it.
        self._p.record = record
        await self._claim(ex, "restarted")
        return await self._drive(ex, start, None, False, False)

    async def time_travel(
        self,
        step: Any,
        input_data: Any = None,
        resume_data: Any = None,
        context: Mapping[str, Any] | None = None,
        initial_state: Any = None,
        request_context: RequestContext | Mapping[str, Any] | None = None,
        include_state: bool = False,
    ) -> WorkflowResult:
        """Run again from `step` (a top-level step id or Step): earlier results come from the
        stored run (or `context`), the step gets `input_data` (default: the previous output)."""
        record = await self._load()
        if self._task is not None or (
            record.status in ("running", "waiting") and not self._p.lease_expired(record)
        ):
            raise RunStateError("This workflow run is still running, cannot time travel")
        sid = step if isinstance(step, str) else str(step.id)
        idx = entry_index_of(self.workflow, sid.split(".")[0])
        if idx is None:
            raise RunStateError(
                f"time_travel: step '{sid}' is not in workflow '{self.workflow_id}' "
                f"(steps: {', '.join(self.workflow.steps)})"
            )
        rc = as_request_context(request_context)
        snap = record.snapshot
        state = dict(snap.get("value") or EMPTY)
        if initial_state is not None:
            state = self._validate_state(initial_state)
        ex = self._execution(snap.get("context", EMPTY).get("input"), state, rc)
        ex.restore(snap)
        ex.state = state
        keep: set[str] = {RUN_META}  # run-level bookkeeping (trace context...) stays
        for entry in self.workflow.entries[:idx]:
            keep.update(s.id for s in entry_steps(entry))
            keep.add(getattr(entry, "id", ""))
        ex.context = {k: v for k, v in ex.context.items() if k == "input" or k in keep}
        ex.meta = {k: v for k, v in ex.meta.items() if k in keep}
        ex.resume_labels = {k: v for k, v in ex.resume_labels.items() if v.get("stepId") in keep}
        for key, value in (context or EMPTY).items():
            ex.context[key] = {"status": "success", "output": value, "payload": None}
        ex.suspended_paths = {}
        if input_data is not None:
            target = self.workflow.steps.get(sid)
            if target is not None and self.workflow.validate_inputs:
                target._in.validate_or_raise(  # pyright: ignore[reportPrivateUsage]
                    input_data, f"Step '{sid}' input validation failed",
                    code="WORKFLOW_STEP_INPUT_VALIDATION_FAILED", step_id=sid,
                )  # fmt: skip
            prev = input_data
        elif idx == 0:
            prev = ex.context.get("input")
        else:
            prev = entry_output(self.workflow.entries[idx - 1], ex.context)
        args = None
        if resume_data is not None:
            args = ResumeArgs(resume_data, [sid])
        self._p.record = record
        await self._claim(ex, "time-traveled", replace=True)  # rewrites the stored run
        return await self._drive(ex, idx, args, include_state, False, prev=prev)

    async def _continue_waiting(self, record: RunRecord) -> WorkflowResult:
        """Take over a stored run that waits (sleep or event) and carry on from there."""
        snap = record.snapshot
        ex = self._execution(None, {}, RequestContext(snap.get("requestContext") or EMPTY))
        ex.restore(snap)
        found = waiting_entry(self.workflow, ex.context)
        if found is None:
            raise RunStateError(f"run '{self.run_id}' is stored as waiting but nothing in it waits")
        idx, entry = found
        self._p.record = record
        await self._claim(ex, "continued")  # one process wins the run
        self.status = "running"
        if isinstance(entry, WaitForEventEntry):
            present, data = await self.workflow.store.pop_signal(
                self.workflow_id, self.run_id, entry.event
            )
            if not present:
                await self._p.before_wait(ex, event=entry.event)
                data = await self._inbox.wait(entry.event, ex.abort)
                await self._p.after_wait(ex)
            return await self._drive(ex, idx, ResumeArgs(data, [entry.step.id]), False, False)
        sleeping = ex.context[entry.id]
        remaining = (record.wake_at or 0) - self.clock.now_ms()
        if remaining > 0:
            await self.clock.sleep(remaining)
        sleeping.update(
            status="success", output=sleeping.get("payload"), endedAt=self.clock.now_ms()
        )
        if ex.persist is not None:
            await ex.persist(entry.id, sleeping, None)
        return await self._drive(ex, idx + 1, None, False, False)

    async def _claim(self, ex: Execution, how: str, replace: bool = False) -> None:
        try:
            await self._p.save_head(ex, "running", claim=True, replace=replace)
        except RunStateError as exc:
            if exc.code != "WORKFLOW_RUN_VERSION_CONFLICT":
                raise
            raise RunStateError(
                f"run '{self.run_id}' of workflow '{self.workflow_id}' could not be {how}: "
                "another caller changed it first (it is being resumed or continued elsewhere)",
                code="WORKFLOW_RESUME_ALREADY_CLAIMED",
            ) from exc


def _outcome_of(record: RunRecord) -> Outcome:
    snap = record.snapshot
    if record.status == "success":
        return Outcome("success", snap.get("result"))
    error = RunStateError(str((snap.get("error") or EMPTY).get("message", "workflow failed")))
    return Outcome("failed", None, error)


def _first_unfinished(workflow: Workflow[Any, Any, Any], context: dict[str, Any]) -> int:
    for idx, entry in enumerate(workflow.entries):
        ids = [s.id for s in entry_steps(entry)] or [getattr(entry, "id", "")]
        if not all(context.get(i, EMPTY).get("status") == "success" for i in ids):
            return idx
    return len(workflow.entries)
