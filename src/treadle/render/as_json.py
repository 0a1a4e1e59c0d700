"""A GraphLayout as plain JSON-ready data (for the HTTP route, the CLI and the Studio)."""

from __future__ import annotations

from typing import Any

from .model import GraphLayout, LabelBox

__all__ = ["layout_to_json"]

FORMAT = "treadle.graph-layout/1"


def _num(value: float) -> float | int:
    return int(value) if value == int(value) else value


def _label(label: LabelBox | None) -> dict[str, Any] | None:
    if label is None:
        return None
    return {
        "text": label.text,
        "x": _num(label.x),
        "y": _num(label.y),
        "width": _num(label.width),
        "height": _num(label.height),
    }


def layout_to_json(layout: GraphLayout) -> dict[str, Any]:
    """`{format, width, height, nodes, edges, groups}` with camelCase keys; coordinates in px,
    origin top-left; a node's `x`, `y` is its top-left corner."""
    return {
        "format": FORMAT,
        "width": _num(layout.width),
        "height": _num(layout.height),
        "nodes": [
            {
                "id": n.id,
                "kind": n.kind,
                "stepPath": n.step_path,
                "title": n.title,
                "subtitle": n.subtitle,
                "tooltip": n.tooltip,
                "workflowId": n.workflow_id,
                "group": n.group,
                "x": _num(n.x),
                "y": _num(n.y),
                "width": _num(n.width),
                "height": _num(n.height),
            }
            for n in layout.nodes
        ],
        "edges": [
            {
                "id": e.id,
                "from": e.source,
                "to": e.target,
                "kind": e.kind,
                "points": [[_num(x), _num(y)] for x, y in e.points],
                "label": _label(e.label),
                "tooltip": e.tooltip,
                "group": e.group,
            }
            for e in layout.edges
        ],
        "groups": [
            {
                "id": g.id,
                "stepPath": g.step_path,
                "kind": g.kind,
                "workflowId": g.workflow_id,
                "title": g.title,
                "subtitle": g.subtitle,
                "parent": g.parent,
                "depth": g.depth,
                "x": _num(g.x),
                "y": _num(g.y),
                "width": _num(g.width),
                "height": _num(g.height),
            }
            for g in layout.groups
        ],
    }
