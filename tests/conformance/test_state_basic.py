"""Conformance twin of oracle case `state-basic`: state_schema, initial_state, set_state, the
state later steps see, `include_state`, partial and invalid set_state, no state schema."""

from __future__ import annotations

from typing import Any, NotRequired

from pydantic import BaseModel
from typing_extensions import TypedDict

from treadle import StepContext, create_step, create_workflow

try:
    from ._twin import attempt, canon, dump, elide_payloads, golden
except ImportError:
    from _twin import attempt, canon, dump, elide_payloads, golden  # type: ignore[no-redef]


class Empty(BaseModel):
    pass


class State(TypedDict):
    # zod's `.optional()` is NotRequired (absent stays absent), not a None default
    count: float
    tags: list[str]
    untouched: NotRequired[str]


class Final(BaseModel):
    final: Any


class StateAtEnd(BaseModel):
    stateAtEnd: Any


class Peek(BaseModel):
    state: Any


def plain_state(state: Any) -> Any:
    """structuredClone(state): the keys the state has (an unset optional key is absent)."""
    return state.model_dump(exclude_unset=True) if isinstance(state, BaseModel) else dict(state)


def start_error(golden_error: dict[str, Any], message: str) -> dict[str, Any]:
    err = dict(golden_error)
    # language: Python exception class names
    err["constructor"] = err["name"] = "SchemaValidationError"
    # language: MastraError keeps its code in `id` (and `code` only in toJSON()); a Treadle error
    # has it as the `code` attribute. Python exceptions have no toJSON() protocol.
    err["code"] = err.pop("id")
    del err["hasToJSON"], err["toJSON"]
    # language: pydantic's message text
    err["message"] = message
    return err


def step_state_error(message: str, issues: list[dict[str, Any]], step_id: str) -> dict[str, Any]:
    """Mastra records a plain `Error` ({message, name}); Treadle's is a SchemaValidationError."""
    return {
        # language: pydantic's message text
        "message": message,
        # language: Python exception class names; its public attributes are part of the
        # serialized error (api.md "JSON shapes")
        "name": "SchemaValidationError",
        "code": "WORKFLOW_SCHEMA_VALIDATION_FAILED",
        "domain": "MASTRA_WORKFLOW",
        "category": "USER",
        "details": {},
        "issues": issues,
        "stepId": step_id,
    }


