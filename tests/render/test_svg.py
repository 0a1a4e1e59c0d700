"""SVG export: a valid standalone document whose elements the Studio can find and color."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from render.workflows import NESTED, SINK_PATHS, kitchen_sink, step
from treadle import create_workflow
from treadle.render import STATUS_CLASSES, layout_graph, step_graph, to_svg

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def _classes(element: ET.Element) -> set[str]:
    return set(element.get("class", "").split())


def _nodes(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "tr-node" in _classes(g)]


def test_the_document_is_standalone_svg_with_viewbox_style_and_marker() -> None:
    svg = to_svg(kitchen_sink())
    root = _parse(svg)
    layout = layout_graph(step_graph(kitchen_sink()))
    assert root.get("viewBox") == f"0 0 {layout.width:g} {layout.height:g}"
    assert root.get("width") == f"{layout.width:g}" and root.get("height") == f"{layout.height:g}"
    assert root.findtext(f"{SVG}title") == "Workflow sink"
    style = root.find(f"{SVG}defs/{SVG}style")
    assert style is not None and "prefers-color-scheme: dark" in (style.text or "")
    marker = root.find(f"{SVG}defs/{SVG}marker")
    assert marker is not None and marker.get("id") == "tr-arrow"
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')


def test_each_node_group_carries_its_step_path_kind_and_id() -> None:
    root = _parse(to_svg(kitchen_sink(), expand=True))
    nodes = _nodes(root)
    paths = [g.get("data-step-path") for g in nodes if g.get("data-step-path")]
    assert len(paths) == len(set(paths))
    assert set(paths) >= SINK_PATHS - NESTED
    ids = [g.get("id") for g in root.iter() if g.get("id")]
    assert len(ids) == len(set(ids))
    by_path = {g.get("data-step-path"): g for g in nodes}
    enrich = by_path["enrich"]
    assert enrich.get("data-kind") == "foreach"
    assert _classes(enrich) == {"tr-node", "tr-kind-foreach"}
    assert enrich.get("id") == "node-enrich"
    assert by_path["mid.leaf.l1"].get("id") == "node-mid.leaf.l1"
    texts = ["".join(t.itertext()) for t in enrich.iter(f"{SVG}text")]
    assert texts == ["enrich", "for each · concurrency 4"]
    kinds = {g.get("data-kind") for g in nodes}
    assert {"start", "end", "parallel", "conditional", "join", "loop", "mapping"} <= kinds
    assert {"sleep", "sleepUntil", "waitForEvent", "step", "foreach"} <= kinds


def test_edges_name_their_ends() -> None:
    root = _parse(to_svg(kitchen_sink(), expand=True))
    node_ids = {g.get("data-node-id") for g in _nodes(root)}
    edges = [p for p in root.iter(f"{SVG}path") if "tr-edge" in _classes(p)]
    layout = layout_graph(step_graph(kitchen_sink()), expand=True)
    assert len(edges) == len(layout.edges)
    for edge in edges:
        assert edge.get("data-from") in node_ids and edge.get("data-to") in node_ids
        assert edge.get("marker-end") == "url(#tr-arrow)"
        assert re.fullmatch(r"M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+", edge.get("d", ""))
    loops = [e for e in edges if e.get("data-kind") == "loop"]
    assert {(e.get("data-from"), e.get("data-to")) for e in loops} == {
        ("poll", "poll"),
        ("retry.check", "retry.try"),
        ("mid.m2", "mid.m2"),
    }
    labels = ["".join(g.itertext()) for g in root.iter(f"{SVG}g") if "tr-edge-label" in _classes(g)]
    assert "dountil <function ready>dountil <function ready>" in labels  # tooltip + text
    assert any(label.endswith("<function is_big>") for label in labels)


def test_expanded_workflows_are_nested_groups() -> None:
    root = _parse(to_svg(kitchen_sink(), expand=True))
    groups = {g.get("data-nested"): g for g in root.iter(f"{SVG}g") if "tr-group" in _classes(g)}
    assert set(groups) == NESTED
    mid = groups["mid"]
    assert mid.get("data-step-path") == "mid" and mid.get("data-kind") == "workflow"
    inner = {g.get("data-nested") for g in mid.iter(f"{SVG}g") if "tr-group" in _classes(g)}
    assert inner == {"mid", "mid.leaf"}  # the level-3 frame sits inside the level-2 one
    inside_leaf = {g.get("data-step-path") for g in _nodes(groups["mid.leaf"])}
    assert inside_leaf == {"mid.leaf.l1", "mid.leaf.l2", "mid.leaf.l3", None}  # + fork, join
    assert groups["per-item"].get("data-kind") == "foreach"
    assert groups["retry"].get("data-kind") == "loop"


def test_collapsed_workflows_are_single_expandable_nodes() -> None:
    root = _parse(to_svg(kitchen_sink()))
    assert not [g for g in root.iter(f"{SVG}g") if "tr-group" in _classes(g)]
    expandable = {g.get("data-expandable") for g in _nodes(root) if g.get("data-expandable")}
    assert expandable == {"side", "mid", "retry", "per-item"}


def test_the_style_colors_every_run_status() -> None:
    svg = to_svg(kitchen_sink())
    for status in STATUS_CLASSES:
        assert f".tr-node.{status}" in svg, status
        assert f".tr-group.{status}" in svg, status


def test_text_is_escaped() -> None:
    nasty = 'a<b>&"c"\x01'
    graph: list[dict[str, Any]] = [
        {"type": "step", "step": {"id": nasty, "description": "<script>alert(1)</script>"}},
        {
            "type": "conditional",
            "steps": [{"type": "step", "step": {"id": "x"}}],
            "serializedConditions": [{"id": "x-condition", "fn": "v => v > 1 && v < 3"}],
        },
    ]
    svg = to_svg(graph)
    root = _parse(svg)
    assert "<script>" not in svg
    node = next(
        g for g in _nodes(root) if g.get("data-kind") == "step" and g.get("data-step-path") != "x"
    )
    assert node.get("data-step-path") == 'a<b>&"c"\ufffd'
    assert node.get("id") == "node-a_b___c__"
    assert "v => v > 1 && v < 3" in "".join(root.itertext())


def test_same_graph_gives_the_same_svg() -> None:
    assert to_svg(kitchen_sink(), expand=True) == to_svg(kitchen_sink(), expand=True)


def test_a_workflow_and_its_step_graph_render_alike() -> None:
    wf = create_workflow(id="w").then(step("one")).commit()
    assert to_svg(wf, title="t") == to_svg(step_graph(wf), title="t")
