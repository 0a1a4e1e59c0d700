"""Run storage: the async store protocol and its implementations."""

from .base import RunRecord, WorkflowStore
from .memory import InMemoryStore

__all__ = ["InMemoryStore", "RunRecord", "WorkflowStore"]


def default_store() -> WorkflowStore:
    """The store a `Treadle` app uses when none is given.

    SQLite (durable by default) arrives with the durable-runs work; until then runs are kept
    in memory.
    """
    return InMemoryStore()
