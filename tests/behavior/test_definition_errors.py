"""Definition errors: empty, uncommitted, duplicate ids, uncommitted nested."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from treadle import StepContext, clone_step, create_step, create_workflow
from treadle.errors import WorkflowDefinitionError, WorkflowError


class Num(BaseModel):
    x: int


async def _echo(ctx: StepContext[Num]) -> Num:
    return ctx.input_data


def _step(sid: str):
    return create_step(id=sid, input_schema=Num, output_schema=Num, execute=_echo)


def test_empty_workflow_fails_at_commit() -> None:
    wf = create_workflow(id="empty", input_schema=Num)
    with pytest.raises(WorkflowDefinitionError, match="empty"):
        wf.commit()


async def test_uncommitted_workflow_cannot_create_a_run() -> None:
    wf = create_workflow(id="uncommitted", input_schema=Num).then(_step("a"))
    with pytest.raises(WorkflowDefinitionError, match="commit"):
        await wf.create_run()


async def test_adding_after_commit_needs_a_new_commit() -> None:
    wf = create_workflow(id="recommit", input_schema=Num).then(_step("a")).commit()
    assert wf.committed
    wf.then(_step("b"))
    assert not wf.committed
    with pytest.raises(WorkflowDefinitionError):
        await wf.create_run()
    wf.commit()
    result = await (await wf.create_run()).start(input_data={"x": 1})
    assert result.step_execution_path == ["a", "b"]


def test_two_different_steps_with_one_id_fail_at_commit() -> None:
    wf = create_workflow(id="dupe", input_schema=Num).then(_step("same")).then(_step("same"))
    with pytest.raises(WorkflowDefinitionError, match="same"):
        wf.commit()


def test_duplicate_id_inside_parallel() -> None:
    wf = create_workflow(id="dupe-par", input_schema=Num).parallel([_step("p"), _step("p")])
    with pytest.raises(WorkflowDefinitionError, match="'p'"):
        wf.commit()


def test_clone_avoids_the_duplicate_error() -> None:
    a = _step("a")
    wf = (
        create_workflow(id="dupe-ok", input_schema=Num)
        .then(a)
        .then(clone_step(a, id="a2"))
        .commit()
    )
    assert set(wf.steps) == {"a", "a2"}


def test_uncommitted_nested_workflow_is_rejected() -> None:
    inner = create_workflow(id="inner", input_schema=Num).then(_step("a"))
    outer = create_workflow(id="outer", input_schema=Num)
    with pytest.raises(WorkflowDefinitionError, match="inner"):
        outer.then(inner)
    with pytest.raises(WorkflowDefinitionError):
        outer.parallel([inner])


def test_non_step_arguments_are_rejected() -> None:
    wf = create_workflow(id="bad-args", input_schema=Num)
    with pytest.raises(WorkflowDefinitionError):
        wf.then(lambda ctx: None)  # type: ignore[arg-type]
    with pytest.raises(WorkflowDefinitionError):
        wf.parallel([])
    with pytest.raises(WorkflowDefinitionError):
        wf.branch([])
    with pytest.raises(WorkflowDefinitionError):
        wf.for_each(_step("f"), concurrency=0)
    with pytest.raises(WorkflowDefinitionError):
        wf.do_while(_step("l"), "not callable")  # type: ignore[arg-type]


def test_definition_errors_are_workflow_errors() -> None:
    assert issubclass(WorkflowDefinitionError, WorkflowError)
    with pytest.raises(WorkflowError):
        create_workflow(id="root", input_schema=Num).commit()


def test_every_definition_mistake_is_a_workflow_error() -> None:
    from treadle import RetryConfig, Treadle, clone_step
    from treadle.errors import WorkflowError, WorkflowNotFoundError
    from treadle.storage import InMemoryStore

    async def noop(ctx: object) -> dict[str, int]:
        return {}

    with pytest.raises(WorkflowError, match="non-empty string id"):
        create_step(id="", execute=noop)
    with pytest.raises(WorkflowError, match="retries must be >= 0"):
        create_step(id="s", execute=noop, retries=-1)
    with pytest.raises(WorkflowError, match="execute must be callable"):
        create_step(id="s", execute=42)  # pyright: ignore[reportArgumentType, reportCallIssue]
    with pytest.raises(WorkflowError, match="attempts must be >= 0"):
        RetryConfig(attempts=-1)
    wf = create_workflow(id="w").then(create_step(id="s", execute=noop)).commit()
    with pytest.raises(WorkflowError, match="clone_workflow"):
        clone_step(wf, id="w2")
    app = Treadle(workflows={"w": wf}, storage=InMemoryStore())
    with pytest.raises(WorkflowNotFoundError, match="no workflow 'nope' is registered"):
        app.get_workflow("nope")


def test_stream_outside_a_running_loop_is_a_clear_error() -> None:
    import asyncio

    from treadle.errors import RunStateError

    async def noop(ctx: object) -> dict[str, int]:
        return {}

    wf = create_workflow(id="w").then(create_step(id="s", execute=noop)).commit()
    run = asyncio.run(wf.create_run())
    with pytest.raises(RunStateError, match="call it from async code"):
        run.stream(input_data={})
