"""Errors as JSON: every failure leaves the server as `{"error": ..., "code"?, "issues"?}`."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import compile_path

from ..errors import (
    RunNotFoundError,
    RunStateError,
    SchemaValidationError,
    WorkflowError,
    WorkflowNotFoundError,
)
from .framing import json_response

__all__ = [
    "ApiError",
    "error_body",
    "install_error_handlers",
    "issue",
    "status_of",
    "workflow_error_response",
]

logger = logging.getLogger("treadle.server")

PathPart = str | int


class ApiError(Exception):
    """An HTTP error with a JSON body; raise it from a route."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        issues: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.issues = list(issues) if issues is not None else None
        self.headers = headers


def issue(path: Sequence[PathPart], message: str, location: str = "body") -> dict[str, Any]:
    """One bad field: where it is (`in`: body, query, path, header) and what is wrong."""
    return {"path": list(path), "message": message, "in": location}


def error_body(
    message: str, code: str | None = None, issues: Sequence[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"error": message}
    if code is not None:
        body["code"] = code
    if issues is not None:
        body["issues"] = list(issues)
    return body


# The body field whose data a schema error is about, from the engine's `details["type"]`/code.
_FIELD_OF_TYPE = {
    "input data": "inputData",
    "initial data": "initialState",
    "resume data": "resumeData",
}
_FIELD_OF_CODE = {"WORKFLOW_STEP_INPUT_VALIDATION_FAILED": "inputData"}


def _split_path(dotted: str) -> list[PathPart]:
    if dotted in ("", "(root)"):
        return []
    return [int(p) if p.isdigit() else p for p in dotted.split(".")]


def _schema_issues(exc: SchemaValidationError) -> list[dict[str, Any]]:
    field = _FIELD_OF_TYPE.get(str(exc.details.get("type", ""))) or _FIELD_OF_CODE.get(exc.code)
    if field is None and exc.message.startswith("Request context validation"):
        field = "requestContext"
    prefix: list[PathPart] = [field] if field else []
    return [
        issue([*prefix, *_split_path(str(i.get("path", "")))], str(i.get("message", "")))
        for i in exc.issues
    ]


def status_of(exc: WorkflowError) -> int:
    """The HTTP status for an engine error."""
    if isinstance(exc, WorkflowNotFoundError | RunNotFoundError):
        return 404
    if isinstance(exc, SchemaValidationError):
        return 400
    if isinstance(exc, RunStateError):
        return 409
    return 500  # storage, definition, or user-hook errors: the server's, not the client's


def workflow_error_response(exc: WorkflowError) -> Response:
    status = status_of(exc)
    issues = _schema_issues(exc) if isinstance(exc, SchemaValidationError) else None
    if status >= 500:
        logger.error("request failed: %s", exc, exc_info=exc)
    return json_response(error_body(exc.message, exc.code, issues), status)


# The names pydantic gives the members of a union in an error's location (not field names).
_UNION_TAG = re.compile(r"^(str|int|float|bool|none|constrained-\w+|[a-z-]+\[.*\])$")


def _validation_issues(exc: RequestValidationError) -> list[dict[str, Any]]:
    """One issue per bad field: a value that fits no member of a union is one issue, its
    messages joined, at the field's path."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for err in exc.errors():
        loc = [p if isinstance(p, int) else str(p) for p in err.get("loc", ())]
        where = str(loc[0]) if loc else "body"
        path = [p for p in loc[1:] if isinstance(p, int) or not _UNION_TAG.match(p)]
        message = str(err.get("msg", "invalid value"))
        key = (where, repr(path))
        if key in merged:
            if message not in merged[key]["message"]:
                merged[key]["message"] += f", or: {message}"
        else:
            merged[key] = issue(path, message, where)
    return list(merged.values())


def _describe(issues: list[dict[str, Any]]) -> str:
    parts = [
        f"{i['in']} {'.'.join(str(p) for p in i['path']) or '(whole)'}: {i['message']}"
        for i in issues
    ]
    return "Invalid request: " + "; ".join(parts)


def _allowed_methods(request: Request) -> list[str]:
    """The methods the API documents for this path (routes may be spread over routers)."""
    path = request.url.path
    root = str(request.scope.get("root_path") or "")
    if root and path.startswith(root):
        path = path[len(root) :]
    allowed: set[str] = set()
    paths: dict[str, dict[str, Any]] = request.app.openapi().get("paths", {})
    for template, operations in paths.items():
        if compile_path(template)[0].match(path):
            allowed.update(method.upper() for method in operations)
    return sorted(allowed)


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception a route can raise to a JSON response (never a bare 500 page)."""

    async def on_api_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return json_response(
            error_body(exc.message, exc.code, exc.issues), exc.status, headers=exc.headers
        )

    async def on_workflow_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WorkflowError)
        return workflow_error_response(exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        issues = _validation_issues(exc)
        message = _describe(issues)
        content_type = request.headers.get("content-type", "")
        if (
            content_type
            and "json" not in content_type
            and any(i["in"] == "body" and not i["path"] for i in issues)
        ):
            message = f"The body must be JSON (Content-Type: application/json), not {content_type}"
        return json_response(error_body(message, "INVALID_REQUEST", issues), 400)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method the path has, not just the first route's
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return json_response(error_body(str(exc.detail)), exc.status_code, headers=headers)

    async def on_unexpected(_request: Request, exc: Exception) -> Response:
        logger.error("unhandled error in a request", exc_info=exc)
        return json_response(error_body(f"Internal server error: {exc}"), 500)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(WorkflowError, on_workflow_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
