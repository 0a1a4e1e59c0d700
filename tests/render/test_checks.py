"""The geometry checks themselves catch broken layouts (so passing them means something)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from render.checks import assert_well_formed
from render.workflows import kitchen_sink
from treadle.render import GraphLayout, layout_graph, step_graph


def _good() -> GraphLayout:
    return layout_graph(step_graph(kitchen_sink()), expand=True)


def _move_node(layout: GraphLayout, node_id: str, dx: float, dy: float) -> GraphLayout:
    nodes = tuple(
        replace(n, x=n.x + dx, y=n.y + dy) if n.id == node_id else n for n in layout.nodes
    )
    return replace(layout, nodes=nodes)


def test_the_real_layout_passes() -> None:
    assert_well_formed(_good())


def test_overlapping_nodes_fail() -> None:
    layout = _good()
    b = layout.node("b")
    a = layout.node("a")
    with pytest.raises(AssertionError, match="overlap"):
        assert_well_formed(_move_node(layout, "b", a.x - b.x + 5, 0))


def test_an_edge_off_the_border_fails() -> None:
    layout = _good()
    edge = layout.edges[0]
    moved = replace(edge, points=((edge.points[0][0], edge.points[0][1] + 3), *edge.points[1:]))
    with pytest.raises(AssertionError, match="leaves off the border"):
        assert_well_formed(replace(layout, edges=(moved, *layout.edges[1:])))


def test_a_node_outside_the_canvas_or_its_frame_fails() -> None:
    layout = _good()
    with pytest.raises(AssertionError, match="outside"):
        assert_well_formed(_move_node(layout, "mid.leaf.l1", 0, -60))
    with pytest.raises(AssertionError, match="outside the canvas"):
        assert_well_formed(replace(layout, width=layout.width / 2))
