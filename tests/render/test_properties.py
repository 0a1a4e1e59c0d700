"""Property: any nested series-parallel graph with loops lays out cleanly and renders validly."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from render.checks import assert_well_formed, step_path_counts
from treadle.render import layout_graph, to_mermaid, to_svg

# A shape is a tree of tuples; `_to_graph` turns it into a serialized step graph with unique ids.
names = st.text(alphabet="abcxyz-_ .<>&\"'é日", min_size=1, max_size=24)
simple = st.one_of(
    st.tuples(st.just("step"), names, st.one_of(st.none(), st.text(max_size=60))),
    st.tuples(st.just("mapping"), names),
    st.tuples(st.just("sleep"), st.floats(0, 1e8, allow_nan=False)),
    st.tuples(st.just("sleepUntil"), st.just("2031-05-01T10:00:00+00:00")),
    st.tuples(st.just("waitForEvent"), names, names),
)


def _extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    flow = st.lists(inner, min_size=1, max_size=4)
    unit = st.one_of(
        st.tuples(st.just("step"), names, st.none()), st.tuples(st.just("workflow"), names, flow)
    )
    return st.one_of(
        st.tuples(st.just("workflow"), names, flow),
        st.tuples(st.just("parallel"), st.lists(unit, min_size=1, max_size=4)),
        st.tuples(st.just("conditional"), st.lists(st.tuples(unit, names), min_size=1, max_size=4)),
        st.tuples(st.just("loop"), unit, st.sampled_from(["dowhile", "dountil"]), names),
        st.tuples(st.just("foreach"), unit, st.integers(1, 64)),
    )


shapes = st.lists(st.recursive(simple, _extend, max_leaves=24), min_size=1, max_size=6)


def _to_graph(shape: list[Any]) -> list[dict[str, Any]]:
    counter = itertools.count()

    def unique(name: str) -> str:
        return f"{name}#{next(counter)}"

    def unit(item: Any) -> dict[str, Any]:
        if item[0] == "workflow":
            wid = unique(item[1])
            return {
                "type": "workflow",
                "id": wid,
                "workflowId": wid,
                "serializedStepFlow": flow(item[2]),
            }
        body: dict[str, Any] = {"id": unique(item[1])}
        if item[2]:
            body["description"] = item[2]
        return {"type": "step", "step": body}

    def entry(item: Any) -> dict[str, Any]:
        kind = item[0]
        if kind in ("step", "workflow"):
            return unit(item)
        if kind == "mapping":
            return {"type": "mapping", "id": unique(item[1]), "mapConfig": "<mapping>"}
        if kind == "sleep":
            return {"type": "sleep", "id": unique("nap"), "duration": item[1]}
        if kind == "sleepUntil":
            return {"type": "sleepUntil", "id": unique("until"), "date": item[1]}
        if kind == "waitForEvent":
            return {"type": "waitForEvent", "event": item[2], "step": {"id": unique(item[1])}}
        if kind == "parallel":
            return {"type": "parallel", "steps": [unit(u) for u in item[1]]}
        if kind == "conditional":
            arms = [unit(u) for u, _ in item[1]]
            conditions = [{"id": "c", "fn": f"<function {n}>"} for _, n in item[1]]
            return {"type": "conditional", "steps": arms, "serializedConditions": conditions}
        inner = unit(item[1])
        inner = inner if inner["type"] == "workflow" else inner["step"]
        if kind == "loop":
            return {
                "type": "loop",
                "step": inner,
                "loopType": item[2],
                "serializedCondition": {"id": "c", "fn": f"<function {item[3]}>"},
            }
        return {"type": "foreach", "step": inner, "opts": {"concurrency": item[2]}}

    def flow(items: list[Any]) -> list[dict[str, Any]]:
        return [entry(i) for i in items]

    return flow(shape)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes, st.booleans())
def test_random_graphs_lay_out_without_overlaps_inside_the_canvas(
    shape: list[Any], expand: bool
) -> None:
    graph = _to_graph(shape)
    layout = layout_graph(graph, expand=expand)
    assert_well_formed(layout)
    assert all(count == 1 for count in step_path_counts(layout).values())
    assert layout == layout_graph(graph, expand=expand)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes)
def test_random_graphs_render_to_parseable_svg_and_balanced_mermaid(shape: list[Any]) -> None:
    graph = _to_graph(shape)
    root = ET.fromstring(to_svg(graph, expand=True))
    layout = layout_graph(graph, expand=True)
    drawn = [
        g for g in root.iter("{http://www.w3.org/2000/svg}g") if "tr-node" in g.get("class", "")
    ]
    assert len(drawn) == len(layout.nodes)
    lines = [line.strip() for line in to_mermaid(graph, expand=True).splitlines()]
    assert (
        lines.count("end")
        == sum(line.startswith("subgraph ") for line in lines)
        == len(layout.groups)
    )
    assert sum("-->" in line or "-.->" in line for line in lines) == len(layout.edges)
