"""`treadle graph`: Mermaid, SVG and JSON drawings of a workflow, to stdout or a file."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

SVG = "{http://www.w3.org/2000/svg}"


def step_paths(svg_text: str) -> set[str]:
    root = ET.fromstring(svg_text)
    return {el.attrib["data-step-path"] for el in root.iter() if "data-step-path" in el.attrib}


def test_mermaid_is_the_default(invoke):
    result = invoke("graph", "nested-approve")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("flowchart")
    assert "prepare" in result.stdout and "checks" in result.stdout


def test_svg_parses_and_names_each_step(invoke):
    result = invoke("graph", "nested-approve", "--format", "svg")

    assert result.exit_code == 0, result.stderr
    assert ET.fromstring(result.stdout).tag == f"{SVG}svg"
    assert {"prepare", "checks"} <= step_paths(result.stdout)
    assert "checks.review" not in step_paths(result.stdout)


def test_expand_draws_the_nested_steps(invoke):
    collapsed = invoke("graph", "nested-approve", "--format", "svg")
    expanded = invoke("graph", "nested-approve", "--format", "svg", "--expand")

    assert "checks.review" in step_paths(expanded.stdout)
    assert "checks.review" not in step_paths(collapsed.stdout)
    mermaid = invoke("graph", "nested-approve", "--expand").stdout
    assert "review" in mermaid


def test_json_parses(invoke):
    result = invoke("graph", "approve", "--format", "json")

    assert result.exit_code == 0, result.stderr
    layout = json.loads(result.stdout)
    assert "review" in {node.get("stepPath") for node in layout["nodes"]}


def test_output_file(invoke, tmp_path: Path):
    target = tmp_path / "approve.svg"

    result = invoke("graph", "approve", "--format", "svg", "-o", str(target))

    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"wrote {target} (svg)" in result.stderr
    assert "review" in step_paths(target.read_text(encoding="utf-8"))


def test_unwritable_output_is_a_usage_error(invoke, tmp_path: Path):
    result = invoke("graph", "approve", "-o", str(tmp_path / "missing-dir" / "g.mmd"))

    assert result.exit_code == 2
    assert "cannot write" in result.stderr


def test_unknown_format(invoke):
    result = invoke("graph", "approve", "--format", "png")

    assert result.exit_code == 2
    assert "'png' is not one of 'mermaid', 'svg', 'json'" in result.stderr
