"""Workflow graph rendering: layout, SVG, Mermaid and JSON exports of a serialized step graph.

Everything takes a `Workflow` or its serialized step graph (Mastra's `stepGraph`, a list of
entries) and an `expand` option: `False` draws nested workflows as single nodes, `True` draws
all of them as framed groups around their own graph, and a collection of nested step ids (or
dotted paths) expands just those.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from .._graph.serialize import serialize_entries
from .as_json import layout_to_json
from .layout import layout_graph
from .mermaid import layout_to_mermaid
from .model import GraphLayout, LabelBox, LayoutEdge, LayoutGroup, LayoutNode
from .svg import layout_to_svg
from .svg_style import STATUS_CLASSES

__all__ = [
    "STATUS_CLASSES",
    "GraphLayout",
    "LabelBox",
    "LayoutEdge",
    "LayoutGroup",
    "LayoutNode",
    "layout_graph",
    "step_graph",
    "to_json",
    "to_mermaid",
    "to_svg",
]

Expand = bool | Collection[str]


def step_graph(workflow: Any) -> list[dict[str, Any]]:
    """The serialized step graph of a Workflow (a list is returned as it is)."""
    if isinstance(workflow, list):
        return workflow  # pyright: ignore[reportUnknownVariableType]
    entries = getattr(workflow, "entries", None)
    if entries is None:
        raise TypeError(
            f"expected a Workflow or a serialized step graph (list), got {type(workflow).__name__}"
        )
    return serialize_entries(entries)


def _layout(workflow_or_step_graph: Any, expand: Expand) -> GraphLayout:
    return layout_graph(step_graph(workflow_or_step_graph), expand=expand)


def to_svg(workflow_or_step_graph: Any, *, expand: Expand = False, title: str | None = None) -> str:
    """A standalone SVG document of the graph. Node groups carry `class="tr-node"`,
    `data-step-path` and `data-kind`; edges `class="tr-edge"` with `data-from`/`data-to`;
    expanded nested workflows are `<g class="tr-group" data-nested="<path>">`."""
    workflow_id = getattr(workflow_or_step_graph, "id", None)
    default_title = f"Workflow {workflow_id}" if isinstance(workflow_id, str) else "Workflow graph"
    return layout_to_svg(_layout(workflow_or_step_graph, expand), title=title or default_title)


def to_mermaid(workflow_or_step_graph: Any, *, expand: Expand = False) -> str:
    """Mermaid `flowchart TD` text of the graph."""
    return layout_to_mermaid(_layout(workflow_or_step_graph, expand))


def to_json(workflow_or_step_graph: Any, *, expand: Expand = False) -> dict[str, Any]:
    """The laid-out graph as JSON-ready data: `{format, width, height, nodes, edges, groups}`."""
    return layout_to_json(_layout(workflow_or_step_graph, expand))
