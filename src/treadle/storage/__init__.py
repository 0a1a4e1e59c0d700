"""Run storage: the async store protocol and its implementations."""

from typing import TYPE_CHECKING, Any

from .base import RunRecord, WorkflowStore
from .memory import InMemoryStore

if TYPE_CHECKING:
    from .postgres import PostgresStore as PostgresStore
    from .sqlite import SQLiteStore

__all__ = ["InMemoryStore", "RunRecord", "SQLiteStore", "WorkflowStore"]


def __getattr__(name: str) -> Any:
    # SQLiteStore is imported on first use, so `import treadle` does not load `sqlite3`.
    if name == "SQLiteStore":
        from .sqlite import SQLiteStore

        return SQLiteStore
    # PostgresStore needs asyncpg (the `treadle[postgres]` extra); without it this raises
    # ImportError naming the extra. It is not in __all__: a star import must not need it.
    if name == "PostgresStore":
        from .postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_store() -> WorkflowStore:
    """The store a `Treadle` app uses when none is given: `SQLiteStore("treadle.db")` in the
    working directory, so runs are durable by default."""
    from .sqlite import SQLiteStore

    return SQLiteStore("treadle.db")
