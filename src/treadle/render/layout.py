"""Top-to-bottom layout of a series-parallel workflow graph with loops (no layout library).

Every block is measured first (width, height, and `axis`: the x of its entry/exit line from its
left edge), then placed. Sequences stack on a shared axis, fans put their arms side by side
between a fork and a join, loops keep a lane on their right for the back edge, and expanded
nested workflows are framed groups holding their own flow. Sizes are even whole pixels, so
halves and midpoints stay exact binary fractions: no rounding, and deterministic output.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from .flow import Block, Fan, Group, Leaf, Loop, Seq, parse_step_graph
from .model import EdgeKind, GraphLayout, LabelBox, LayoutEdge, LayoutGroup, LayoutNode
from .sizes import (
    BUS_GAP,
    FAN_GAP,
    FORK_HEIGHT,
    GROUP_HEADER,
    GROUP_PAD,
    H_GAP,
    JOIN_SIZE,
    LABEL_CHARS,
    LABEL_HEIGHT,
    LOOP_LANE,
    MARGIN,
    V_GAP,
    group_header_width,
    label_width,
    leaf_size,
)
from .text import shorten

__all__ = ["layout_graph"]


@dataclass(frozen=True, slots=True)
class _Size:
    width: float
    height: float
    axis: float  # x of the entry/exit line, from the block's left edge


@dataclass(frozen=True, slots=True)
class _PendingEdge:
    source: LayoutNode
    target: LayoutNode
    kind: EdgeKind
    points: tuple[tuple[float, float], ...]
    label: LabelBox | None
    group: str | None
    tooltip: str | None


@dataclass(frozen=True, slots=True)
class _Ends:
    entry: LayoutNode
    exit: LayoutNode


def _loop_label(loop: Loop) -> str:
    return f"{loop.loop_type} {loop.condition}"


_FORK_TITLES = {"parallel": "parallel", "conditional": "branch"}


class _Layout:
    def __init__(self) -> None:
        self.sizes: dict[int, _Size] = {}
        self.nodes: list[LayoutNode] = []
        self.edges: list[_PendingEdge] = []
        self.fans: dict[int, tuple[_Size, list[float], float]] = {}
        self.groups: list[LayoutGroup] = []
        self.taken_ids: set[str] = set()
        self.fan_count = 0

    # -- ids ----------------------------------------------------------------------------------
    def unique_id(self, wanted: str) -> str:
        candidate, n = wanted, 1
        while candidate in self.taken_ids:
            n += 1
            candidate = f"{wanted}#{n}"
        self.taken_ids.add(candidate)
        return candidate

    def fan_ids(self) -> tuple[str, str]:
        """Ids for the fork and join of the next fan: `__fork_<n>__`, `__join_<n>__`."""
        self.fan_count += 1
        n = self.fan_count
        return self.unique_id(f"__fork_{n}__"), self.unique_id(f"__join_{n}__")

    # -- measuring ----------------------------------------------------------------------------
    def measure(self, block: Block) -> _Size:
        known = self.sizes.get(id(block))
        if known is not None:
            return known
        if isinstance(block, Leaf):
            width, height = leaf_size(block)
            size = _Size(width, height, width / 2)
        elif isinstance(block, Seq):
            size = self.measure_seq(block)
        elif isinstance(block, Group):
            size = self.measure_group(block)
        elif isinstance(block, Fan):
            size = self.measure_fan(block)[0]
        else:
            body = self.measure(block.body)
            lane_and_label = LOOP_LANE + 6 + label_width(self.loop_text(block))
            size = _Size(body.width + lane_and_label, body.height, body.axis)
        self.sizes[id(block)] = size
        return size

    def measure_seq(self, seq: Seq) -> _Size:
        sizes = [self.measure(item) for item in seq.items]
        left = max((s.axis for s in sizes), default=0.0)
        right = max((s.width - s.axis for s in sizes), default=0.0)
        height = sum(s.height for s in sizes) + V_GAP * max(len(sizes) - 1, 0)
        return _Size(left + right, height, left)

    def group_left_extent(self, group: Group, inner: _Size) -> float:
        # The entering edge runs down the axis through the header: keep it clear of the text.
        return max(GROUP_PAD + inner.axis, GROUP_PAD + group_header_width(group) + 12)

    def measure_group(self, group: Group) -> _Size:
        inner = self.measure(group.body)
        left = self.group_left_extent(group, inner)
        right = inner.width - inner.axis + GROUP_PAD
        return _Size(left + right, GROUP_HEADER + inner.height + GROUP_PAD, left)

    def fan_fork(self, fan: Fan) -> Leaf:
        return Leaf(fan.kind, None, _FORK_TITLES[fan.kind], None)

    def measure_fan(self, fan: Fan) -> tuple[_Size, list[float], float]:
        """The fan's size, each arm's axis (from the arms' left edge), and the arms' offset."""
        known = self.fans.get(id(fan))
        if known is None:
            known = self.fans[id(fan)] = self.compute_fan(fan)
        return known

    def compute_fan(self, fan: Fan) -> tuple[_Size, list[float], float]:
        arm_axes: list[float] = []
        cursor = 0.0
        for arm, condition in zip(fan.arms, fan.conditions, strict=True):
            size = self.measure(arm)
            half_label = label_width(shorten(condition, LABEL_CHARS)) / 2 if condition else 0
            left = max(size.axis, half_label)
            right = max(size.width - size.axis, half_label)
            arm_axes.append(cursor + left)
            cursor += left + right + H_GAP
        arms_width = cursor - H_GAP
        middle = (arm_axes[0] + arm_axes[-1]) / 2
        fork_half = max(leaf_size(self.fan_fork(fan))[0], JOIN_SIZE[0]) / 2
        left_extent = max(middle, fork_half)
        right_extent = max(arms_width - middle, fork_half)
        tallest = max(self.measure(arm).height for arm in fan.arms)
        height = FORK_HEIGHT + self.fan_top_band(fan) + tallest + FAN_GAP + JOIN_SIZE[1]
        return (
            _Size(left_extent + right_extent, height, left_extent),
            arm_axes,
            left_extent - middle,
        )

    def fan_top_band(self, fan: Fan) -> float:
        if any(fan.conditions):
            return BUS_GAP + 5 + LABEL_HEIGHT + 9
        return FAN_GAP

    def loop_text(self, loop: Loop) -> str:
        return shorten(_loop_label(loop), LABEL_CHARS)

    # -- placing ------------------------------------------------------------------------------
    def place(self, block: Block, left: float, top: float, group: str | None, depth: int) -> _Ends:
        if isinstance(block, Leaf):
            node = self.add_node(block, left, top, group)
            return _Ends(node, node)
        if isinstance(block, Seq):
            return self.place_seq(block, left, top, group, depth)
        if isinstance(block, Group):
            return self.place_group(block, left, top, group, depth)
        if isinstance(block, Fan):
            return self.place_fan(block, left, top, group, depth)
        return self.place_loop(block, left, top, group, depth)

    def add_node(
        self, leaf: Leaf, left: float, top: float, group: str | None, node_id: str | None = None
    ) -> LayoutNode:
        width, height = leaf_size(leaf)  # not cached: fork and join leaves are made on the fly
        if node_id is None:
            node_id = self.unique_id(leaf.path if leaf.path is not None else f"__{leaf.kind}__")
        node = LayoutNode(
            id=node_id,
            kind=leaf.kind,
            title=leaf.title,
            subtitle=leaf.subtitle,
            step_path=leaf.path,
            x=left,
            y=top,
            width=width,
            height=height,
            group=group,
            tooltip=leaf.tooltip,
            workflow_id=leaf.workflow_id,
        )
        self.nodes.append(node)
        return node

    def add_edge(
        self,
        source: LayoutNode,
        target: LayoutNode,
        points: list[tuple[float, float]],
        group: str | None,
        kind: EdgeKind = "flow",
        label: LabelBox | None = None,
        tooltip: str | None = None,
    ) -> None:
        # Drop repeated points so straight edges stay two-point lines.
        route = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
        route = [
            p
            for i, p in enumerate(route)
            if i in (0, len(route) - 1) or not _collinear(route[i - 1], p, route[i + 1])
        ]
        self.edges.append(_PendingEdge(source, target, kind, tuple(route), label, group, tooltip))

    def finished_edges(self) -> tuple[LayoutEdge, ...]:
        """The edges in reading order (by source, then target), numbered `e1`, `e2`, ..."""
        order = {node.id: i for i, node in enumerate(self.nodes)}
        pending = sorted(self.edges, key=lambda e: (order[e.source.id], order[e.target.id]))
        return tuple(
            LayoutEdge(
                id=f"e{i}",
                source=e.source.id,
                target=e.target.id,
                kind=e.kind,
                points=e.points,
                label=e.label,
                group=e.group,
                tooltip=e.tooltip,
            )
            for i, e in enumerate(pending, 1)
        )

    def place_seq(self, seq: Seq, left: float, top: float, group: str | None, depth: int) -> _Ends:
        axis = self.measure(seq).axis
        first: LayoutNode | None = None
        previous: LayoutNode | None = None
        y = top
        for item in seq.items:
            size = self.measure(item)
            ends = self.place(item, left + axis - size.axis, y, group, depth)
            if previous is not None:
                self.add_edge(
                    previous,
                    ends.entry,
                    [(previous.cx, previous.y + previous.height), (ends.entry.cx, ends.entry.y)],
                    group,
                )
            first = first or ends.entry
            previous = ends.exit
            y += size.height + V_GAP
        assert first is not None and previous is not None, "a sequence is never empty"
        return _Ends(first, previous)

    def place_group(
        self, block: Group, left: float, top: float, group: str | None, depth: int
    ) -> _Ends:
        size = self.measure(block)
        inner = self.measure(block.body)
        group_id = self.unique_id(block.path)
        self.groups.append(
            LayoutGroup(
                id=group_id,
                step_path=block.path,
                kind=block.kind,
                workflow_id=block.workflow_id,
                title=block.title,
                subtitle=block.subtitle,
                x=left,
                y=top,
                width=size.width,
                height=size.height,
                parent=group,
                depth=depth + 1,
            )
        )
        inner_left = left + self.group_left_extent(block, inner) - inner.axis
        return self.place(block.body, inner_left, top + GROUP_HEADER, group_id, depth + 1)

    def place_fan(self, fan: Fan, left: float, top: float, group: str | None, depth: int) -> _Ends:
        size, arm_axes, offset = self.measure_fan(fan)
        fork_leaf = self.fan_fork(fan)
        fork_width = leaf_size(fork_leaf)[0]
        fork_id, join_id = self.fan_ids()
        fork = self.add_node(fork_leaf, left + size.axis - fork_width / 2, top, group, fork_id)
        join_top = top + size.height - JOIN_SIZE[1]
        arms_top = fork.y + fork.height + self.fan_top_band(fan)
        bus_in = fork.y + fork.height + BUS_GAP
        bus_out = join_top - BUS_GAP
        exits: list[LayoutNode] = []
        for arm, arm_axis, condition in zip(fan.arms, arm_axes, fan.conditions, strict=True):
            arm_size = self.measure(arm)
            x_axis = left + offset + arm_axis
            ends = self.place(arm, x_axis - arm_size.axis, arms_top, group, depth)
            label = None
            if condition:
                text = shorten(condition, LABEL_CHARS)
                width = label_width(text)
                label = LabelBox(text, x_axis - width / 2, bus_in + 5, width, LABEL_HEIGHT)
            self.add_edge(
                fork,
                ends.entry,
                [
                    (fork.cx, bus_in - BUS_GAP),
                    (fork.cx, bus_in),
                    (x_axis, bus_in),
                    (x_axis, ends.entry.y),
                ],
                group,
                kind="branch" if fan.kind == "conditional" else "flow",
                label=label,
                tooltip=condition,
            )
            exits.append(ends.exit)
        join_leaf = Leaf("join", None, "", None)
        join_left = left + size.axis - JOIN_SIZE[0] / 2
        join = self.add_node(join_leaf, join_left, join_top, group, join_id)
        for exit_node in exits:
            self.add_edge(
                exit_node,
                join,
                [
                    (exit_node.cx, exit_node.y + exit_node.height),
                    (exit_node.cx, bus_out),
                    (join.cx, bus_out),
                    (join.cx, join_top),
                ],
                group,
            )
        return _Ends(fork, join)

    def place_loop(
        self, loop: Loop, left: float, top: float, group: str | None, depth: int
    ) -> _Ends:
        body = self.measure(loop.body)
        ends = self.place(loop.body, left, top, group, depth)
        entry, exit_node = ends.entry, ends.exit
        if entry is exit_node:
            y_from, y_to = entry.cy + entry.height / 4, entry.cy - entry.height / 4
        else:
            y_from, y_to = exit_node.cy, entry.cy
        lane = left + body.width + LOOP_LANE
        text = self.loop_text(loop)
        width = label_width(text)
        label_top = (y_from + y_to) / 2 - LABEL_HEIGHT / 2
        self.add_edge(
            exit_node,
            entry,
            [
                (exit_node.x + exit_node.width, y_from),
                (lane, y_from),
                (lane, y_to),
                (entry.x + entry.width, y_to),
            ],
            group,
            kind="loop",
            label=LabelBox(text, lane + 6, label_top, width, LABEL_HEIGHT),
            tooltip=_loop_label(loop),
        )
        return ends


def _collinear(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> bool:
    return (a[0] == b[0] == c[0]) or (a[1] == b[1] == c[1])


def layout_graph(step_graph: Any, *, expand: bool | Collection[str] = False) -> GraphLayout:
    """Lay out a serialized step graph (see `treadle.render.step_graph`) top to bottom.

    `expand` draws nested workflows as framed groups holding their own graph: `True` for all
    of them, or a collection of nested step ids or dotted paths (expanding a path also expands
    the workflows around it); others are single nodes. Raises ValueError on a malformed graph
    (naming the field) or an `expand` name that is no nested workflow of the graph.
    """
    tree = parse_step_graph(step_graph, expand)
    whole = Seq((Leaf("start", None, "start", None), *tree.items, Leaf("end", None, "end", None)))
    layout = _Layout()
    size = layout.measure(whole)
    layout.place(whole, MARGIN, MARGIN, None, 0)
    return GraphLayout(
        nodes=tuple(layout.nodes),
        edges=layout.finished_edges(),
        groups=tuple(layout.groups),
        width=size.width + 2 * MARGIN,
        height=size.height + 2 * MARGIN,
    )
