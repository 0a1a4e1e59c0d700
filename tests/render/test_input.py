"""What the renderer accepts: Workflows, treadle's and Mastra's step graphs; clear errors."""

from __future__ import annotations

from typing import Any

import pytest

from render.checks import assert_well_formed
from render.workflows import kitchen_sink, step
from treadle import create_workflow
from treadle.render import layout_graph, step_graph, to_json, to_mermaid, to_svg
from treadle.render.text import format_date, format_duration


def test_step_graph_of_a_workflow_is_its_serialized_graph() -> None:
    wf = kitchen_sink()
    assert step_graph(wf) == wf.serialized_step_graph
    assert step_graph(wf.serialized_step_graph) is wf.serialized_step_graph


def test_an_uncommitted_workflow_is_drawn_from_its_entries() -> None:
    wf = create_workflow(id="draft").then(step("one"))
    assert [n.step_path for n in layout_graph(step_graph(wf)).nodes] == [None, "one", None]


def test_mastra_shaped_entries_are_understood() -> None:
    """Mastra nests workflows as steps with `component: WORKFLOW` and puts `mapConfig` on steps."""
    graph: list[dict[str, Any]] = [
        {"type": "step", "step": {"id": "map", "mapConfig": "({ inputData }) => inputData"}},
        {
            "type": "step",
            "step": {
                "id": "child",
                "component": "WORKFLOW",
                "serializedStepFlow": [{"type": "step", "step": {"id": "inner"}}],
            },
        },
        {
            "type": "parallel",
            "steps": [{"type": "step", "step": {"id": "p", "description": "does p"}}],
        },
    ]
    layout = layout_graph(graph, expand=True)
    nodes = {n.step_path: n for n in layout.nodes if n.step_path}
    assert nodes["map"].kind == "mapping"
    assert nodes["map"].subtitle == "mapping · ({ inputData }) => inputData"
    assert nodes["child.inner"].group == "child"
    assert nodes["p"].subtitle == "does p"
    assert_well_formed(layout)


def test_an_empty_graph_is_start_then_end() -> None:
    layout = layout_graph([])
    assert [n.kind for n in layout.nodes] == ["start", "end"]
    assert [(e.source, e.target) for e in layout.edges] == [("__start__", "__end__")]


@pytest.mark.parametrize(
    ("graph", "message"),
    [
        ({"type": "step"}, r"step_graph: expected a list, got dict"),
        ([{"type": "step", "step": {}}], r"step_graph\[0\]\.step\.id: expected a non-empty string"),
        ([{"type": "teleport"}], r"step_graph\[0\]\.type: unknown entry type 'teleport'"),
        ([{"type": "parallel", "steps": []}], r"step_graph\[0\]\.steps: a parallel entry needs"),
        (
            [{"type": "parallel", "steps": [{"type": "step", "step": {"id": "a"}}, 3]}],
            r"step_graph\[0\]\.steps\[1\]: expected an object, got int",
        ),
        (
            [{"type": "workflow", "id": "w", "serializedStepFlow": [{"type": "sleep"}]}],
            r"step_graph\[0\]\.serializedStepFlow\[0\]\.id: expected a non-empty string",
        ),
        (
            [{"type": "loop", "step": {"id": "a"}, "loopType": "dowhile"}],
            r"step_graph\[0\]\.serializedCondition: expected an object, got NoneType",
        ),
    ],
)
def test_a_malformed_graph_is_rejected_naming_the_field(graph: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        layout_graph(graph)


def test_expand_names_must_be_nested_workflows_of_the_graph() -> None:
    wf = kitchen_sink()
    with pytest.raises(ValueError, match=r"expand: no nested workflow 'fetch', 'nope'.*mid\.leaf"):
        to_svg(wf, expand=["fetch", "nope"])
    with pytest.raises(ValueError, match="not a str"):
        to_mermaid(wf, expand="mid")
    assert to_json(wf, expand=[])["groups"] == []


def test_anything_else_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="expected a Workflow or a serialized step graph"):
        to_svg("sink")


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "0 ms"),
        (250, "250 ms"),
        (1500, "1.5s"),
        (2000, "2s"),
        (59_999, "1 min"),
        (300_000, "5 min"),
        (90_000, "1 min 30s"),
        (5_400_000, "1 h 30 min"),
        (86_400_000 + 3_600_000, "1 d 1 h"),
    ],
)
def test_durations_read_like_a_person_wrote_them(ms: float, text: str) -> None:
    assert format_duration(ms) == text


def test_dates_are_shown_with_their_zone() -> None:
    assert format_date("2030-01-01T09:00:00+00:00") == "2030-01-01 09:00 UTC"
    assert format_date("2030-01-01T09:00:30+02:00") == "2030-01-01 09:00:30 +02:00"
    assert format_date("2030-01-01T09:00:00") == "2030-01-01 09:00"
    assert format_date("next tuesday") == "next tuesday"
    assert format_date(None) == "(no date)"
