"""`treadle runs list` and `treadle runs show`: stored runs, as tables or JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

import click

from ..app import Treadle
from ..storage.base import RunRecord
from ..workflow import Workflow
from .hints import resume_commands, suspended_leaf_paths
from .output import (
    error_text,
    format_duration,
    format_time,
    issue_lines,
    pretty_json,
    print_table,
    step_duration,
)
from .session import EXIT_OK, AppSource, CliError, run_with_app, workflow_of

__all__ = ["runs_group"]

STATUSES = ("pending", "running", "waiting", "suspended", "success", "failed", "canceled")

AnyWorkflow = Workflow[Any, Any, Any]


@click.group("runs")
def runs_group() -> None:
    """List and inspect stored runs."""


@runs_group.command("list")
@click.argument("workflow", required=False)
@click.option(
    "--status", type=click.Choice(STATUSES), default=None, help="Only runs in this status."
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="At most N runs."
)
@click.option("--json", "as_json", is_flag=True, help='Print {"runs": [...], "total": n}.')
@click.pass_obj
def list_command(
    source: AppSource, workflow: str | None, status: str | None, limit: int, as_json: bool
) -> None:
    """List the newest runs of WORKFLOW (of every workflow when omitted)."""

    async def body(app: Treadle) -> int:
        workflows = {workflow: workflow_of(app, workflow)} if workflow else app.list_workflows()
        found: list[RunRecord] = []
        total = 0
        for wf in {id(wf): wf for wf in workflows.values()}.values():
            records, count = await wf.store.list_runs(wf.id, status=status, page=0, per_page=limit)
            found += records
            total += count
        found.sort(key=lambda r: (r.created_at, r.run_id), reverse=True)
        found = found[:limit]
        if as_json:
            rows = [_row(record) for record in found]
            click.echo(json.dumps({"runs": rows, "total": total}, ensure_ascii=False))
        elif not found:
            click.echo("no runs" + (f" with status {status}" if status else ""))
        else:
            print_table(
                ["RUN ID", "WORKFLOW", "STATUS", "CREATED", "UPDATED"],
                [
                    [r.run_id, r.workflow_name, r.status, format_time(r.created_at),
                     format_time(r.updated_at)]
                    for r in found
                ],
            )  # fmt: skip
            if total > len(found):
                click.echo(f"({len(found)} of {total}; use --limit to see more)")
        return EXIT_OK

    click.get_current_context().exit(run_with_app(source, body))


def _row(record: RunRecord) -> dict[str, Any]:
    row: dict[str, Any] = {
        "runId": record.run_id,
        "workflowName": record.workflow_name,
        "status": record.status,
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
    }
    if record.resource_id is not None:
        row["resourceId"] = record.resource_id
    return row


@runs_group.command("show")
@click.argument("run_id")
@click.option("--workflow", "-w", default=None, help="The run's workflow (searched when omitted).")
@click.option("--json", "as_json", is_flag=True, help="Print the run's state as JSON.")
@click.pass_obj
def show_command(source: AppSource, run_id: str, workflow: str | None, as_json: bool) -> None:
    """Show the run RUN_ID: status, steps with durations, suspended steps, result or error."""

    async def body(app: Treadle) -> int:
        key, wf, state = await _find_run(app, run_id, workflow)
        if as_json:
            click.echo(json.dumps(state, ensure_ascii=False, default=str))
        else:
            _print_state(source, key, wf, state)
        return EXIT_OK

    click.get_current_context().exit(run_with_app(source, body))


async def _find_run(
    app: Treadle, run_id: str, key: str | None
) -> tuple[str, AnyWorkflow, dict[str, Any]]:
    candidates = {key: workflow_of(app, key)} if key else app.list_workflows()
    hits: list[tuple[str, AnyWorkflow, dict[str, Any]]] = []
    for name, wf in candidates.items():
        state = await wf.get_workflow_run_by_id(run_id)
        if state is not None:
            hits.append((name, wf, state))
    if not hits:
        where = f"workflow '{key}'" if key else "any workflow of the app"
        raise CliError(f"no run '{run_id}' in {where}")
    if len(hits) > 1 and len({id(wf) for _, wf, _ in hits}) > 1:
        names = ", ".join(name for name, _, _ in hits)
        raise CliError(f"run '{run_id}' exists in several workflows ({names}): pass --workflow")
    return hits[0]


def _print_state(source: AppSource, key: str, wf: AnyWorkflow, state: Mapping[str, Any]) -> None:
    status = str(state.get("status"))
    print_table(
        ["run", str(state.get("runId"))],
        [
            ["workflow", key],
            ["status", status],
            ["created", format_time(state.get("createdAt"))],
            ["updated", format_time(state.get("updatedAt"))],
            *([["resource", str(state["resourceId"])]] if state.get("resourceId") else []),
            ["input", pretty_json(state.get("payload"))],
        ],
    )
    steps = cast(Mapping[str, Any], state.get("steps") or {})
    if steps:
        click.echo("")
        click.echo("steps:")
        rows: list[list[str]] = []
        for name, record in steps.items():
            rec: Mapping[str, Any] = (
                cast(Mapping[str, Any], record) if isinstance(record, Mapping) else {}
            )
            rows.append([name, str(rec.get("status", "?")), format_duration(step_duration(rec))])
        print_table(["STEP", "STATUS", "DURATION"], rows, indent="  ")
    if status == "suspended":
        paths = suspended_leaf_paths(steps)
        click.echo("")
        for path in paths:
            record = cast(Mapping[str, Any], steps.get(".".join(path)) or {})
            click.echo(
                f"suspended at {'.'.join(path)}: {pretty_json(record.get('suspendPayload'))}"
            )
        click.echo("resume with:")
        for command in resume_commands(source, key, wf, str(state.get("runId")), paths):
            click.echo(f"  {command}")
    elif status == "success":
        click.echo("")
        click.echo(f"result: {pretty_json(state.get('result'))}")
    elif state.get("error") is not None:
        click.echo("")
        click.echo(f"error: {error_text(state.get('error'))}")
        for line in issue_lines(state.get("error"), "  "):
            click.echo(line)
