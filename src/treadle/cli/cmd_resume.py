"""`treadle resume` (continue a suspended run, streamed) and `treadle cancel`."""

from __future__ import annotations

from typing import Any

import click

from ..app import Treadle
from ..results import WorkflowResult
from ..workflow import Workflow
from .drive import follow_run, make_printer
from .hints import resume_commands
from .inputs import JsonValue
from .session import EXIT_OK, AppSource, CliError, explain_refusal, run_with_app, workflow_of

__all__ = ["cancel_command", "resume_command"]

_ENDED = ("success", "failed", "canceled")


async def stored_status(workflow: Workflow[Any, Any, Any], key: str, run_id: str) -> str:
    """The stored status of the run; a usage error when there is no such run."""
    state = await workflow.get_workflow_run_by_id(run_id, fields=["status"])
    if state is None:
        raise CliError(f"no run '{run_id}' of workflow '{key}'")
    return str(state.get("status"))


@click.command("resume", short_help="Resume a suspended run, streamed.")
@click.argument("workflow")
@click.argument("run_id")
@click.option(
    "--step",
    default=None,
    help="The suspended step (outer.inner for a nested one); optional when only one is.",
)
@click.option(
    "--data",
    "resume_data",
    type=JsonValue(),
    default=None,
    help="The resume data: JSON, @file.json, or @- for stdin.",
)
@click.option("--json", "as_json", is_flag=True, help="Print NDJSON: each event, then the result.")
@click.pass_obj
def resume_command(
    source: AppSource,
    workflow: str,
    run_id: str,
    step: str | None,
    resume_data: Any,
    as_json: bool,
) -> None:
    """Resume the suspended run RUN_ID of WORKFLOW and stream it (exit codes as for `run`)."""

    async def body(app: Treadle) -> int:
        found = workflow_of(app, workflow)
        status = await stored_status(found, workflow, run_id)
        if status != "suspended":
            raise CliError(f"run '{run_id}' is {status}, not suspended: there is nothing to resume")
        run = await found.create_run(run_id=run_id)
        printer, progress = make_printer(as_json, verb="resumed")
        stream = run.resume_stream(step=step, resume_data=resume_data)

        def hints(result: WorkflowResult) -> list[str]:
            return resume_commands(source, workflow, found, run_id, result.suspended or [])

        try:
            return await follow_run(run, stream, printer, progress, hints)
        except Exception as exc:
            if run.status != "suspended":
                raise
            raise explain_refusal(exc) from None  # refused: the run is as it was

    click.get_current_context().exit(run_with_app(source, body))


@click.command("cancel", short_help="Cancel a suspended or waiting run.")
@click.argument("workflow")
@click.argument("run_id")
@click.pass_obj
def cancel_command(source: AppSource, workflow: str, run_id: str) -> None:
    """Cancel the run RUN_ID of WORKFLOW (suspended, waiting or not yet started).

    A run that is executing can only be canceled by the process driving it (Ctrl-C in its
    `treadle run`, or the server's cancel route). Exit codes: 0 canceled (or already was),
    2 no such run, or it has ended or is executing elsewhere.
    """

    async def body(app: Treadle) -> int:
        found = workflow_of(app, workflow)
        status = await stored_status(found, workflow, run_id)
        if status == "canceled":
            click.echo(f"run {run_id} was already canceled")
            return EXIT_OK
        if status in _ENDED:
            raise CliError(f"run '{run_id}' has already ended ({status}): it cannot be canceled")
        if status == "running":
            raise CliError(
                f"run '{run_id}' is executing in another process: cancel it there (Ctrl-C in "
                "its `treadle run`, or POST /api/workflows/<id>/runs/<runId>/cancel on its server)"
            )
        run = await found.create_run(run_id=run_id)
        await run.cancel()
        click.echo(f"canceled run {run_id} of {workflow} (it was {status})")
        return EXIT_OK

    click.get_current_context().exit(run_with_app(source, body))
