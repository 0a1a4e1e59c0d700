"""A GraphLayout as a standalone SVG document (nodes, edges and nested frames, with a stylesheet)."""

from __future__ import annotations

import html
import re
from collections import defaultdict

from .model import GraphLayout, LayoutEdge, LayoutGroup, LayoutNode
from .sizes import GROUP_HEADER_SPACE, GROUP_PAD
from .svg_style import SVG_STYLE

__all__ = ["layout_to_svg"]

_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_ID_CHAR = re.compile(r"[^A-Za-z0-9_.-]")
_STRUCTURE_KINDS = frozenset({"start", "end", "parallel", "conditional", "join"})


def _esc(text: str) -> str:
    """Text safe in XML content and in double-quoted attributes."""
    return html.escape(_INVALID_XML.sub("\ufffd", text), quote=True)


def _num(value: float) -> str:
    if value == int(value):
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


class _Ids:
    """XML ids from layout ids: only safe characters, never two alike."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def make(self, prefix: str, raw: str) -> str:
        base = f"{prefix}-{_NOT_ID_CHAR.sub('_', raw)}"
        candidate, n = base, 1
        while candidate in self.taken:
            n += 1
            candidate = f"{base}-{n}"
        self.taken.add(candidate)
        return candidate


def _node(node: LayoutNode, xml_id: str) -> list[str]:
    attrs = [
        f'class="tr-node tr-kind-{node.kind}"',
        f'id="{_esc(xml_id)}"',
        f'data-node-id="{_esc(node.id)}"',
        f'data-kind="{node.kind}"',
    ]
    if node.step_path is not None:
        attrs.append(f'data-step-path="{_esc(node.step_path)}"')
    if node.workflow_id is not None:
        attrs.append(f'data-workflow-id="{_esc(node.workflow_id)}"')
        attrs.append(f'data-expandable="{_esc(node.step_path or node.id)}"')
    x, y, w, h = _num(node.x), _num(node.y), _num(node.width), _num(node.height)
    structural = node.kind in _STRUCTURE_KINDS
    radius = _num(node.height / 2) if structural else "8"
    out = [f"<g {' '.join(attrs)}>"]
    if node.tooltip:
        out.append(f"<title>{_esc(node.tooltip)}</title>")
    out.append(f'<rect class="tr-box" x="{x}" y="{y}" width="{w}" height="{h}" rx="{radius}"/>')
    cx = _num(node.cx)
    if structural:
        if node.title:
            baseline = _num(node.cy + 4)
            out.append(
                f'<text class="tr-structure-title" x="{cx}" y="{baseline}" '
                f'text-anchor="middle">{_esc(node.title)}</text>'
            )
    else:
        out.append(
            f'<rect class="tr-accent" x="{x}" y="{_num(node.y + 6)}" width="4" '
            f'height="{_num(node.height - 12)}" rx="2"/>'
        )
        title_y = node.y + 21 if node.subtitle else node.cy + 4.5
        out.append(
            f'<text class="tr-title" x="{cx}" y="{_num(title_y)}" '
            f'text-anchor="middle">{_esc(node.title)}</text>'
        )
        if node.subtitle:
            out.append(
                f'<text class="tr-subtitle" x="{cx}" y="{_num(node.y + 39)}" '
                f'text-anchor="middle">{_esc(node.subtitle)}</text>'
            )
    out.append("</g>")
    return out


def _edge(edge: LayoutEdge, xml_id: str) -> list[str]:
    first, *rest = edge.points
    path = f"M{_num(first[0])},{_num(first[1])}" + "".join(
        f" L{_num(px)},{_num(py)}" for px, py in rest
    )
    out = [
        f'<path class="tr-edge tr-edge-{edge.kind}" id="{_esc(xml_id)}" '
        f'data-from="{_esc(edge.source)}" data-to="{_esc(edge.target)}" '
        f'data-kind="{edge.kind}" d="{path}" marker-end="url(#tr-arrow)">'
        + (f"<title>{_esc(edge.tooltip)}</title>" if edge.tooltip else "")
        + "</path>"
    ]
    label = edge.label
    if label is not None:
        out.append(
            f'<g class="tr-edge-label" data-edge="{_esc(xml_id)}">'
            + (f"<title>{_esc(edge.tooltip)}</title>" if edge.tooltip else "")
            + f'<rect x="{_num(label.x)}" y="{_num(label.y)}" width="{_num(label.width)}" '
            f'height="{_num(label.height)}" rx="4"/>'
            f'<text x="{_num(label.x + label.width / 2)}" y="{_num(label.y + label.height / 2 + 4)}"'
            f' text-anchor="middle">{_esc(label.text)}</text></g>'
        )
    return out


class _Writer:
    def __init__(self, layout: GraphLayout) -> None:
        self.ids = _Ids()
        self.groups_in: defaultdict[str | None, list[LayoutGroup]] = defaultdict(list)
        self.nodes_in: defaultdict[str | None, list[LayoutNode]] = defaultdict(list)
        self.edges_in: defaultdict[str | None, list[LayoutEdge]] = defaultdict(list)
        for group in layout.groups:
            self.groups_in[group.parent].append(group)
        for node in layout.nodes:
            self.nodes_in[node.group].append(node)
        for edge in layout.edges:
            self.edges_in[edge.group].append(edge)

    def level(self, group: str | None) -> list[str]:
        """One nesting level: child frames first, then this level's edges, then its nodes (so
        edges entering a frame are drawn over its background)."""
        out: list[str] = []
        for child in self.groups_in[group]:
            out.extend(self.group(child))
        for edge in self.edges_in[group]:
            out.extend(_edge(edge, self.ids.make("edge", edge.id)))
        for node in self.nodes_in[group]:
            out.extend(_node(node, self.ids.make("node", node.id)))
        return out

    def group(self, group: LayoutGroup) -> list[str]:
        x, y = _num(group.x), _num(group.y)
        title = group.title + (f" · {group.subtitle}" if group.subtitle else "")
        out = [
            f'<g class="tr-group tr-kind-{group.kind}" id="{_esc(self.ids.make("group", group.id))}" '
            f'data-nested="{_esc(group.step_path)}" data-step-path="{_esc(group.step_path)}" '
            f'data-kind="{group.kind}" data-workflow-id="{_esc(group.workflow_id)}" '
            f'data-depth="{group.depth}">',
            f"<title>{_esc(title)}</title>",
            f'<rect class="tr-frame" x="{x}" y="{y}" width="{_num(group.width)}" '
            f'height="{_num(group.height)}" rx="12"/>',
            f'<text x="{_num(group.x + GROUP_PAD)}" y="{_num(group.y + 21)}">'
            f'<tspan class="tr-group-title">{_esc(group.title)}</tspan>'
            + (
                f'<tspan class="tr-group-subtitle" dx="{GROUP_HEADER_SPACE}">'
                f"{_esc(group.subtitle)}</tspan>"
                if group.subtitle
                else ""
            )
            + "</text>",
            '<g class="tr-group-body">',
            *self.level(group.id),
            "</g>",
            "</g>",
        ]
        return out


def layout_to_svg(layout: GraphLayout, *, title: str = "Workflow graph") -> str:
    """A standalone SVG document drawing `layout`."""
    width, height = _num(layout.width), _num(layout.height)
    lines = [
        '<svg xmlns="http://www.w3.org/2000/svg" class="tr-graph" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">',
        f"<title>{_esc(title)}</title>",
        "<defs>",
        '<marker id="tr-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path class="tr-arrowhead" d="M0,0 L10,5 L0,10 z"/></marker>',
        f"<style>{SVG_STYLE}</style>",
        "</defs>",
        f'<rect class="tr-canvas" x="0" y="0" width="{width}" height="{height}"/>',
        *_Writer(layout).level(None),
        "</svg>",
    ]
    return "\n".join(lines) + "\n"
