"""Mermaid export: `flowchart TD` text with one line per node and edge, subgraphs for frames."""

from __future__ import annotations

import re
from typing import Any

from render.workflows import NESTED, kitchen_sink, step
from treadle import create_workflow
from treadle.render import layout_graph, step_graph, to_mermaid

NODE = re.compile(
    r'(?P<id>n_\w+)(?P<open>\(\[|\[\[|\[/|\{\{|\(\(|\{|>|\(|\[)"(?P<label>[^"]*)"'
    r"(?P<close>\]\)|\]\]|/\]|\}\}|\)\)|\}|\]|\))"
)
EDGE = re.compile(r'(?P<src>n_\w+) (?P<arrow>-->|-\.->)(?:\|"(?P<label>[^"]*)"\|)? (?P<dst>n_\w+)')
SUBGRAPH = re.compile(r'subgraph (?P<id>g_\w+)\["(?P<title>[^"]*)"\]')
# Labels may hold Mermaid entity codes and our two HTML tags, never a raw quote or bracket.
SAFE_LABEL = re.compile(r'^(?:[^"<>]|<br/>|</?small>)*$')


def _parse(text: str) -> dict[str, Any]:
    """Checks every line against the grammar we emit; returns what it declared."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str, str, str | None]] = []
    subgraphs: list[str] = []
    depth = 0
    for line in lines[1:]:
        body = line.strip()
        assert line.startswith("  "), line
        if m := NODE.fullmatch(body):
            assert m["id"] not in nodes, f"node {m['id']} declared twice"
            assert SAFE_LABEL.match(m["label"]), m["label"]
            nodes[m["id"]] = m["label"]
        elif m := EDGE.fullmatch(body):
            assert m["label"] is None or SAFE_LABEL.match(m["label"])
            edges.append((m["src"], m["arrow"], m["dst"], m["label"]))
        elif m := SUBGRAPH.fullmatch(body):
            subgraphs.append(m["id"])
            depth += 1
        elif body == "direction TB":
            assert depth > 0
        elif body == "end":
            depth -= 1
            assert depth >= 0, "`end` without a subgraph"
        else:
            raise AssertionError(f"unexpected line: {line!r}")
    assert depth == 0, "unclosed subgraph"
    for src, _, dst, _ in edges:
        assert src in nodes and dst in nodes, (src, dst)
    return {"nodes": nodes, "edges": edges, "subgraphs": subgraphs}


def test_collapsed_flowchart_has_a_line_per_node_and_edge() -> None:
    wf = kitchen_sink()
    parsed = _parse(to_mermaid(wf))
    layout = layout_graph(step_graph(wf))
    assert len(parsed["nodes"]) == len(layout.nodes)
    assert len(parsed["edges"]) == len(layout.edges)
    assert parsed["subgraphs"] == []
    nodes = parsed["nodes"]
    assert nodes["n_start"] == "start" and nodes["n_end"] == "end"
    assert nodes["n_enrich"] == "enrich<br/><small>for each · concurrency 4</small>"
    assert nodes["n_approve"] == "approve<br/><small>waits for event 'approved'</small>"


def test_expanded_workflows_become_balanced_nested_subgraphs() -> None:
    text = to_mermaid(kitchen_sink(), expand=True)
    parsed = _parse(text)
    assert len(parsed["subgraphs"]) == len(NESTED)
    assert text.count("subgraph ") == sum(1 for line in text.splitlines() if line.strip() == "end")
    lines = [line.strip() for line in text.splitlines()]
    mid, leaf = (
        lines.index('subgraph g_mid["mid · nested workflow"]'),
        lines.index('subgraph g_mid_leaf["leaf · nested workflow"]'),
    )
    assert mid < lines.index('n_mid_m1["m1"]') < leaf < lines.index('n_mid_leaf_l1["l1"]')


def test_loops_are_dotted_back_edges_and_conditions_label_branch_edges() -> None:
    edges = _parse(to_mermaid(kitchen_sink(), expand=True))["edges"]
    loops = {(s, d, label) for s, arrow, d, label in edges if arrow == "-.->"}
    assert loops == {
        ("n_poll", "n_poll", "dowhile #lt;function ready#gt;"),
        ("n_retry_check", "n_retry_try", "dountil #lt;function ready#gt;"),
        ("n_mid_m2", "n_mid_m2", "dountil #lt;function ready#gt;"),
    }
    labelled = {d: label for s, arrow, d, label in edges if arrow == "-->" and label}
    assert labelled == {"n_big": "#lt;function is_big#gt;", "n_mid_m1": "#lt;function is_small#gt;"}


def test_ids_are_sanitized_and_labels_escaped() -> None:
    graph: list[dict[str, Any]] = [
        {"type": "step", "step": {"id": "end"}},
        {"type": "step", "step": {"id": 'say "hi" <b> | #1'}},
        {"type": "step", "step": {"id": "日本"}},
        {"type": "step", "step": {"id": "日本2"}},
    ]
    parsed = _parse(to_mermaid(graph))
    nodes = parsed["nodes"]
    assert nodes["n_end_2"] == "end"  # the step `end` never clashes with the end boundary
    quoted = next(label for label in nodes.values() if label.startswith("say"))
    assert quoted == "say #quot;hi#quot; #lt;b#gt; #124; #35;1"
    unicode_ids = [i for i, label in nodes.items() if label.startswith("日本")]
    assert len(set(unicode_ids)) == 2 and all(
        re.fullmatch(r"n_\w+", i, re.ASCII) for i in unicode_ids
    )


def test_mermaid_is_deterministic() -> None:
    wf = create_workflow(id="w").then(step("one")).parallel([step("a"), step("b")]).commit()
    assert to_mermaid(wf, expand=True) == to_mermaid(wf, expand=True)
