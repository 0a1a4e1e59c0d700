"""Example workflows that run offline, and `make_app()`, the app `treadle dev` serves by default.

Each module is one realistic workflow (its docstring says what it shows):

| id                  | module               | shows                                          |
|---------------------|----------------------|------------------------------------------------|
| `approval`          | `approval`           | typed form input, policy, human review (resume) |
| `fan-out`           | `fan_out`            | parallel lookups joined into one result        |
| `batch-enrich`      | `batch_enrich`       | `for_each` with concurrency and progress       |
| `retry-until-ready` | `retry_until_ready`  | `do_until` polling with workflow state         |
| `nested-report`     | `nested_report`      | a nested workflow and a branch                 |
| `reminder`          | `reminder`           | a durable `sleep`                              |
| `reminder-ack`      | `reminder`           | `wait_for_event` after the sleep               |
| `order-approval`    | `order_approval`     | parallel, branch, map and suspend (first demo) |

`python -m examples.demo` runs them all in the terminal.
"""

from __future__ import annotations

import os
from typing import Any

from treadle import Treadle, Workflow, clone_workflow
from treadle.storage import WorkflowStore

from .approval import approval
from .batch_enrich import batch_enrich
from .fan_out import fan_out
from .nested_report import nested_report, sales_metrics
from .order_approval import order_approval
from .reminder import reminder, reminder_ack
from .retry_until_ready import retry_until_ready

__all__ = [
    "WORKFLOWS",
    "app",
    "approval",
    "batch_enrich",
    "fan_out",
    "make_app",
    "nested_report",
    "order_approval",
    "reminder",
    "reminder_ack",
    "retry_until_ready",
    "sales_metrics",
]

# In the order the Studio lists them: the human-in-the-loop one first.
WORKFLOWS: tuple[Workflow[Any, Any, Any], ...] = (
    approval,
    fan_out,
    batch_enrich,
    retry_until_ready,
    nested_report,
    reminder,
    reminder_ack,
    order_approval,
)


def make_app(storage: WorkflowStore | None = None, *, clock: Any = None) -> Treadle:
    """A `Treadle` app with every example registered under its id.

    `storage`: where runs are kept; by default an SQLite file, `$TREADLE_DB` if set, else
    Treadle's default `treadle.db` in the working directory (opened on first use, so building
    the app touches no file). `clock`: the app's clock (tests pass a `FakeClock`).

    Each app registers its own copies of the workflows, because registering binds a workflow
    to the app's store: two apps (or an app and a test) never share run handles or a store.
    """
    if storage is None:
        from treadle.storage import SQLiteStore

        storage = SQLiteStore(os.environ.get("TREADLE_DB") or "treadle.db")
    copies = {wf.id: clone_workflow(wf, id=wf.id) for wf in WORKFLOWS}
    return Treadle(workflows=copies, storage=storage, clock=clock)


# Nothing is opened yet: SQLiteStore opens its file on the first run, not here.
app = make_app()
