"""Treadle: typed, durable, fast workflows for Python (Mastra's workflow engine, rebuilt)."""

from ._graph.mapping import map_variable
from .app import Treadle
from .context import ConditionContext, StepContext
from .events import WorkflowEvent
from .request_context import RequestContext
from .results import StepResult, WorkflowResult
from .run import Run
from .step import Step, clone_step, create_step, step
from .stream import WorkflowStream
from .workflow import RetryConfig, Workflow, clone_workflow, create_workflow

__all__ = [
    "ConditionContext",
    "RequestContext",
    "RetryConfig",
    "Run",
    "Step",
    "StepContext",
    "StepResult",
    "Treadle",
    "Workflow",
    "WorkflowEvent",
    "WorkflowResult",
    "WorkflowStream",
    "clone_step",
    "clone_workflow",
    "create_step",
    "create_workflow",
    "map_variable",
    "step",
]
