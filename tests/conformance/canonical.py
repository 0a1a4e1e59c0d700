"""Canonical JSON for conformance observations, ported from the oracle's lib/canonical.mjs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Final

from pydantic import BaseModel

__all__ = ["UNDEFINED", "canonical_json", "canonicalize", "js_number"]


class _Undefined:
    """Type of the `UNDEFINED` singleton (JS `undefined`)."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        # A true singleton, so `is UNDEFINED` holds even after copy/pickle round-trips.
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNDEFINED"


# Stands for JS `undefined`: dropped from objects, null inside arrays.
UNDEFINED: Final = _Undefined()

TS_KEYS: Final = frozenset(
    {"startedAt", "endedAt", "suspendedAt", "resumedAt", "timestamp", "createdAt", "updatedAt"}
)
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# re.ASCII: JS \d and [a-f]/i are ASCII-only; Python's would also match other Unicode digits.
UUID_RE: Final = re.compile(_UUID, re.IGNORECASE | re.ASCII)
# The anchored JS regexes become fullmatch() calls: Python's `$` also matches before a final "\n".
UUID_FULL_RE: Final = re.compile(_UUID, re.IGNORECASE | re.ASCII)
ISO_RE: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.ASCII
)
# JS "array index" keys (canonical integers below 2**32 - 1) enumerate first, numerically.
_ARRAY_INDEX_RE: Final = re.compile(r"0|[1-9][0-9]*", re.ASCII)
_MAX_ARRAY_INDEX: Final = 2**32 - 2

Plain = Any  # dict[str, Plain] | list[Plain] | str | int | float | bool | None | UNDEFINED


# --- JS ordering helpers -------------------------------------------------------------------------


def _utf16(s: str) -> bytes:
    # JS compares strings by UTF-16 code units; big-endian bytes compare the same way.
    # surrogatepass: lone surrogates (legal in JS strings and json.loads output) must not raise.
    return s.encode("utf-16-be", "surrogatepass")


def _is_array_index(key: str) -> bool:
    return _ARRAY_INDEX_RE.fullmatch(key) is not None and int(key) <= _MAX_ARRAY_INDEX


def _js_keys(obj: Mapping[str, Any]) -> list[str]:
    """Object.keys() order: array-index keys ascending, then the rest in insertion order."""
    keys = list(obj)
    index_keys = sorted((k for k in keys if _is_array_index(k)), key=int)
    return index_keys + [k for k in keys if not _is_array_index(k)]


