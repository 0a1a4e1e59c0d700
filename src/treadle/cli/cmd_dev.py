"""`treadle dev [APP]`: serve the HTTP API and the Studio for an app, on this machine."""

from __future__ import annotations

import os
import secrets
import socket

import click

from .session import AppSource, CliError

__all__ = ["dev_command"]

_GENERATE = "\0generate"  # `--token` given without a value: make one up
_ANY_HOST = ("0.0.0.0", "::", "")


@click.command("dev", short_help="Serve the HTTP API and the Studio.")
@click.argument("app_target", metavar="[APP]", required=False)
@click.option("--host", default="127.0.0.1", show_default=True, help="The interface to listen on.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=4111,
    show_default=True,
    help="The port to listen on.",
)
@click.option(
    "--token",
    is_flag=False,
    flag_value=_GENERATE,
    default=None,
    metavar="[TOKEN]",
    help="Require 'Authorization: Bearer TOKEN' on the API; without a value, one is generated "
    "and printed. Default: TREADLE_API_TOKEN if set, else no token.",
)
@click.option("--no-studio", is_flag=True, help="Serve the API only, without the browser Studio.")
@click.pass_obj
def dev_command(
    source: AppSource,
    app_target: str | None,
    host: str,
    port: int,
    token: str | None,
    no_studio: bool,
) -> None:
    """Serve APP's workflows: the HTTP API (Mastra's routes) and the Studio.

    APP is a Python file (path/to/app.py[:attr]) or module:attr; by default the global --app
    (TREADLE_APP), else the bundled examples. Stop it with Ctrl-C.
    """
    try:
        from ..server import serve
    except ImportError as exc:
        raise CliError(
            "treadle dev needs the server extra: pip install 'treadle[server]'"
            f" ({exc.name or exc} is missing)"
        ) from None
    target = app_target if app_target is not None else source.target
    app = AppSource(target).load()
    _check_port_free(host, port)
    generated = token == _GENERATE
    if generated:
        token = secrets.token_urlsafe(24)
    shown_host = "localhost" if host in _ANY_HOST else (f"[{host}]" if ":" in host else host)
    base = f"http://{shown_host}:{port}"
    names = ", ".join(sorted(app.list_workflows())) or "none"
    click.echo(f"Treadle dev server for {target or 'the bundled examples'} (workflows: {names})")
    if not no_studio:
        click.echo(f"  Studio:   {base}/")
    click.echo(f"  API:      {base}/api")
    click.echo(f"  OpenAPI:  {base}/openapi.json  (interactive docs: {base}/docs)")
    if token is not None or os.environ.get("TREADLE_API_TOKEN"):
        origin = token if generated else ("as given by --token" if token else "TREADLE_API_TOKEN")
        click.echo(f"  Token:    {origin}  (send 'Authorization: Bearer <token>')")
    click.echo("Press Ctrl-C to stop.", err=True)
    serve(app, host=host, port=port, token=token, studio=not no_studio)


def _check_port_free(host: str, port: int) -> None:
    """Fail with a clear message now rather than with a server traceback later."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        if os.name != "nt":  # as the server does: a port in TIME_WAIT is free to use
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host or "0.0.0.0", port))
        except OSError as exc:
            raise CliError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc} (choose another --port)"
            ) from None
