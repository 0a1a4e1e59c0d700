"""The `treadle` click group: the global `--app` option and the commands."""

from __future__ import annotations

import click
from click.core import ParameterSource

from .cmd_dev import dev_command
from .cmd_graph import graph_command
from .cmd_resume import cancel_command, resume_command
from .cmd_run import run_command
from .cmd_runs import runs_group
from .session import AppSource

__all__ = ["cli"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--app",
    "target",
    envvar="TREADLE_APP",
    metavar="APP",
    default=None,
    help="The app: path/to/app.py[:attr] or module:attr (attr defaults to `app`; a Treadle, a "
    "workflow, a dict of workflows, or a function returning one). Env: TREADLE_APP. "
    "Default: the bundled examples.",
)
@click.version_option(package_name="treadle", prog_name="treadle")
@click.pass_context
def cli(ctx: click.Context, target: str | None) -> None:
    """Treadle: run, inspect and serve durable workflows.

    Exit codes: 0 success, 1 the run failed, 2 bad usage or input, 3 the run suspended
    (waiting for `treadle resume`), 4 the run was canceled, 130 interrupted by Ctrl-C.
    """
    from_command_line = ctx.get_parameter_source("target") == ParameterSource.COMMANDLINE
    ctx.obj = AppSource(target, given_on_command_line=from_command_line)


cli.add_command(dev_command)
cli.add_command(run_command)
cli.add_command(runs_group)
cli.add_command(resume_command)
cli.add_command(cancel_command)
cli.add_command(graph_command)