def _js_object(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Build a dict whose iteration order is what JS would enumerate for the same insertions."""
    out = dict(items)  # later duplicates overwrite in place, as with JS assignment
    return {k: out[k] for k in _js_keys(out)}


def _mask_key(key: str) -> str:
    return UUID_RE.sub("\x00", key)


def _stable_keys(obj: Mapping[str, Any]) -> list[str]:
    # Sorted with UUIDs masked so random ids cannot reorder keys; sorted() is stable like
    # Array.prototype.sort, so ties keep Object.keys order.
    return sorted(_js_keys(obj), key=lambda k: _utf16(_mask_key(k)))


# --- toPlain: Python values -> JSON-like data (JSON.stringify semantics) --------------------------


def _js_iso(value: dt.datetime) -> str:
    # Date.prototype.toISOString: UTC, milliseconds, "Z". Naive datetimes are taken as UTC.
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _plain_key(key: object) -> str:
    # JS object keys are always strings; mirror how JSON would spell a Python scalar key.
    if isinstance(key, str):
        return str.__str__(key)
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, int | float):
        return js_number(key)
    return str(key)


def _plain_object(items: Iterable[tuple[object, Any]], seen: set[int]) -> dict[str, Any]:
    pairs = ((_plain_key(k), _to_plain(v, seen)) for k, v in items)
    return _js_object((k, v) for k, v in pairs if v is not UNDEFINED)


def _plain_error(exc: BaseException, seen: set[int]) -> dict[str, Any]:
    name = getattr(exc, "name", None)
    out: dict[str, Any] = {
        "$error": type(exc).__name__,
        "name": name if isinstance(name, str) else type(exc).__name__,
        "message": str(exc),
    }
    for k, v in vars(exc).items():
        # JS skips "stack" (nondeterministic) and "message" (already set) among own props.
        if k.startswith("_") or k in ("stack", "message") or callable(v):
            continue
        p = _to_plain(v, seen)
        if p is not UNDEFINED:
            out[k] = p
    return _js_object(out.items())


def _to_plain(value: Any, seen: set[int]) -> Plain:
    if value is None or value is UNDEFINED:
        return value
    # Scalars first; subclasses (str/int enums) are unwrapped to their plain value.
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None  # JSON: NaN/Infinity -> null
    if callable(value):  # functions and classes, checked before to_json like `typeof 'function'`
        return "<function>"
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return _to_plain(to_json(), seen)
    if isinstance(value, BaseModel):
        return _to_plain(value.model_dump(mode="json", by_alias=True, exclude_none=True), seen)
    if isinstance(value, dt.datetime):  # Date.toJSON
        return _js_iso(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return _to_plain(value.value, seen)

    # Containers: guard against cycles on the current path only (shared refs are fine).
    if id(value) in seen:
        return "<circular>"
    seen.add(id(value))
    try:
        if isinstance(value, BaseException):
            return _plain_error(value, seen)
        if isinstance(value, set | frozenset):
            return {"$set": _plain_set(value, seen)}
        if isinstance(value, list | tuple):
            return [_null_if_undefined(_to_plain(v, seen)) for v in value]
        if isinstance(value, Mapping):
            return _plain_object(value.items(), seen)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = dataclasses.fields(value)
            return _plain_object(((f.name, getattr(value, f.name)) for f in fields), seen)
        if hasattr(value, "__dict__"):  # like Object.keys: own public attributes
            attrs = ((k, v) for k, v in vars(value).items() if not k.startswith("_"))
            return _plain_object(attrs, seen)
        raise TypeError(f"canonicalize: unsupported value of type {type(value).__name__}")
    finally:
        seen.discard(id(value))


def _null_if_undefined(value: Plain) -> Plain:
    return None if value is UNDEFINED else value


def _plain_set(value: set[Any] | frozenset[Any], seen: set[int]) -> list[Plain]:
    # Python sets have no insertion order (and str hashing is randomised), so sort the elements
    # by their JSON text to stay deterministic; JS would keep insertion order here.
    items = [_null_if_undefined(_to_plain(v, seen)) for v in value]
    return sorted(items, key=lambda p: _utf16(_dumps(p, None)))


# --- canonicalize -------------------------------------------------------------------------------


def _collect_run_ids(value: Plain, key: str | None, run_ids: dict[str, str]) -> None:
    if isinstance(value, list):
        for item in value:
            _collect_run_ids(item, None, run_ids)
    elif isinstance(value, dict):
        for k in _stable_keys(value):
            _collect_run_ids(value[k], k, run_ids)
    elif (
        key == "runId"
        and isinstance(value, str)
        and UUID_FULL_RE.fullmatch(value)
        and value not in run_ids
    ):
        run_ids[value] = "<runId>" if not run_ids else f"<runId#{len(run_ids) + 1}>"


class _Rewriter:
    """Pass 2 of canonicalize: placeholders for timestamps, stacks, trace ids, run ids, UUIDs."""

    def __init__(self, run_ids: dict[str, str]) -> None:
        self.run_ids = run_ids
        self.uuids: dict[str, str] = {}  # lower-cased UUID -> "<uuid#N>", by first appearance

    def _uuid_placeholder(self, m: re.Match[str]) -> str:
        key = m.group(0).lower()
        if key not in self.uuids:
            self.uuids[key] = f"<uuid#{len(self.uuids) + 1}>"
        return self.uuids[key]

    def fix_string(self, s: str) -> str:
        if ISO_RE.fullmatch(s):
            return "<ts>"
        for run_id, placeholder in self.run_ids.items():
            s = s.replace(run_id, placeholder)
        return UUID_RE.sub(self._uuid_placeholder, s)

    def walk(self, value: Plain, key: str | None) -> Plain:
        if isinstance(value, list):
            return [self.walk(item, None) for item in value]
        if isinstance(value, dict):
            out: dict[str, Plain] = {}
            for k in _stable_keys(value):
                # Keys are rewritten too (e.g. auto-generated "sleep_<uuid>" step ids); the value
                # is walked first so UUID numbering follows the JS evaluation order.
                val = self.walk(value[k], k)
                out[self.fix_string(k)] = val
            return out
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if key in TS_KEYS and (is_number or isinstance(value, str)):
            return "<ts>"
        if isinstance(value, str):
            if key == "stack":
                return "<stack>"
            if key in ("traceId", "spanId"):
                return f"<{key}>"
            return self.fix_string(value)
        return value


def _sort_keys(value: Plain) -> Plain:
    if isinstance(value, list):
        return [_sort_keys(v) for v in value]
    if isinstance(value, dict):
        # Sorted by code units, then re-ordered as a JS object would enumerate them
        # (array-index keys first), which is the order JSON.stringify prints.
        keys = sorted(value, key=_utf16)
        return _js_object((k, _sort_keys(value[k])) for k in keys)
    return value


def canonicalize(obs: Any) -> Plain:
    """Plain, placeholder-substituted, key-sorted form of `obs` (canonicalize() in canonical.mjs)."""
    plain = _to_plain(obs, set())
    run_ids: dict[str, str] = {}
    _collect_run_ids(plain, None, run_ids)
    return _sort_keys(_Rewriter(run_ids).walk(plain, None))


# --- JSON.stringify(x, null, 2) -----------------------------------------------------------------


def js_number(x: float) -> str:
    """Number.prototype.toString() for a finite number; ints print as is."""
    if isinstance(x, bool):
        raise TypeError("js_number() expects a number, not bool")
    if isinstance(x, int):
        return str(int(x))
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"  # also -0
    sign = "-" if x < 0 else ""
    # repr() yields the shortest round-tripping digits, as the ECMAScript algorithm requires.
    mantissa, _, exp = repr(abs(x)).partition("e")
    int_part, _, frac = mantissa.partition(".")
    digits = int_part + frac
    n = len(int_part) + int(exp or 0)  # decimal point position relative to `digits`
    stripped = digits.lstrip("0")
    n -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        body = "0." + "0" * -n + digits
    else:
        e = n - 1
        head = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
        body = f"{head}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + body


_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
# A surrogate pair held as two code points, a lone surrogate, or a char JSON.stringify escapes.
_QUOTE_RE: Final = re.compile(r'[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]|["\\\x00-\x1f]')


def _quote_char(m: re.Match[str]) -> str:
    c = m.group(0)
    if len(c) == 2:  # a valid pair in UTF-16 terms: JS prints the character itself
        return c.encode("utf-16-be", "surrogatepass").decode("utf-16-be")
    return _ESCAPES.get(c) or f"\\u{ord(c):04x}"


def _quote(s: str) -> str:
    return '"' + _QUOTE_RE.sub(_quote_char, s) + '"'


def _dumps(value: Plain, indent: str | None, level: int = 0) -> str:
    """JSON.stringify for plain data; indent None means compact (no whitespace)."""
    if value is None or value is UNDEFINED:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, int):
        return js_number(value)
    if isinstance(value, float):
        return js_number(value) if math.isfinite(value) else "null"
    if isinstance(value, list | dict):
        if isinstance(value, list):
            parts = [_dumps(v, indent, level + 1) for v in value]
            open_, close = "[", "]"
        else:
            colon = ": " if indent is not None else ":"
            parts = [
                _quote(k) + colon + _dumps(v, indent, level + 1)
                for k, v in value.items()
                if v is not UNDEFINED
            ]
            open_, close = "{", "}"
        if not parts:
            return open_ + close
        if indent is None:
            return open_ + ",".join(parts) + close
        inner = "\n" + indent * (level + 1)
        return open_ + inner + ("," + inner).join(parts) + "\n" + indent * level + close
    raise TypeError(f"not plain JSON data: {type(value).__name__}")


def canonical_json(obs: Any) -> str:
    """JSON.stringify(canonicalize(obs), null, 2), byte for byte (no trailing newline)."""
    canon = canonicalize(obs)
    if canon is UNDEFINED:  # JSON.stringify(undefined) returns undefined, not a string
        raise ValueError("canonical_json: the observation is UNDEFINED, which has no JSON text")
    return _dumps(canon, "  ")
