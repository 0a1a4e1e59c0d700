"""Layout of real workflows: every step drawn once, nothing overlapping, edges on borders."""

from __future__ import annotations

import time
from typing import Any

import pytest

from render.checks import assert_well_formed, box, overlap, step_path_counts
from render.workflows import NESTED, SINK_PATHS, is_big, is_small, kitchen_sink, ready, step
from treadle import create_workflow
from treadle.render import GraphLayout, layout_graph, step_graph


def _layout(workflow: Any, expand: Any = False) -> GraphLayout:
    return layout_graph(step_graph(workflow), expand=expand)


def _by_path(layout: GraphLayout) -> dict[str, Any]:
    return {n.step_path: n for n in layout.nodes if n.step_path is not None}


def test_expanded_graph_draws_every_step_path_exactly_once() -> None:
    layout = _layout(kitchen_sink(), expand=True)
    counts = step_path_counts(layout)
    assert all(c == 1 for c in counts.values()), counts
    sleeps = {p for p in counts if p.startswith("sleep_")}
    assert len(sleeps) == 2  # the timedelta sleep and the sleep_until, both with generated ids
    assert set(counts) - sleeps == SINK_PATHS
    assert {g.step_path for g in layout.groups} == NESTED
    assert_well_formed(layout)


def test_collapsed_graph_draws_each_nested_workflow_as_one_node() -> None:
    layout = _layout(kitchen_sink())
    assert layout.groups == ()
    nodes = _by_path(layout)
    assert {"side", "mid", "retry", "per-item"} <= set(nodes)
    assert not any("." in path for path in nodes)
    assert nodes["mid"].kind == "workflow" and nodes["mid"].workflow_id == "mid"
    assert nodes["retry"].kind == "loop"
    assert nodes["per-item"].kind == "foreach"
    assert nodes["per-item"].subtitle == "for each · concurrency 2 · workflow"
    assert_well_formed(layout)


def test_start_and_end_bound_the_graph() -> None:
    layout = _layout(kitchen_sink(), expand=True)
    start, end = layout.node("__start__"), layout.node("__end__")
    assert (start.kind, end.kind) == ("start", "end")
    assert start.y == min(n.y for n in layout.nodes)
    assert end.y + end.height == max(n.y + n.height for n in layout.nodes)
    assert [e.target for e in layout.edges if e.source == "__start__"] == ["fetch"]
    assert [e.source for e in layout.edges if e.target == "__end__"] == ["approve"]


def test_a_sequence_stacks_top_to_bottom_on_one_axis() -> None:
    wf = create_workflow(id="seq").then(step("one")).then(step("two")).then(step("three"))
    layout = _layout(wf.commit())
    one, two, three = (layout.node(i) for i in ("one", "two", "three"))
    assert one.y + one.height < two.y and two.y + two.height < three.y
    assert one.cx == two.cx == three.cx
    assert [(e.source, e.target) for e in layout.edges] == [
        ("__start__", "one"),
        ("one", "two"),
        ("two", "three"),
        ("three", "__end__"),
    ]
    assert all(len(e.points) == 2 for e in layout.edges)  # straight down


def test_parallel_arms_sit_side_by_side_between_fork_and_join() -> None:
    wf = create_workflow(id="fan").parallel([step("a"), step("b"), step("c")]).commit()
    layout = _layout(wf)
    a, b, c = (layout.node(i) for i in ("a", "b", "c"))
    fork, join = layout.node("__fork_1__"), layout.node("__join_1__")
    assert fork.kind == "parallel" and join.kind == "join"
    assert a.y == b.y == c.y
    assert a.x + a.width < b.x and b.x + b.width < c.x
    assert fork.y + fork.height < a.y and c.y + c.height < join.y
    assert fork.cx == b.cx == join.cx  # the fan is symmetric around the middle arm
    assert {e.target for e in layout.edges if e.source == fork.id} == {"a", "b", "c"}
    assert {e.source for e in layout.edges if e.target == join.id} == {"a", "b", "c"}
    assert_well_formed(layout)