async def test_state_basic() -> None:
    seen: list[dict[str, Any]] = []

    async def s1_fn(ctx: StepContext[Empty]) -> Empty:
        state = ctx.state
        seen.append({"step": "s1", "stateBefore": plain_state(state)})
        r = await ctx.set_state({**plain_state(state), "count": state["count"] + 1})
        seen.append(
            {
                "step": "s1",
                "setStateReturned": "<undefined>" if r is None else r,
                "stateVarAfterSetState": plain_state(state),
            }
        )
        return Empty()

    async def s2_fn(ctx: StepContext[Empty]) -> Final:
        state = ctx.state
        seen.append({"step": "s2", "stateBefore": plain_state(state)})
        await ctx.set_state(
            {"count": state["count"], "tags": [*state["tags"], "s2"]}
        )  # omits `untouched`
        return Final(final="done")

    async def s3_fn(ctx: StepContext[Final]) -> StateAtEnd:
        return StateAtEnd(stateAtEnd=plain_state(ctx.state))  # no state_schema on this step

    s1 = create_step(
        id="s1", input_schema=Empty, output_schema=Empty, state_schema=State, execute=s1_fn
    )
    s2 = create_step(
        id="s2", input_schema=Empty, output_schema=Final, state_schema=State, execute=s2_fn
    )
    s3 = create_step(id="s3", input_schema=Final, output_schema=StateAtEnd, execute=s3_fn)
    wf = (
        create_workflow(id="state", input_schema=Empty, state_schema=State)
        .then(s1)
        .then(s2)
        .then(s3)
        .commit()
    )

    async def start(w: Any, **kwargs: Any) -> Any:
        return await (await w.create_run()).start(input_data={}, **kwargs)

    result = await start(wf, initial_state={"count": 10, "tags": ["init"], "untouched": "keep"})
    seen_default = list(seen)
    seen.clear()
    result_include_state = await start(
        wf, initial_state={"count": 0, "tags": []}, include_state=True
    )
    seen.clear()
    no_initial_state = await attempt(lambda: start(wf, include_state=True))
    invalid_initial_state = await attempt(
        lambda: start(wf, initial_state={"count": "x", "tags": []})
    )

    async def partial_fn(ctx: StepContext[Empty]) -> Empty:
        await ctx.set_state({"count": ctx.state["count"] + 1})
        return Empty()

    partial = create_step(
        id="partial",
        input_schema=Empty,
        output_schema=Empty,
        state_schema=State,
        execute=partial_fn,
    )
    wf_p = (
        create_workflow(id="state-partial", input_schema=Empty, state_schema=State)
        .then(partial)
        .commit()
    )
    partial_required = await start(
        wf_p, initial_state={"count": 1, "tags": ["a"]}, include_state=True
    )

    partial_no_schema = create_step(
        id="partial-no-schema", input_schema=Empty, output_schema=Empty, execute=partial_fn
    )
    wf_q = (
        create_workflow(id="state-partial-noschema", input_schema=Empty, state_schema=State)
        .then(partial_no_schema)
        .commit()
    )
    partial_no_step_schema = await start(
        wf_q, initial_state={"count": 1, "tags": ["a"], "untouched": "u"}, include_state=True
    )

    async def bad_set_fn(ctx: StepContext[Empty]) -> Empty:
        await ctx.set_state({**plain_state(ctx.state), "count": "nope"})
        return Empty()

    bad_set = create_step(
        id="bad-set",
        input_schema=Empty,
        output_schema=Empty,
        state_schema=State,
        execute=bad_set_fn,
    )
    wf2 = (
        create_workflow(id="state-bad-set", input_schema=Empty, state_schema=State)
        .then(bad_set)
        .commit()
    )
    invalid_set_state = await start(wf2, initial_state={"count": 1, "tags": []}, include_state=True)

    async def peek_fn(ctx: StepContext[Empty]) -> Peek:
        return Peek(state="<undefined>" if ctx.state is None else plain_state(ctx.state))

    peek = create_step(id="peek", input_schema=Empty, output_schema=Peek, execute=peek_fn)
    wf3 = create_workflow(id="state-none", input_schema=Empty).then(peek).commit()
    no_state_schema = await start(wf3, include_state=True)

    results = {
        "result": dump(result),
        "resultIncludeState": dump(result_include_state),
        "partialSetStateRequiredFields": dump(partial_required),
        "partialSetStateNoStepSchema": dump(partial_no_step_schema),
        "invalidSetState": dump(invalid_set_state),
        "noStateSchema": dump(no_state_schema),
    }
    for raw in results.values():
        # deviation 4: payload always present
        for sid in raw["stepExecutionPath"]:
            assert "payload" in raw["steps"][sid], (sid, raw)
    obs = {
        **{k: elide_payloads(v) for k, v in results.items()},
        "seen": seen_default,
        "noInitialState": no_initial_state,
        "invalidInitialState": invalid_initial_state,
    }
    expected = golden("state-basic")
    expected["noInitialState"]["error"] = start_error(
        expected["noInitialState"]["error"],
        "Invalid initial data: \n- count: Field required\n- tags: Field required",
    )
    expected["invalidInitialState"]["error"] = start_error(
        expected["invalidInitialState"]["error"],
        "Invalid initial data: \n- count: Input should be a valid number, "
        "unable to parse string as a number",
    )
    tags_required = step_state_error(
        "Step state data validation failed: \n- tags: Field required",
        [{"message": "Field required", "path": "tags", "type": "missing"}],
        "partial",
    )
    expected["partialSetStateRequiredFields"]["error"] = tags_required
    expected["partialSetStateRequiredFields"]["steps"]["partial"]["error"] = tags_required
    not_a_number = "Input should be a valid number, unable to parse string as a number"
    bad_count = step_state_error(
        f"Step state data validation failed: \n- count: {not_a_number}",
        [{"message": not_a_number, "path": "count", "type": "float_parsing"}],
        "bad-set",
    )
    expected["invalidSetState"]["error"] = bad_count
    expected["invalidSetState"]["steps"]["bad-set"]["error"] = bad_count
    assert canon(dump(obs)) == expected
