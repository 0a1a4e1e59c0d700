"""`treadle graph WORKFLOW`: the workflow's graph as Mermaid, SVG or laid-out JSON."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .session import AppSource, CliError, workflow_of

__all__ = ["graph_command"]


@click.command("graph", short_help="Draw a workflow graph (Mermaid, SVG, JSON).")
@click.argument("workflow")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "svg", "json"]),
    default="mermaid",
    show_default=True,
    help="Mermaid flowchart text, an SVG drawing, or the laid-out graph as JSON.",
)
@click.option("--expand", is_flag=True, help="Draw the steps inside nested workflows too.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write to FILE instead of stdout.",
)
@click.pass_obj
def graph_command(
    source: AppSource, workflow: str, fmt: str, expand: bool, output: Path | None
) -> None:
    """Print (or write) the graph of WORKFLOW."""
    found = workflow_of(source.load(), workflow)  # the store is never opened: nothing to close
    from .. import render

    if fmt == "svg":
        text = render.to_svg(found, expand=expand)
    elif fmt == "json":
        text = json.dumps(render.to_json(found, expand=expand), indent=2, ensure_ascii=False)
    else:
        text = render.to_mermaid(found, expand=expand)
    if output is None:
        click.echo(text.rstrip("\n"))
        return
    try:
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"wrote {output} ({fmt})", err=True)
