"""Geometry checks shared by the render tests: a layout a reader can trust."""

from __future__ import annotations

from collections import Counter

from treadle.render import GraphLayout, LayoutGroup, LayoutNode

EPS = 1e-6
Box = tuple[float, float, float, float]  # left, top, right, bottom


def box(item: LayoutNode | LayoutGroup) -> Box:
    return (item.x, item.y, item.x + item.width, item.y + item.height)


def overlap(a: Box, b: Box) -> bool:
    """Whether the interiors meet (touching edges do not count)."""
    return a[0] < b[2] - EPS and b[0] < a[2] - EPS and a[1] < b[3] - EPS and b[1] < a[3] - EPS


def inside(inner: Box, outer: Box) -> bool:
    return (
        inner[0] >= outer[0] - EPS
        and inner[1] >= outer[1] - EPS
        and inner[2] <= outer[2] + EPS
        and inner[3] <= outer[3] + EPS
    )


def on_border(point: tuple[float, float], node: LayoutNode) -> bool:
    left, top, right, bottom = box(node)
    x, y = point
    within_x = left - EPS <= x <= right + EPS
    within_y = top - EPS <= y <= bottom + EPS
    on_vertical_side = within_y and (abs(x - left) < EPS or abs(x - right) < EPS)
    on_horizontal_side = within_x and (abs(y - top) < EPS or abs(y - bottom) < EPS)
    return on_vertical_side or on_horizontal_side


def segment_crosses(a: tuple[float, float], b: tuple[float, float], area: Box) -> bool:
    """Whether an axis-parallel segment passes through the interior of `area`."""
    seg = (min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1]))
    if seg[0] == seg[2]:  # vertical
        return (
            area[0] + EPS < seg[0] < area[2] - EPS
            and seg[1] < area[3] - EPS
            and seg[3] > area[1] + EPS
        )
    return (
        area[1] + EPS < seg[1] < area[3] - EPS and seg[0] < area[2] - EPS and seg[2] > area[0] + EPS
    )


def assert_well_formed(layout: GraphLayout) -> None:
    """Every invariant the renderers rely on; fails with what is wrong and where."""
    ids = [n.id for n in layout.nodes] + [g.id for g in layout.groups]
    assert len(ids) == len(set(ids)), (
        f"duplicate ids: {[i for i, c in Counter(ids).items() if c > 1]}"
    )
    nodes = {n.id: n for n in layout.nodes}
    groups = {g.id: g for g in layout.groups}
    canvas = (0.0, 0.0, layout.width, layout.height)

    for node in layout.nodes:
        assert node.width > 0 and node.height > 0, node
        assert inside(box(node), canvas), f"node {node.id} is outside the canvas"
        if node.group is not None:
            assert inside(box(node), box(groups[node.group])), (
                f"node {node.id} is outside its group {node.group}"
            )
    for group in layout.groups:
        assert inside(box(group), canvas), f"group {group.id} is outside the canvas"
        if group.parent is not None:
            assert inside(box(group), box(groups[group.parent])), group.id

    placed = [(n.id, box(n)) for n in layout.nodes]
    for i, (a_id, a) in enumerate(placed):
        for b_id, b in placed[i + 1 :]:
            assert not overlap(a, b), f"nodes {a_id} and {b_id} overlap"
    # A node and a group overlap only if the node is inside that group (or one nested in it).
    for node in layout.nodes:
        enclosing = set[str]()
        at = node.group
        while at is not None:
            enclosing.add(at)
            at = groups[at].parent
        for group in layout.groups:
            if group.id not in enclosing:
                assert not overlap(box(node), box(group)), (
                    f"node {node.id} overlaps group {group.id}"
                )

    label_boxes: list[tuple[str, Box]] = []
    for edge in layout.edges:
        assert edge.source in nodes and edge.target in nodes, edge
        assert len(edge.points) >= 2, edge
        assert on_border(edge.points[0], nodes[edge.source]), f"{edge.id} leaves off the border"
        assert on_border(edge.points[-1], nodes[edge.target]), f"{edge.id} ends off the border"
        for a, b in zip(edge.points, edge.points[1:], strict=False):
            assert a[0] == b[0] or a[1] == b[1], f"{edge.id} has a slanted segment"
            for node in layout.nodes:
                assert not segment_crosses(a, b, box(node)), f"{edge.id} crosses node {node.id}"
            assert inside(
                (min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])), canvas
            )
        if edge.label is not None:
            lb = edge.label
            label_box = (lb.x, lb.y, lb.x + lb.width, lb.y + lb.height)
            assert inside(label_box, canvas), f"label of {edge.id} is outside the canvas"
            for node in layout.nodes:
                assert not overlap(label_box, box(node)), f"label of {edge.id} covers {node.id}"
            label_boxes.append((edge.id, label_box))
    for i, (a_id, a) in enumerate(label_boxes):
        for b_id, b in label_boxes[i + 1 :]:
            assert not overlap(a, b), f"labels of {a_id} and {b_id} overlap"


def step_path_counts(layout: GraphLayout) -> Counter[str]:
    """How many times each step path is drawn, as a node or as an expanded group."""
    paths = [n.step_path for n in layout.nodes if n.step_path is not None]
    return Counter(paths + [g.step_path for g in layout.groups])
