"""OpenTelemetry tracing: the span tree of each block kind, errors, cancel, and one trace across
suspend/resume, time travel and another process continuing a sleeping run."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from flow_steps import N, inc
from observability.span_tree import Spans
from treadle import StepContext, Treadle, create_step, create_workflow
from treadle.request_context import RequestContext
from treadle.storage import InMemoryStore
from treadle.testing import FakeClock


def _approval_workflow() -> Any:
    async def approve(ctx: StepContext[N]) -> N:
        if ctx.resume_data is None:
            await ctx.suspend({"ask": "ok?"})
        return N(n=ctx.input_data.n + 10)

    step = create_step(id="approve", input_schema=N, output_schema=N, execute=approve)
    wf = create_workflow(id="approval", input_schema=N, output_schema=N)
    return wf.then(inc("prep")).then(step).then(inc("done")).commit()


def _hex(span: Any) -> tuple[str, str]:
    ctx = span.context
    return trace.format_trace_id(ctx.trace_id), trace.format_span_id(ctx.span_id)


async def test_resume_from_a_fresh_handle_continues_the_trace(spans: Spans) -> None:
    store = InMemoryStore()
    first = _approval_workflow()
    Treadle(workflows={"a": first}, storage=store)
    run = await first.create_run(resource_id="user-7")
    suspended = await run.start(input_data={"n": 1})
    assert suspended.status == "suspended"

    run1 = spans.one("workflow_run")
    assert run1.parent is None
    attrs = run1.attributes or {}
    assert attrs["gen_ai.operation.name"] == "invoke_workflow"
    assert attrs["gen_ai.workflow.name"] == "approval"
    assert attrs["treadle.workflow.id"] == "approval"
    assert attrs["treadle.run.id"] == run.run_id
    assert attrs["treadle.resource.id"] == "user-7"
    assert attrs["treadle.run.status"] == "suspended"
    assert attrs["treadle.suspended"] is True
    assert spans.child_names(run1) == ["workflow_step:prep", "workflow_step:approve"]
    approve1 = spans.step("approve")
    assert (approve1.attributes or {})["treadle.step.status"] == "suspended"
    assert (approve1.attributes or {})["treadle.suspended"] is True
    prep = spans.step("prep")
    assert (prep.attributes or {})["treadle.step.status"] == "success"
    assert (prep.attributes or {})["treadle.step.attempt"] == 1

    stored = await store.load_run("approval", run.run_id)
    assert stored is not None
    trace_id, span_id = _hex(run1)
    assert stored.snapshot["meta"]["$run"]["trace"] == {
        "traceId": trace_id,
        "spanId": span_id,
        "sampled": True,
    }

    # Another process: a fresh definition and handle, loading the run from the store.
    spans.clear()
    again = _approval_workflow()
    Treadle(workflows={"a": again}, storage=store)
    handle = await again.create_run(run_id=run.run_id)
    assert handle is not run
    result = await handle.resume(step="approve", resume_data={"ok": True})
    assert result.status == "success"
    assert result.result == {"n": 13}

    run2 = spans.one("workflow_run")
    assert run1.context is not None and run2.context is not None and run2.parent is not None
    assert run2.context.trace_id == run1.context.trace_id
    assert run2.parent.span_id == run1.context.span_id
    assert [link.context.span_id for link in run2.links] == [run1.context.span_id]
    assert (run2.attributes or {})["treadle.run.continued"] is True
    assert (run2.attributes or {})["treadle.run.status"] == "success"
    assert (run2.attributes or {})["treadle.suspended"] is False
    assert spans.child_names(run2) == ["workflow_step:approve", "workflow_step:done"]
    assert all(
        s.context is not None and s.context.trace_id == run1.context.trace_id for s in spans.all
    )
    # The stored context stays the first drive's: every later drive hangs under it.
    stored = await store.load_run("approval", run.run_id)
    assert stored is not None
    assert stored.snapshot["meta"]["$run"]["trace"]["spanId"] == span_id


async def test_a_run_started_inside_a_span_is_its_child(spans: Spans) -> None:
    wf = create_workflow(id="under-caller", input_schema=N).then(inc("a")).commit()
    tracer = TracerProvider().get_tracer("caller")  # e.g. the web framework's request span
    with tracer.start_as_current_span("request") as request:
        await (await wf.create_run()).start(input_data={"n": 0})
    run = spans.one("workflow_run")
    assert run.parent is not None
    assert run.parent.span_id == request.get_span_context().span_id


async def test_parallel_steps_are_children_of_the_parallel_span(spans: Spans) -> None:
    gate = asyncio.Event()

    async def waits(ctx: StepContext[N]) -> N:
        await gate.wait()  # makes p1 a real task, so p2 starts while p1 is still open
        return ctx.input_data

    async def opens(ctx: StepContext[N]) -> N:
        gate.set()
        return ctx.input_data

    p1 = create_step(id="p1", input_schema=N, output_schema=N, execute=waits)
    p2 = create_step(id="p2", input_schema=N, output_schema=N, execute=opens)
    wf = (
        create_workflow(id="par", input_schema=N)
        .parallel([p1, p2])
        .then(create_step(id="join", execute=lambda ctx: {"ok": True}))
    )
    wf.commit()
    result = await (await wf.create_run()).start(input_data={"n": 1})
    assert result.status == "success"

    run = spans.one("workflow_run")
    parallel = spans.one("workflow_parallel")
    assert spans.is_child(parallel, run)
    assert (parallel.attributes or {})["treadle.parallel.steps"] == ("p1", "p2")
    assert (parallel.attributes or {})["treadle.step.status"] == "success"
    assert sorted(spans.child_names(parallel)) == ["workflow_step:p1", "workflow_step:p2"]
    assert spans.is_child(spans.step("join"), run)


async def test_branch_records_each_condition_and_runs_the_chosen_arm(spans: Spans) -> None:
    wf = create_workflow(id="br", input_schema=N).branch(
        [
            (lambda ctx: ctx.input_data["n"] > 5, inc("big")),
            (lambda ctx: ctx.input_data["n"] <= 5, inc("small")),
        ]
    )
    wf.commit()
    await (await wf.create_run()).start(input_data={"n": 2})

    cond = spans.one("workflow_conditional")
    assert spans.is_child(cond, spans.one("workflow_run"))
    assert spans.child_names(cond) == [
        "workflow_conditional_eval:big",
        "workflow_conditional_eval:small",
        "workflow_step:small",
    ]
    evals = {
        (s.attributes or {})["treadle.step.id"]: s.attributes or {}
        for s in spans.named("workflow_conditional_eval")
    }
    assert evals["big"]["treadle.condition.result"] is False
    assert evals["big"]["treadle.condition.index"] == 0
    assert evals["small"]["treadle.condition.result"] is True
    assert spans.named("workflow_step", treadle__step__id="big") == []


async def test_a_raising_condition_is_an_error_on_its_eval_span(spans: Spans) -> None:
    def broken(ctx: Any) -> bool:
        raise ValueError("no")

    wf = create_workflow(id="br-err", input_schema=N).branch([(broken, inc("x"))]).commit()
    result = await (await wf.create_run()).start(input_data={"n": 0})
    assert result.status == "failed"
    ev = spans.one("workflow_conditional_eval")
    assert ev.status.status_code == trace.StatusCode.ERROR
    assert [e.name for e in ev.events] == ["exception"]
    assert spans.one("workflow_conditional").status.status_code == trace.StatusCode.ERROR
    assert spans.one("workflow_run").status.status_code == trace.StatusCode.ERROR


async def test_each_do_until_iteration_gets_a_step_span(spans: Spans) -> None:
    wf = create_workflow(id="loop", input_schema=N).do_until(
        inc("count"), lambda ctx: ctx.input_data["n"] >= 3
    )
    wf.commit()
    result = await (await wf.create_run()).start(input_data={"n": 0})
    assert result.result == {"n": 3}

    loop = spans.one("workflow_loop")
    attrs = loop.attributes or {}
    assert attrs["treadle.loop.type"] == "dountil"
    assert attrs["treadle.loop.iterations"] == 3
    kids = spans.children(loop)
    assert [(k.attributes or {})["treadle.loop.iteration"] for k in kids] == [1, 2, 3]
    assert {(k.attributes or {})["treadle.step.id"] for k in kids} == {"count"}


async def test_each_for_each_item_gets_a_step_span(spans: Spans) -> None:
    explode = create_step(id="explode", execute=lambda ctx: [{"n": i} for i in range(3)])
    wf = create_workflow(id="fe", input_schema=N).then(explode).for_each(inc("item"), 2)
    wf.commit()
    result = await (await wf.create_run()).start(input_data={"n": 0})
    assert result.result == [{"n": 1}, {"n": 2}, {"n": 3}]

    loop = spans.one("workflow_loop")
    attrs = loop.attributes or {}
    assert attrs["treadle.loop.type"] == "foreach"
    assert attrs["treadle.foreach.concurrency"] == 2
    assert attrs["treadle.loop.iterations"] == 3
    indexes = sorted((k.attributes or {})["treadle.foreach.index"] for k in spans.children(loop))
    assert indexes == [0, 1, 2]


async def test_a_nested_workflow_has_its_own_run_span_under_its_step(spans: Spans) -> None:
    inner = create_workflow(id="inner", input_schema=N, output_schema=N).then(inc("deep"))
    inner.commit()
    outer = create_workflow(id="outer", input_schema=N).then(inc("first")).then(inner)
    outer.commit()
    await (await outer.create_run()).start(input_data={"n": 0})

    top = spans.one("workflow_run", treadle__workflow__id="outer")
    step = spans.step("inner")
    assert spans.is_child(step, top)
    assert (step.attributes or {})["treadle.step.type"] == "workflow"
    nested = spans.one("workflow_run", treadle__workflow__id="inner")
    assert spans.is_child(nested, step)
    assert (nested.attributes or {})["treadle.run.id"] == (top.attributes or {})["treadle.run.id"]
    deep = spans.step("deep")
    assert spans.is_child(deep, nested)
    assert (deep.attributes or {})["treadle.step.path"] == "inner.deep"


async def test_sleep_gets_its_span(spans: Spans) -> None:
    clock = FakeClock()
    wf = create_workflow(id="nap", input_schema=N).then(inc("a")).sleep(500, id="zz")
    wf.then(inc("b")).commit()
    Treadle(workflows={"nap": wf}, clock=clock)
    task = asyncio.create_task((await wf.create_run()).start(input_data={"n": 0}))
    await clock.wait_for_sleepers(1)
    await clock.advance(500)
    assert (await task).status == "success"

    run = spans.one("workflow_run")
    assert spans.child_names(run) == ["workflow_step:a", "workflow_sleep:zz", "workflow_step:b"]
    nap = spans.one("workflow_sleep")
    assert (nap.attributes or {})["treadle.sleep.type"] == "sleep"
    assert (nap.attributes or {})["treadle.step.status"] == "success"


async def test_wait_for_event_span_holds_the_step_run_after_the_event(spans: Spans) -> None:
    wf = create_workflow(id="ev", input_schema=N).wait_for_event("go", inc("after")).commit()
    run = await wf.create_run()
    await run.send_event("go", {"x": 1})  # kept until the run reaches the wait
    assert (await run.start(input_data={"n": 0})).status == "success"
    wait = spans.one("workflow_wait_event")
    assert (wait.attributes or {})["treadle.event.name"] == "go"
    assert spans.child_names(wait) == ["workflow_step:after"]


async def test_a_failing_step_sets_error_status_and_records_retries(spans: Spans) -> None:
    def boom(ctx: Any) -> Any:
        raise RuntimeError("kaput")

    wf = create_workflow(id="fail", input_schema=N).then(
        create_step(id="boom", execute=boom, retries=1)
    )
    wf.commit()
    result = await (await wf.create_run()).start(input_data={"n": 0})
    assert result.status == "failed"

    step = spans.step("boom")
    assert step.status.status_code == trace.StatusCode.ERROR
    attrs = step.attributes or {}
    assert attrs["treadle.step.status"] == "failed"
    assert attrs["treadle.step.attempt"] == 2
    assert attrs["error.type"] == "RuntimeError"
    assert attrs["treadle.error.message"] == "kaput"
    assert [e.name for e in step.events] == ["treadle.retry", "exception"]
    run = spans.one("workflow_run")
    assert run.status.status_code == trace.StatusCode.ERROR
    assert (run.attributes or {})["treadle.run.status"] == "failed"


async def test_cancel_ends_every_span(spans: Spans) -> None:
    started = asyncio.Event()

    async def slow(ctx: StepContext[N]) -> N:
        started.set()
        await asyncio.Event().wait()
        return ctx.input_data

    hang = create_step(id="hang", input_schema=N, output_schema=N, execute=slow)
    wf = create_workflow(id="cancel", input_schema=N).parallel([hang, inc("quick")]).commit()
    run = await wf.create_run()
    task = asyncio.create_task(run.start(input_data={"n": 0}))
    await started.wait()
    await run.cancel()
    assert (await task).status == "canceled"
    assert (spans.step("hang").attributes or {})["treadle.step.status"] == "canceled"
    assert spans.step("hang").status.status_code == trace.StatusCode.UNSET
    assert (spans.one("workflow_run").attributes or {})["treadle.run.status"] == "canceled"
    # the fixture checks that no span is left open


async def test_suspends_inside_nested_parallel_and_for_each_end_their_spans(
    spans: Spans,
) -> None:
    async def ask(ctx: StepContext[N]) -> N:
        if ctx.resume_data is None:
            await ctx.suspend({})
        return ctx.input_data

    def asker(sid: str) -> Any:
        return create_step(id=sid, input_schema=N, output_schema=N, execute=ask)

    inner = create_workflow(id="inner-ask", input_schema=N, output_schema=N).then(asker("deep"))
    inner.commit()
    explode = create_step(id="explode", execute=lambda ctx: [{"n": 1}, {"n": 2}])
    wf = (
        create_workflow(id="susp", input_schema=N)
        .parallel([inner, asker("side")])
        .then(explode)
        .for_each(asker("each"))
    )
    wf.commit()
    run = await wf.create_run()
    assert (await run.start(input_data={"n": 0})).status == "suspended"
    assert (spans.step("inner-ask").attributes or {})["treadle.suspended"] is True
    assert (spans.step("deep").attributes or {})["treadle.step.status"] == "suspended"
    assert (spans.step("side").attributes or {})["treadle.step.status"] == "suspended"
    assert (spans.one("workflow_parallel").attributes or {})["treadle.suspended"] is True

    spans.clear()
    await run.resume(step=["inner-ask", "deep"], resume_data={})
    result = await run.resume(step="side", resume_data={})
    assert result.status == "suspended"  # now the for_each items ask
    items = spans.named("workflow_step", treadle__step__id="each")
    assert sorted((s.attributes or {})["treadle.foreach.index"] for s in items) == [0]
    assert (items[0].attributes or {})["treadle.step.status"] == "suspended"
    first_run = spans.named("workflow_run", treadle__workflow__id="susp")[0]
    assert first_run.parent is not None  # each drive continues the first one's trace


class Escape(BaseException):
    """Not an Exception: the engine lets it through, as it would KeyboardInterrupt."""


async def test_an_exception_escaping_the_engine_still_ends_every_span(spans: Spans) -> None:
    def escape(ctx: Any) -> Any:
        raise Escape()

    inner = create_workflow(id="inner-esc").then(create_step(id="esc", execute=escape))
    inner.commit()
    wf = create_workflow(id="esc-outer").parallel([inner, inc("ok")])
    wf.commit()
    with pytest.raises(Escape):
        await (await wf.create_run()).start(input_data={"n": 0})
    assert (spans.step("esc").attributes or {})["treadle.step.status"] == "interrupted"
    assert spans.step("esc").status.status_code == trace.StatusCode.ERROR
    run = spans.one("workflow_run", treadle__workflow__id="esc-outer")
    assert run.status.status_code == trace.StatusCode.ERROR
    # the fixture checks that no span is left open


async def test_time_travel_stays_in_the_runs_trace(spans: Spans) -> None:
    store = InMemoryStore()
    wf = create_workflow(id="tt", input_schema=N).then(inc("a")).then(inc("b")).commit()
    Treadle(workflows={"tt": wf}, storage=store)
    run = await wf.create_run()
    await run.start(input_data={"n": 0})
    first = spans.one("workflow_run")
    spans.clear()
    result = await run.time_travel(step="b", input_data={"n": 100})
    assert result.result == {"n": 101}
    again = spans.one("workflow_run")
    assert first.context is not None and again.context is not None and again.parent is not None
    assert again.context.trace_id == first.context.trace_id
    assert again.parent.span_id == first.context.span_id


async def test_a_sleeping_run_continued_by_another_process_joins_its_trace(
    spans: Spans,
) -> None:
    clock = FakeClock()
    store = InMemoryStore()

    def define() -> Any:
        wf = create_workflow(id="sleepy", input_schema=N).then(inc("a")).sleep(1000, id="zz")
        return wf.then(inc("b")).commit()

    first = define()
    Treadle(workflows={"s": first}, storage=store, clock=clock)
    run = await first.create_run()
    task = asyncio.create_task(run.start(input_data={"n": 0}))
    await clock.wait_for_sleepers(1)
    task.cancel()  # the process goes away while the run sleeps (stored `waiting`)
    with pytest.raises(asyncio.CancelledError):
        await task
    run1 = spans.one("workflow_run")

    await clock.advance(1000)  # the wake time passes while no process holds the run

    spans.clear()
    again = define()
    Treadle(workflows={"s": again}, storage=store, clock=clock)
    handle = await again.create_run(run_id=run.run_id)
    assert (await handle.restart(force=True)).result == {"n": 2}
    run2 = spans.one("workflow_run")
    assert run1.context is not None and run2.context is not None and run2.parent is not None
    assert run2.context.trace_id == run1.context.trace_id
    assert run2.parent.span_id == run1.context.span_id
    assert spans.child_names(run2) == ["workflow_step:b"]


async def test_without_instrument_nothing_is_traced() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    wf = create_workflow(id="plain", input_schema=N).then(inc("a")).commit()
    run = await wf.create_run()
    ex = run._execution({"n": 0}, {}, RequestContext())  # pyright: ignore[reportPrivateUsage]
    assert ex.tracer is None
    assert (await run.start(input_data={"n": 0})).status == "success"
    stored = await wf.store.load_run("plain", run.run_id)
    assert stored is not None
    assert "$run" not in stored.snapshot["meta"]  # no trace context stored either
    assert exporter.get_finished_spans() == ()
    with trace.get_tracer("t", tracer_provider=provider).start_as_current_span("outer"):
        await (await wf.create_run()).start(input_data={"n": 0})
    assert [s.name for s in exporter.get_finished_spans()] == ["outer"]
