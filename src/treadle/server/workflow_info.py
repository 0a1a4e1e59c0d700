"""WorkflowInfo: a workflow described as Mastra's server describes it (steps, graph, schemas)."""

from __future__ import annotations

import json
import logging
from typing import Any

from .._schema import Schema
from ..step import Step
from ..workflow import Workflow

__all__ = ["schema_string", "workflow_info"]

logger = logging.getLogger("treadle.server")


def schema_string(tp: Any) -> str | None:
    """Mastra sends schemas as `superjson.stringify(jsonSchema)`: `'{"json": {...}}'`, a
    string. None when there is no schema (a step that takes anything)."""
    if tp is None or tp is Any:
        return None
    try:
        schema = Schema.of(tp).json_schema()
    except Exception:  # a type pydantic cannot describe: say "anything" rather than fail
        logger.warning("no JSON Schema for %r; describing it as any value", tp, exc_info=True)
        schema = {}
    return json.dumps({"json": schema}, separators=(",", ":"))


def _step_info(step: Step[Any, Any], *, in_all_steps: bool) -> dict[str, Any]:
    info: dict[str, Any] = {"id": step.id}
    if step.description:
        info["description"] = step.description
    schemas = {
        "inputSchema": step.input_schema,
        "outputSchema": step.output_schema,
        "resumeSchema": step.resume_schema,
        "suspendSchema": step.suspend_schema,
        "stateSchema": step.state_schema,
        "requestContextSchema": step.request_context_schema,
    }
    for key, tp in schemas.items():
        text = schema_string(tp)
        if text is not None:
            info[key] = text
    if in_all_steps:
        info["isWorkflow"] = step.component == "WORKFLOW"
    info["component"] = step.component
    if step.metadata:
        info["metadata"] = step.metadata
    return info


def _all_steps(steps: dict[str, Step[Any, Any]], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, step in steps.items():
        full = prefix + key
        out[full] = _step_info(step, in_all_steps=True)
        if isinstance(step, Workflow):
            out.update(_all_steps(step.steps, full + "."))
    return out


def workflow_info(workflow: Workflow[Any, Any, Any], *, partial: bool = False) -> dict[str, Any]:
    """`{name, description, steps, allSteps, stepGraph, inputSchema, outputSchema, stateSchema,
    options}`; absent schemas are left out. `partial`: no steps or schemas, with `stepCount`
    (Mastra's `?partial=true`, for lists)."""
    info: dict[str, Any] = {"name": workflow.id}
    if workflow.description:
        info["description"] = workflow.description
    if workflow.metadata:
        info["metadata"] = workflow.metadata
    options = {"validateInputs": workflow.validate_inputs}
    if partial:
        info.update(
            steps={},
            allSteps={},
            stepCount=len(workflow.steps),
            stepGraph=workflow.serialized_step_graph,
            options=options,
        )
        return info
    info["steps"] = {k: _step_info(s, in_all_steps=False) for k, s in workflow.steps.items()}
    info["allSteps"] = _all_steps(workflow.steps)
    info["stepGraph"] = workflow.serialized_step_graph
    for key, tp in (
        ("inputSchema", workflow.input_schema),
        ("outputSchema", workflow.output_schema),
        ("stateSchema", workflow.state_schema),
        ("requestContextSchema", workflow.request_context_schema),
    ):
        text = schema_string(tp)
        if text is not None:
            info[key] = text
    info["options"] = options
    return info
