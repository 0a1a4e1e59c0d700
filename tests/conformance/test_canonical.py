"""Tests for the Python port of the oracle's canonical-JSON rules (lib/canonical.mjs)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field

# Works whether or not tests/conformance becomes a package (others own __init__.py).
try:
    from .canonical import UNDEFINED, canonical_json, canonicalize, js_number
except ImportError:
    from canonical import UNDEFINED, canonical_json, canonicalize, js_number  # type: ignore[no-redef]


def _shared_dir() -> Path:
    # The shared/ folder sits beside the repo clone (locally and in CI) unless overridden.
    env = os.environ.get("TREADLE_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared"


GOLDEN_DIR = _shared_dir() / "oracle" / "golden"
GOLDEN_FILES = sorted(GOLDEN_DIR.glob("*.json")) if GOLDEN_DIR.is_dir() else []

U1 = "0b6f1e52-3c1d-4a8e-9f00-1234567890ab"
U2 = "ffffffff-0000-4000-8000-000000000000"
U3 = "00000000-0000-4000-8000-000000000000"


# --- goldens: canonicalisation is idempotent and the text is byte-identical --------------------


# A missing folder yields one failing case rather than an empty (skipped) parametrisation.
@pytest.mark.parametrize("path", GOLDEN_FILES or [None], ids=lambda p: p.stem if p else "missing")
def test_golden_round_trips_byte_identical(path: Path | None) -> None:
    if path is None:
        pytest.fail(
            f"no oracle goldens found in {GOLDEN_DIR}; set TREADLE_SHARED to the shared/ folder "
            "that contains oracle/golden/*.json"
        )
    text = path.read_text(encoding="utf-8")
    assert canonical_json(json.loads(text)) + "\n" == text


# --- unit cases ----------------------------------------------------------------------------------


def test_run_ids_numbered_in_sorted_traversal_order() -> None:
    obs = {
        "z": {"runId": U1},  # inserted first, but "a" sorts first
        "a": {"runId": U2},
        "again": {"runId": U1},
        "msg": f"run {U2} then {U1}",
    }
    assert canonicalize(obs) == {
        "a": {"runId": "<runId>"},
        "again": {"runId": "<runId#2>"},
        "msg": "run <runId> then <runId#2>",
        "z": {"runId": "<runId#2>"},
    }


def test_caller_chosen_run_id_kept_verbatim() -> None:
    assert canonicalize({"runId": "run-ok", "result": {"runId": "run-ok"}}) == {
        "result": {"runId": "run-ok"},
        "runId": "run-ok",
    }


def test_uuid_inside_key_rewritten() -> None:
    obs = {"steps": {f"sleep_{U1}": {"status": "success"}}, "stepExecutionPath": [f"sleep_{U1}"]}
    assert canonicalize(obs) == {
        "stepExecutionPath": ["sleep_<uuid#1>"],
        "steps": {"sleep_<uuid#1>": {"status": "success"}},
    }


def test_keys_equal_after_masking_keep_insertion_order() -> None:
    # Both keys mask to "sleep_\0": the first inserted (U2, though it sorts last) gets #1.
    obs = {f"sleep_{U2}": "late", f"sleep_{U3}": "early", "zpath": [f"sleep_{U3}"]}
    assert canonicalize(obs) == {
        "sleep_<uuid#1>": "late",
        "sleep_<uuid#2>": "early",
        "zpath": ["sleep_<uuid#2>"],
    }


def test_timestamp_keys_replaced() -> None:
    obs = {"startedAt": 1_700_000_000_000, "endedAt": "later", "timestamp": True, "createdAt": None}
    assert canonicalize(obs) == {
        "createdAt": None,  # only numbers and strings are timestamps
        "endedAt": "<ts>",
        "startedAt": "<ts>",
        "timestamp": True,
    }


def test_iso_strings_and_datetimes_replaced() -> None:
    obs = {
        "when": "2024-05-01T12:00:00.123Z",
        "list": ["2024-05-01T12:00:00+02:00", "2024-05-01", "2024-05-01T12:00:00Z\n"],
        "date": dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC),
    }
    assert canonicalize(obs) == {
        "date": "<ts>",
        "list": ["<ts>", "2024-05-01", "2024-05-01T12:00:00Z\n"],  # JS `$` ignores a final \n
        "when": "<ts>",
    }


class _StepError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code = "E_STEP"
        self.stack = "Traceback ..."
        self._private = 1
        self.hook = print


def test_exception_becomes_error_object() -> None:
    assert canonicalize({"error": _StepError("boom")}) == {
        "error": {"$error": "_StepError", "code": "E_STEP", "message": "boom", "name": "_StepError"}
    }


def test_undefined_dropped_from_objects_and_null_in_lists() -> None:
    obs = {"a": UNDEFINED, "b": [UNDEFINED, 1], "c": {"d": UNDEFINED}}
    assert canonicalize(obs) == {"b": [None, 1], "c": {}}
    assert canonical_json(obs) == '{\n  "b": [\n    null,\n    1\n  ],\n  "c": {}\n}'


def test_integer_like_keys_print_first_like_js_objects() -> None:
    obs = {"b": 1, "10": 2, "9": 3, "a": 4, "01": 5, "4294967295": 6}
    keys = list(json.loads(canonical_json(obs)))
    assert keys == ["9", "10", "01", "4294967295", "a", "b"]


def test_numbers_formatted_like_js() -> None:
    assert canonical_json({"x": 2.0}) == '{\n  "x": 2\n}'
    assert canonical_json([-0.0, 0.5, 1e21, 1e-7, 1e-6, 123456789012345680000.0, 7]) == (
        "[\n  0,\n  0.5,\n  1e+21,\n  1e-7,\n  0.000001,\n  123456789012345680000,\n  7\n]"
    )
    assert js_number(1.5e300) == "1.5e+300"
    assert js_number(-2.5e-8) == "-2.5e-8"


class _Model(BaseModel):
    step_id: str = Field(alias="stepId")
    note: str | None = None


class _HasToJson:
    def to_json(self) -> Any:
        return {"kind": "custom", "at": dt.datetime(2024, 1, 1)}


def test_python_specific_values() -> None:
    obs = {
        "model": _Model(stepId="s1"),
        "custom": _HasToJson(),
        "fn": len,
        "nan": float("nan"),
        "tags": {"b", "a"},
        "tuple": ("x", "ü"),
    }
    assert canonicalize(obs) == {
        "custom": {"at": "<ts>", "kind": "custom"},
        "fn": "<function>",
        "model": {"stepId": "s1"},
        "nan": None,
        "tags": {"$set": ["a", "b"]},
        "tuple": ["x", "ü"],
    }


def test_string_escaping_matches_json_stringify() -> None:
    assert (
        canonical_json('q"\\\n\t\x01\u2028é\ud800😀') == '"q\\"\\\\\\n\\t\\u0001\u2028é\\ud800😀"'
    )
