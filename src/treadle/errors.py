"""The error tree: every error Treadle raises derives from `WorkflowError` and has a stable `code`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

__all__ = [
    "ConditionError",
    "NonRetryableError",
    "RunNotFoundError",
    "RunStateError",
    "SchemaValidationError",
    "SnapshotVersionError",
    "StepExecutionError",
    "StorageError",
    "ValidationIssue",
    "WorkflowDefinitionError",
    "WorkflowError",
    "WorkflowNotFoundError",
]


class WorkflowError(Exception):
    """Root of every error the library raises.

    `code`, `domain`, `category` and `details` mirror Mastra's `MastraError`, so the serialized form
    (`{"name", "message", "code", "domain", "category", "details"}`) reads the same on the wire.
    """

    default_code: ClassVar[str] = "WORKFLOW_ERROR"
    default_category: ClassVar[str] = "USER"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        category: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code or self.default_code
        self.domain = "MASTRA_WORKFLOW"
        self.category = category or self.default_category
        self.details: dict[str, Any] = details or {}

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class WorkflowDefinitionError(WorkflowError, ValueError):
    """A definition is wrong: a bad step or option, an empty or uncommitted workflow, two
    different steps sharing an id. (Also a ValueError, for familiar `except` clauses.)"""

    default_code = "WORKFLOW_DEFINITION_INVALID"


class ValidationIssue(dict[str, Any]):
    """One schema problem: `{"path": "a.b.0", "message": ..., "type": ...}`."""

    @property
    def path(self) -> str:
        return str(self["path"])


class SchemaValidationError(WorkflowError):
    """Data did not match a schema; `issues` lists every bad field path."""

    default_code = "WORKFLOW_SCHEMA_VALIDATION_FAILED"

    def __init__(
        self,
        message: str,
        *,
        issues: Sequence[ValidationIssue] = (),
        code: str | None = None,
        details: dict[str, Any] | None = None,
        step_id: str | None = None,
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.issues = list(issues)
        self.step_id = step_id

    @property
    def paths(self) -> list[str]:
        return [issue.path for issue in self.issues]


class WorkflowNotFoundError(WorkflowError, KeyError):
    """No workflow is registered under this key."""

    default_code = "WORKFLOW_NOT_FOUND"

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class RunStateError(WorkflowError):
    """The run is not in a state that allows the operation (resume a finished run, a step that
    is not suspended, two resumers racing...)."""

    default_code = "WORKFLOW_RUN_STATE_INVALID"


class RunNotFoundError(RunStateError):
    """No stored run has this id."""

    default_code = "WORKFLOW_RUN_NOT_FOUND"


class ConditionError(WorkflowError):
    """A branch or loop condition raised; the run fails and this error names the condition."""

    default_code = "WORKFLOW_CONDITION_FAILED"


class StepExecutionError(WorkflowError):
    """A step could not run (for example its output cannot be stored as JSON)."""

    default_code = "WORKFLOW_STEP_EXECUTION_FAILED"


class NonRetryableError(WorkflowError):
    """Raise from a step to fail it at once, without the remaining retry attempts."""

    default_code = "WORKFLOW_STEP_NON_RETRYABLE"


class StorageError(WorkflowError):
    """The store failed; the run is left as it was before the failing write."""

    default_code = "WORKFLOW_STORAGE_FAILED"
    default_category = "SYSTEM"


class SnapshotVersionError(StorageError):
    """A stored run was written by an unknown (newer) schema version."""

    default_code = "WORKFLOW_SNAPSHOT_VERSION_UNKNOWN"
