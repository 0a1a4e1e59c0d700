"""The laid-out graph: positioned nodes, routed edges and nested-workflow frames (pure data)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "EdgeKind",
    "GraphLayout",
    "GroupKind",
    "LabelBox",
    "LayoutEdge",
    "LayoutGroup",
    "LayoutNode",
    "NodeKind",
]

NodeKind = Literal[
    "start",
    "end",
    "step",
    "mapping",
    "workflow",
    "foreach",
    "loop",
    "sleep",
    "sleepUntil",
    "waitForEvent",
    "parallel",  # the fork above the arms of `.parallel()`
    "conditional",  # the fork above the arms of `.branch()`
    "join",  # where parallel or conditional arms meet again
]
GroupKind = Literal["workflow", "foreach", "loop", "waitForEvent"]
EdgeKind = Literal["flow", "branch", "loop"]


@dataclass(frozen=True, slots=True)
class LayoutNode:
    """One box. `x`, `y` are its top-left corner; coordinates grow right and down."""

    id: str  # unique in the layout: the step path, or `__start__`, `__fork_1__`, ...
    kind: NodeKind
    title: str
    subtitle: str | None
    step_path: str | None  # the key of this step in a run's `steps` (None for structure)
    x: float
    y: float
    width: float
    height: float
    group: str | None  # id of the innermost expanded group drawn around it
    tooltip: str | None = None  # the full text when the title or subtitle is shortened
    workflow_id: str | None = None  # set on a collapsed nested workflow

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        return self.y + self.height / 2


@dataclass(frozen=True, slots=True)
class LabelBox:
    """Where an edge label sits (top-left corner and size)."""

    text: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class LayoutEdge:
    id: str
    source: str  # LayoutNode.id
    target: str  # LayoutNode.id
    kind: EdgeKind
    points: tuple[tuple[float, float], ...]  # a polyline from the source border to the target's
    label: LabelBox | None
    group: str | None  # the group whose layout drew it (None: top level)
    tooltip: str | None = None


@dataclass(frozen=True, slots=True)
class LayoutGroup:
    """The frame around an expanded nested workflow and its child graph."""

    id: str  # unique in the layout: the step path (`path#2` if the workflow is used twice)
    step_path: str  # the nested workflow's key in a run's `steps`
    kind: GroupKind
    workflow_id: str
    title: str
    subtitle: str | None
    x: float
    y: float
    width: float
    height: float
    parent: str | None  # the enclosing group's id
    depth: int  # 1 for a workflow nested in the top level


@dataclass(frozen=True, slots=True)
class GraphLayout:
    nodes: tuple[LayoutNode, ...]
    edges: tuple[LayoutEdge, ...]
    groups: tuple[LayoutGroup, ...]
    width: float
    height: float

    def node(self, node_id: str) -> LayoutNode:
        """The node with this id (KeyError when there is none)."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def step_nodes(self) -> dict[str, LayoutNode]:
        """Nodes that stand for a step, by step path (first one when a step is reused)."""
        found: dict[str, LayoutNode] = {}
        for node in self.nodes:
            if node.step_path is not None:
                found.setdefault(node.step_path, node)
        return found
