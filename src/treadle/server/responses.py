"""Response shapes, for the OpenAPI document (routes return plain JSON in these shapes)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "STREAM_RESPONSE",
    "ErrorBody",
    "LogsBody",
    "MessageBody",
    "RunCount",
    "RunIdBody",
    "RunList",
    "WorkflowInfoBody",
    "WorkflowResultBody",
    "WorkflowStateBody",
    "errors",
]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Issue(BaseModel):
    path: list[str | int] = Field(description="Where the bad value is, field by field.")
    message: str
    in_: str = Field(alias="in", description="body, query, path or header.")


class ErrorBody(BaseModel):
    error: str = Field(description="What went wrong, naming the workflow, run or field.")
    code: str | None = Field(default=None, description="A stable error code.")
    issues: list[Issue] | None = Field(default=None, description="Every bad field (on 400).")


class MessageBody(BaseModel):
    message: str


class RunIdBody(BaseModel):
    runId: str


class RunCount(BaseModel):
    running: int = Field(description="Runs in progress (running or waiting on a sleep/event).")
    suspended: int = Field(description="Runs waiting for a resume.")


class StepInfo(_Open):
    id: str
    description: str | None = None
    inputSchema: str | None = Field(default=None, description='JSON string: {"json": schema}.')
    outputSchema: str | None = None
    resumeSchema: str | None = None
    suspendSchema: str | None = None
    stateSchema: str | None = None
    requestContextSchema: str | None = None
    component: str | None = None
    isWorkflow: bool | None = None
    metadata: dict[str, Any] | None = None


class WorkflowInfoBody(_Open):
    name: str
    description: str | None = None
    metadata: dict[str, Any] | None = None
    steps: dict[str, StepInfo]
    allSteps: dict[str, StepInfo] = Field(description="Nested steps too, as `outer.inner`.")
    stepGraph: list[dict[str, Any]] = Field(description="Mastra's serializedStepGraph.")
    inputSchema: str | None = None
    outputSchema: str | None = None
    stateSchema: str | None = None
    requestContextSchema: str | None = None
    options: dict[str, Any] | None = None
    stepCount: int | None = Field(default=None, description="With ?partial=true.")


class RunRow(_Open):
    workflowName: str
    runId: str
    snapshot: dict[str, Any]
    createdAt: str = Field(description="ISO 8601.")
    updatedAt: str
    resourceId: str | None = None


class RunList(BaseModel):
    runs: list[RunRow]
    total: int


class WorkflowStateBody(_Open):
    runId: str
    workflowName: str
    resourceId: str | None = None
    createdAt: str
    updatedAt: str
    status: str
    result: Any = None
    error: Any = None
    payload: Any = None
    steps: dict[str, Any] | None = None
    activeStepsPath: dict[str, Any] | None = None
    serializedStepGraph: list[dict[str, Any]] | None = None


class WorkflowResultBody(_Open):
    status: str
    steps: dict[str, Any]
    input: Any = None
    stepExecutionPath: list[str] | None = None
    result: Any = None
    error: Any = None
    suspended: list[list[str]] | None = None
    suspendPayload: dict[str, Any] | None = None
    runId: str | None = None


class LogsBody(BaseModel):
    logs: list[dict[str, Any]] = Field(description="Log records, oldest first, with `seq`.")
    total: int
    page: int
    perPage: int | None
    hasMore: bool


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for these error statuses."""
    text = {
        400: "Bad input; `issues` names each bad field.",
        401: "Missing or wrong bearer token.",
        404: "No such workflow or run.",
        409: "The run is not in a state that allows this.",
        413: "Request body too large.",
        501: "Not available in this installation.",
    }
    return {s: {"model": ErrorBody, "description": text.get(s, "Error.")} for s in statuses}


_TEXT = {"schema": {"type": "string"}}
STREAM_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": (
            "The run's events. Default: Mastra's framing (`JSON` + `\\x1e` per event, "
            "text/plain). `Accept: text/event-stream`: SSE (`id` = seq, `event` = type). "
            "`Accept: application/x-ndjson`: one JSON per line."
        ),
        "content": {
            "text/plain": _TEXT,
            "text/event-stream": _TEXT,
            "application/x-ndjson": _TEXT,
        },
    }
}
