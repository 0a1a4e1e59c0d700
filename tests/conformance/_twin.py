"""Helpers for conformance twins: run observations through the oracle's canonical form and
compare them with the recorded golden, with every accepted difference spelled out."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

try:
    from .canonical import UNDEFINED, canonicalize
except ImportError:  # pragma: no cover - rootdir-relative import when run as plain modules
    from canonical import UNDEFINED, canonicalize  # type: ignore[no-redef]

__all__ = ["UNDEFINED", "attempt", "canon", "dump", "elide_payloads", "errinfo", "golden"]


def shared_dir() -> Path:
    env = os.environ.get("TREADLE_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared"


def golden(name: str) -> Any:
    path = shared_dir() / "oracle" / "golden" / f"{name}.json"
    if not path.exists():
        raise AssertionError(f"golden {path} is missing; set TREADLE_SHARED to the shared/ folder")
    return json.loads(path.read_text())


def dump(value: Any) -> Any:
    """Mastra's JSON for a result/event model (or a list/dict of them)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, list):
        return [dump(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, dict):
        return {k: dump(v) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
    return value


def errinfo(exc: BaseException) -> dict[str, Any]:
    """The Python counterpart of the oracle's `errInfo(e)`."""
    info: dict[str, Any] = {
        "constructor": type(exc).__name__,
        "name": type(exc).__name__,
        "message": str(exc),
    }
    for key in ("code", "category", "domain", "details"):
        if hasattr(exc, key):
            info[key] = getattr(exc, key)
    return info


async def attempt(fn: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
    try:
        return {"ok": True, "value": dump(await fn())}
    except Exception as exc:  # the twin records the error, like the oracle's attempt()
        return {"ok": False, "error": errinfo(exc)}


def canon(obs: Any) -> Any:
    return canonicalize(dump(obs))


def elide_payloads(result: dict[str, Any]) -> dict[str, Any]:
    """Apply Mastra's payload elision (deviation 4: Treadle always keeps `payload`) to a dumped
    result, so the rest of it can be compared with the golden. Returns a copy."""
    out = copy.deepcopy(result)
    steps = out.get("steps") or {}
    prev = steps.get("input")
    for sid in out.get("stepExecutionPath") or []:
        record = steps.get(sid)
        if not isinstance(record, dict):
            continue
        if "payload" in record and record["payload"] == prev:
            del record["payload"]
        prev = record.get("output")
    return out
