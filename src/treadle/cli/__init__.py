"""The `treadle` command line (`pip install 'treadle[cli]'`): `main()` is the console script."""

from __future__ import annotations

import sys

__all__ = ["main"]

MISSING_CLICK = "treadle's command line needs click: pip install 'treadle[cli]'"


def main() -> None:
    """Run the `treadle` command (click is imported only now, so the library never needs it)."""
    try:
        import click  # noqa: F401  # pyright: ignore[reportUnusedImport]
    except ImportError:
        print(MISSING_CLICK, file=sys.stderr)
        raise SystemExit(2) from None
    from .app import cli

    cli(prog_name="treadle")