def test_branch_arms_carry_their_condition_labels() -> None:
    wf = create_workflow(id="br").branch([(is_big, step("big")), (is_small, step("small"))])
    layout = _layout(wf.commit())
    fork = layout.node("__fork_1__")
    assert fork.kind == "conditional" and fork.title == "branch"
    labels = {e.target: e.label.text for e in layout.edges if e.source == fork.id and e.label}
    assert labels == {"big": "<function is_big>", "small": "<function is_small>"}
    assert all(e.kind == "branch" for e in layout.edges if e.source == fork.id)
    big, small = layout.node("big"), layout.node("small")
    assert big.y == small.y and big.x + big.width < small.x
    assert_well_formed(layout)


@pytest.mark.parametrize("loop_type", ["dowhile", "dountil"])
def test_a_loop_draws_a_labelled_back_edge_on_the_right(loop_type: str) -> None:
    wf = create_workflow(id="lp")
    wf = (
        wf.do_while(step("poll"), ready)
        if loop_type == "dowhile"
        else wf.do_until(step("poll"), ready)
    )
    layout = _layout(wf.commit())
    poll = layout.node("poll")
    (back,) = [e for e in layout.edges if e.kind == "loop"]
    assert (back.source, back.target) == ("poll", "poll")
    assert back.label is not None and back.label.text == f"{loop_type} <function ready>"
    assert back.points[0][1] > back.points[-1][1]  # leaves lower, re-enters higher: upward
    assert min(x for x, _ in back.points) == poll.x + poll.width  # entirely on the right side
    assert back.label.x > poll.x + poll.width
    assert poll.kind == "loop" and poll.subtitle == (
        "do while" if loop_type == "dowhile" else "do until"
    )
    assert_well_formed(layout)


def test_a_loop_around_an_expanded_workflow_goes_from_its_last_node_to_its_first() -> None:
    layout = _layout(kitchen_sink(), expand=["retry"])
    (back,) = [e for e in layout.edges if e.kind == "loop" and e.source.startswith("retry.")]
    assert (back.source, back.target) == ("retry.check", "retry.try")
    (group,) = layout.groups
    assert group.kind == "loop" and group.step_path == "retry"
    assert max(x for x, _ in back.points) > group.x + group.width  # the lane runs outside
    assert_well_formed(layout)


def test_node_labels_say_what_each_primitive_does() -> None:
    nodes = _by_path(_layout(kitchen_sink(), expand=True))
    assert nodes["enrich"].kind == "foreach"
    assert nodes["enrich"].subtitle == "for each · concurrency 4"
    assert nodes["mapping_sink_0"].kind == "mapping"
    assert nodes["mapping_sink_0"].subtitle.startswith("mapping")
    assert nodes["cool-down"].kind == "sleep" and nodes["cool-down"].subtitle == "sleep 5 min"
    sleeps = sorted((n for p, n in nodes.items() if p.startswith("sleep_")), key=lambda n: n.y)
    assert [n.title for n in sleeps] == ["sleep 2s", "sleep until 2030-01-01 09:00 UTC"]
    assert [n.kind for n in sleeps] == ["sleep", "sleepUntil"]
    assert nodes["approve"].kind == "waitForEvent"
    assert nodes["approve"].subtitle == "waits for event 'approved'"
    assert nodes["fetch"].subtitle == "Fetch the records from the API"


def test_expand_by_id_or_path_opens_only_those_workflows() -> None:
    wf = kitchen_sink()
    assert [g.id for g in _layout(wf, expand={"side"}).groups] == ["side"]
    # A dotted path opens the workflows around it too.
    assert [g.id for g in _layout(wf, expand=["mid.leaf"]).groups] == ["mid", "mid.leaf"]
    only_mid = _layout(wf, expand=["mid"])
    assert [g.id for g in only_mid.groups] == ["mid"]
    assert _by_path(only_mid)["mid.leaf"].kind == "workflow"  # collapsed inside the frame


