"""`treadle run WORKFLOW`: start a run, stream its events, exit with its status."""

from __future__ import annotations

from typing import Any

import click

from ..app import Treadle
from ..results import WorkflowResult
from .drive import follow_run, make_printer
from .hints import resume_commands
from .inputs import JsonValue
from .session import AppSource, explain_refusal, run_with_app, workflow_of

__all__ = ["run_command"]


@click.command("run", short_help="Start a run and stream it.")
@click.argument("workflow")
@click.option(
    "--input",
    "input_data",
    type=JsonValue(),
    default=None,
    help="The workflow input: JSON, @file.json, or @- for stdin.",
)
@click.option(
    "--state",
    "initial_state",
    type=JsonValue(),
    default=None,
    help="The initial workflow state: JSON, @file.json, or @- for stdin.",
)
@click.option("--json", "as_json", is_flag=True, help="Print NDJSON: each event, then the result.")
@click.pass_obj
def run_command(
    source: AppSource, workflow: str, input_data: Any, initial_state: Any, as_json: bool
) -> None:
    """Start a run of WORKFLOW and stream it.

    Prints one line per event as it comes, then the result. Exit codes: 0 success, 1 failed,
    2 bad usage or input, 3 suspended (the resume command is printed), 4 canceled,
    130 interrupted (Ctrl-C cancels the run).
    """

    async def body(app: Treadle) -> int:
        found = workflow_of(app, workflow)
        run = await found.create_run()
        printer, progress = make_printer(as_json, verb="started")
        stream = run.stream(input_data=input_data, initial_state=initial_state)

        def hints(result: WorkflowResult) -> list[str]:
            paths = result.suspended or []
            return resume_commands(source, workflow, found, run.run_id, paths)

        try:
            return await follow_run(run, stream, printer, progress, hints)
        except Exception as exc:
            if run.status != "pending":
                raise
            # Refused before anything ran: the run was only ever `pending`; leave no trace of it.
            await found.delete_workflow_run_by_id(run.run_id)
            raise explain_refusal(exc) from None

    click.get_current_context().exit(run_with_app(source, body))
