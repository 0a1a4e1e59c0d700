"""JSON option values: inline JSON or `@file` (`@-` for stdin), with errors naming where."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

__all__ = ["JsonValue", "parse_json_text", "read_json_value"]


if TYPE_CHECKING:  # click 8.5 made ParamType generic; older releases cannot be subscripted
    _ParamType = click.ParamType[Any, Any]
else:
    _ParamType = click.ParamType


class JsonValue(_ParamType):
    """A click parameter type: `'{"a": 1}'`, `@data.json`, or `@-` (read stdin)."""

    name = "JSON|@file"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value  # a default, or a value already parsed
        try:
            return read_json_value(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def read_json_value(text: str) -> Any:
    """The JSON value of `text`, or of the file it names with a leading `@`. Raises ValueError
    naming the file and the line and column of a syntax error."""
    if not text.startswith("@"):
        return parse_json_text(text)
    name = text[1:]
    if name == "-":
        return parse_json_text(sys.stdin.read(), "stdin")
    if not name:
        raise ValueError("'@' must be followed by a file name (or '-' for stdin)")
    path = Path(name)
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"file not found: {name}") from None
    except IsADirectoryError:
        raise ValueError(f"{name} is a directory, not a JSON file") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{name} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ValueError(f"cannot read {name}: {exc.strerror or exc}") from None
    return parse_json_text(content, name)


def parse_json_text(text: str, source: str | None = None) -> Any:
    """Parse `text`; a syntax error names `source` (a file), the line and column, and shows the
    spot."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        prefix = f"{source}: " if source else ""
        where = f"{prefix}invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise ValueError(where + _excerpt(text, exc.lineno, exc.colno)) from None


_EXCERPT_WIDTH = 60


def _excerpt(text: str, lineno: int, colno: int) -> str:
    """The offending line (a window of it around the column) with a caret under the spot."""
    lines = text.splitlines()
    if not 1 <= lineno <= len(lines) or not lines[lineno - 1].strip():
        return ""
    line = lines[lineno - 1]
    start = max(0, colno - 1 - _EXCERPT_WIDTH // 2)
    shown = line[start : start + _EXCERPT_WIDTH]
    caret = " " * (colno - 1 - start) + "^"
    return f"\n  {shown}\n  {caret}"