def test_nested_groups_contain_their_nodes_three_levels_deep() -> None:
    layout = _layout(kitchen_sink(), expand=True)
    groups = {g.id: g for g in layout.groups}
    assert groups["mid.leaf"].parent == "mid" and groups["mid.leaf"].depth == 2
    assert groups["mid"].parent is None and groups["mid"].depth == 1
    nodes = _by_path(layout)
    assert nodes["mid.leaf.l2"].group == "mid.leaf"
    assert nodes["mid.m1"].group == "mid"
    leaf_fork = next(n for n in layout.nodes if n.kind == "parallel" and n.group == "mid.leaf")
    assert leaf_fork.id.startswith("__fork_")
    assert_well_formed(layout)  # includes: nodes inside their frames, frames inside parents


def test_edges_into_a_nested_workflow_reach_its_first_step() -> None:
    layout = _layout(kitchen_sink(), expand=True)
    into_mid = [e for e in layout.edges if e.target == "mid.m1"]
    assert len(into_mid) == 1 and into_mid[0].label is not None
    assert into_mid[0].label.text == "<function is_small>"
    out_of_leaf = [e.target for e in layout.edges if e.source.startswith("__join_")]
    assert "mid.m2" in out_of_leaf


def test_no_two_nodes_overlap_in_either_mode() -> None:
    for expand in (False, True):
        layout = _layout(kitchen_sink(), expand=expand)
        boxes = [box(n) for n in layout.nodes]
        for i, a in enumerate(boxes):
            assert not any(overlap(a, b) for b in boxes[i + 1 :])


def test_layout_is_deterministic() -> None:
    assert _layout(kitchen_sink(), expand=True) == _layout(kitchen_sink(), expand=True)


def test_a_step_used_twice_gets_two_nodes_with_distinct_ids() -> None:
    shared = step("shared")
    layout = _layout(
        create_workflow(id="twice").then(shared).then(step("mid")).then(shared).commit()
    )
    assert [n.id for n in layout.nodes if n.step_path == "shared"] == ["shared", "shared#2"]
    assert_well_formed(layout)


def _runnable() -> Any:
    leaf = create_workflow(id="leaf").then(step("l1")).parallel([step("l2"), step("l3")])
    mid = create_workflow(id="mid").then(step("m1")).then(leaf.commit())
    mid = mid.do_until(step("m2"), ready).commit()
    per_item = create_workflow(id="per-item").then(step("one")).commit()
    return (
        create_workflow(id="runnable")
        .then(step("fetch"))
        .branch([(is_big, mid), (is_small, step("no"))])
        .map(lambda ctx: [1, 2])
        .for_each(per_item, concurrency=2)
        .sleep(1)
        .commit()
    )


async def test_step_paths_match_the_keys_of_a_stored_run() -> None:
    """The nested paths the layout draws are the ones a run records (`outer.inner`)."""
    wf = _runnable()
    run = await wf.create_run()
    assert (await run.start(input_data={"x": 1})).status == "success"
    state = await wf.get_workflow_run_by_id(run.run_id)
    stored = set(state["steps"])
    assert {"mid.leaf.l2", "mid.m2", "per-item"} <= stored
    assert stored <= set(step_path_counts(_layout(wf, expand=True)))


def test_a_200_node_graph_lays_out_in_a_few_milliseconds() -> None:
    def unit(i: int) -> dict[str, Any]:
        return {"type": "step", "step": {"id": f"s{i}"}}

    graph: list[dict[str, Any]] = []
    for k in range(25):
        graph.append(unit(k * 10))
        graph.append({"type": "parallel", "steps": [unit(k * 10 + j) for j in range(1, 5)]})
        graph.append(
            {
                "type": "loop",
                "step": {"id": f"loop{k}"},
                "serializedCondition": {"id": "c", "fn": "<function more>"},
                "loopType": "dowhile",
            }
        )
        graph.append(
            {
                "type": "workflow",
                "id": f"w{k}",
                "workflowId": f"w{k}",
                "serializedStepFlow": [unit(1), unit(2)],
            }
        )
    layout = layout_graph(graph, expand=True)
    best = float("inf")
    for _ in range(5):  # the best of a few runs: a busy machine only ever slows one down
        started = time.perf_counter()
        layout_graph(graph, expand=True)
        best = min(best, time.perf_counter() - started)
    assert len(layout.nodes) >= 200
    assert best < 0.05, f"{len(layout.nodes)} nodes took {best * 1000:.1f} ms"
