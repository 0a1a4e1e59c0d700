"""JSON export: the layout as plain data for programs (the HTTP route, the Studio)."""

from __future__ import annotations

import json

from render.workflows import kitchen_sink
from treadle.render import layout_graph, step_graph, to_json


def test_json_carries_every_node_edge_and_group_with_geometry() -> None:
    wf = kitchen_sink()
    data = to_json(wf, expand=True)
    layout = layout_graph(step_graph(wf), expand=True)
    assert json.loads(json.dumps(data)) == data  # plain JSON types only
    assert data["format"] == "treadle.graph-layout/1"
    assert (data["width"], data["height"]) == (layout.width, layout.height)
    assert [n["id"] for n in data["nodes"]] == [n.id for n in layout.nodes]
    assert [e["id"] for e in data["edges"]] == [e.id for e in layout.edges]
    assert [g["stepPath"] for g in data["groups"]] == [g.step_path for g in layout.groups]
    enrich = next(n for n in data["nodes"] if n["stepPath"] == "enrich")
    node = layout.node("enrich")
    assert (enrich["x"], enrich["y"], enrich["width"], enrich["height"]) == (
        node.x,
        node.y,
        node.width,
        node.height,
    )
    assert enrich["kind"] == "foreach" and enrich["subtitle"] == "for each · concurrency 4"
    loop = next(e for e in data["edges"] if e["kind"] == "loop" and e["from"] == "poll")
    assert loop["label"]["text"] == "dowhile <function ready>"
    assert all(len(p) == 2 for p in loop["points"])
    leaf = next(g for g in data["groups"] if g["id"] == "mid.leaf")
    assert (leaf["parent"], leaf["depth"], leaf["workflowId"]) == ("mid", 2, "leaf")


def test_collapsed_json_marks_nested_workflows() -> None:
    data = to_json(kitchen_sink())
    assert data["groups"] == []
    nested = {n["stepPath"]: n["workflowId"] for n in data["nodes"] if n["workflowId"]}
    assert nested == {"side": "side", "mid": "mid", "retry": "retry", "per-item": "per-item"}
