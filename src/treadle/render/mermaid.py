"""A GraphLayout as Mermaid `flowchart TD` text (subgraphs for expanded nested workflows)."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict

from .model import GraphLayout, LayoutEdge, LayoutGroup, LayoutNode

__all__ = ["layout_to_mermaid"]

_NOT_ID_CHAR = re.compile(r"[^A-Za-z0-9_]")
_UNUSUAL_CHAR = re.compile(r"[^A-Za-z0-9_.-]")
# Mermaid entity codes: `#` first, since every other replacement introduces one.
_ESCAPES = (
    ("#", "#35;"),
    ('"', "#quot;"),
    ("<", "#lt;"),
    (">", "#gt;"),
    ("&", "#amp;"),
    ("|", "#124;"),
    ("`", "#96;"),
    ("\n", " "),
    ("\r", " "),
)


def _text(text: str) -> str:
    for raw, code in _ESCAPES:
        text = text.replace(raw, code)
    return text


def _shape(node: LayoutNode) -> tuple[str, str]:
    """Mermaid's opening and closing brackets for this kind of node."""
    return {
        "start": ("([", "])"),
        "end": ("([", "])"),
        "parallel": ("{{", "}}"),
        "conditional": ("{", "}"),
        "join": ("((", "))"),
        "workflow": ("[[", "]]"),
        "mapping": ("[/", "/]"),
        "sleep": ("(", ")"),
        "sleepUntil": ("(", ")"),
        "waitForEvent": (">", "]"),
    }.get(node.kind, ("[", "]"))


class _Ids:
    """Mermaid ids: letters, digits and `_` only, prefixed (so `end` and friends never clash)."""

    def __init__(self) -> None:
        self.by_layout_id: dict[str, str] = {}
        self.taken: set[str] = set()

    def make(self, prefix: str, layout_id: str) -> str:
        readable = _NOT_ID_CHAR.sub("_", layout_id).strip("_")
        if _UNUSUAL_CHAR.search(layout_id):
            # Spaces, punctuation, non-ASCII: a short digest keeps distinct ids apart.
            readable = f"{readable}_{hashlib.sha1(layout_id.encode()).hexdigest()[:6]}".strip("_")
        base = f"{prefix}_{readable}"
        candidate, n = base, 1
        while candidate in self.taken:
            n += 1
            candidate = f"{base}_{n}"
        self.taken.add(candidate)
        self.by_layout_id[f"{prefix}:{layout_id}"] = candidate
        return candidate

    def node(self, layout_id: str) -> str:
        return self.by_layout_id[f"n:{layout_id}"]


def _node_line(node: LayoutNode, mermaid_id: str) -> str:
    opening, closing = _shape(node)
    label = _text(node.title) if node.title else " "
    if node.subtitle:
        label += f"<br/><small>{_text(node.subtitle)}</small>"
    return f'{mermaid_id}{opening}"{label}"{closing}'


def _edge_line(edge: LayoutEdge, ids: _Ids) -> str:
    arrow = "-.->" if edge.kind == "loop" else "-->"
    text = edge.tooltip if edge.kind != "flow" else None
    link = f'{arrow}|"{_text(text)}"|' if text else arrow
    return f"{ids.node(edge.source)} {link} {ids.node(edge.target)}"


def layout_to_mermaid(layout: GraphLayout) -> str:
    """Mermaid flowchart text for `layout` (nodes in layout order, then every edge)."""
    ids = _Ids()
    nodes_in: defaultdict[str | None, list[LayoutNode]] = defaultdict(list)
    groups_in: defaultdict[str | None, list[LayoutGroup]] = defaultdict(list)
    for node in layout.nodes:
        ids.make("n", node.id)
        nodes_in[node.group].append(node)
    for group in layout.groups:
        groups_in[group.parent].append(group)

    lines = ["flowchart TD"]

    def level(group: str | None, indent: str) -> None:
        lines.extend(indent + _node_line(node, ids.node(node.id)) for node in nodes_in[group])
        for child in groups_in[group]:
            title = _text(child.title + (f" · {child.subtitle}" if child.subtitle else ""))
            lines.append(f'{indent}subgraph {ids.make("g", child.id)}["{title}"]')
            lines.append(f"{indent}  direction TB")
            level(child.id, indent + "  ")
            lines.append(f"{indent}end")

    level(None, "  ")
    lines.extend(f"  {_edge_line(edge, ids)}" for edge in layout.edges)
    return "\n".join(lines) + "\n"
