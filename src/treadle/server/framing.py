"""Wire encodings: JSON bodies, and stream events framed as Mastra's RS records, SSE or NDJSON."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from starlette.responses import Response

from ..events import WorkflowEvent

__all__ = [
    "NDJSON",
    "RECORD_SEPARATOR",
    "RS",
    "SSE",
    "Framing",
    "dumps",
    "event_json",
    "framing_for",
    "json_response",
]

RECORD_SEPARATOR = "\x1e"
"""Mastra's stream framing: each chunk is `JSON + "\\x1e"` (ASCII record separator)."""


def _finite(value: Any) -> Any:
    """A copy with NaN and infinities as null (JSON has no such numbers; JS would reject them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        items = cast(dict[Any, Any], value).items()
        return {k: _finite(v) for k, v in items}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in cast(list[Any], value)]
    return value


def dumps(value: Any) -> str:
    """Compact JSON, as `JSON.stringify` writes it; values JSON cannot hold become null/str."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                          default=str)  # fmt: skip
    except ValueError:  # a NaN or infinity somewhere
        return json.dumps(_finite(value), separators=(",", ":"), ensure_ascii=False,
                          default=str)  # fmt: skip


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        dumps(body).encode(), status_code=status, headers=headers, media_type="application/json"
    )


def event_json(event: WorkflowEvent) -> dict[str, Any]:
    """The event as Mastra's chunk (`seq` is not part of it)."""
    return event.model_dump(mode="json", by_alias=True, exclude_none=True)


def _rs(event: WorkflowEvent) -> bytes:
    return (dumps(event_json(event)) + RECORD_SEPARATOR).encode()


def _ndjson(event: WorkflowEvent) -> bytes:
    return (dumps(event_json(event)) + "\n").encode()


def _sse(event: WorkflowEvent) -> bytes:
    name = event.type.replace("\r", " ").replace("\n", " ")
    head = f"id: {event.seq}\n" if event.seq is not None else ""
    return f"{head}event: {name}\ndata: {dumps(event_json(event))}\n\n".encode()


@dataclass(frozen=True, slots=True)
class Framing:
    """How a stream's events are written: content type, one event's bytes, a keep-alive."""

    name: str
    media_type: str
    encode: Callable[[WorkflowEvent], bytes]
    heartbeat: bytes


# Keep-alives are what each reader skips: an empty record, an SSE comment, a blank line.
RS = Framing("rs", "text/plain; charset=utf-8", _rs, RECORD_SEPARATOR.encode())
SSE = Framing("sse", "text/event-stream; charset=utf-8", _sse, b": keep-alive\n\n")
NDJSON = Framing("ndjson", "application/x-ndjson", _ndjson, b"\n")


def framing_for(accept: str | None) -> Framing:
    """SSE for `Accept: text/event-stream`, NDJSON for `application/x-ndjson`, else Mastra's."""
    if accept:
        wanted = {part.split(";")[0].strip().lower() for part in accept.split(",")}
        if "text/event-stream" in wanted:
            return SSE
        if "application/x-ndjson" in wanted:
            return NDJSON
    return RS
