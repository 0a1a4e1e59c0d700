"""Workflow routes: WorkflowInfo as Mastra's server sends it (superjson-wrapped schemas as
strings, nested steps as dotted keys), `?partial=true`, run counts, the graph, OpenAPI."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from server.flows import asgi_client, make_app
from treadle import Treadle
from treadle.server import create_app


def schema(text: str) -> dict[str, Any]:
    """Mastra's client parses `superjson.parse(schemaString).json`; so do we."""
    envelope = json.loads(text)
    assert set(envelope) == {"json"}
    return envelope["json"]


async def test_lists_every_workflow_by_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/workflows")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"greet", "approval", "gated", "nested", "events"}
    greet = body["greet"]
    assert greet["name"] == "greet"
    assert greet["description"] == "Greets"
    assert list(greet["steps"]) == ["hello", "shout"]
    assert [entry["step"]["id"] for entry in greet["stepGraph"]] == ["hello", "shout"]


async def test_workflow_info_schemas_are_superjson_strings(client: httpx.AsyncClient) -> None:
    info = (await client.get("/api/workflows/approval")).json()
    assert schema(info["inputSchema"])["required"] == ["name"]
    assert schema(info["outputSchema"])["properties"]["ok"]["type"] == "boolean"
    assert "stateSchema" not in info  # absent schemas are left out
    approve = info["steps"]["approve"]
    assert approve["id"] == "approve"
    assert approve["component"] == "STEP"
    assert schema(approve["suspendSchema"])["properties"] == {
        "ask": {"title": "Ask", "type": "string"}
    }
    assert schema(approve["resumeSchema"])["required"] == ["ok"]
    assert info["options"] == {"validateInputs": True}
    # A step without a description or schema has no key for it.
    shout = (await client.get("/api/workflows/greet")).json()["steps"]["shout"]
    assert "description" not in shout and "outputSchema" not in shout


async def test_nested_steps_appear_in_all_steps_with_dotted_keys(
    client: httpx.AsyncClient,
) -> None:
    info = (await client.get("/api/workflows/nested")).json()
    assert list(info["steps"]) == ["inner", "shout"]
    assert info["steps"]["inner"]["component"] == "WORKFLOW"
    assert set(info["allSteps"]) == {"inner", "inner.hello", "shout"}
    assert info["allSteps"]["inner"]["isWorkflow"] is True
    assert info["allSteps"]["inner.hello"]["isWorkflow"] is False
    assert info["allSteps"]["inner.hello"]["description"] == "Say hello"


async def test_partial_list_has_graphs_but_no_schemas(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/workflows", params={"partial": "true"})).json()
    approval = body["approval"]
    assert approval["steps"] == {} and approval["allSteps"] == {}
    assert approval["stepCount"] == 2
    assert "inputSchema" not in approval
    assert approval["stepGraph"]


async def test_unknown_workflow_is_404_naming_it(client: httpx.AsyncClient) -> None:
    for path in ("/api/workflows/nope", "/api/workflows/nope/runs", "/api/workflows/nope/graph"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "'nope'" in response.json()["error"]
    response = await client.post("/api/workflows/nope/create-run")
    assert response.status_code == 404


async def test_workflow_found_by_id_when_key_differs(tmp_path: Any) -> None:
    base = make_app(tmp_path / "k.db")
    app = Treadle({"greeter": base.get_workflow("greet")}, storage=base.storage)
    async with asgi_client(create_app(app, studio=False)) as c:
        assert list((await c.get("/api/workflows")).json()) == ["greeter"]
        assert (await c.get("/api/workflows/greet")).json()["name"] == "greet"


async def test_run_counts_per_workflow_key(client: httpx.AsyncClient) -> None:
    run_id = (await client.post("/api/workflows/approval/create-run")).json()["runId"]
    result = await client.post(
        "/api/workflows/approval/start-async",
        params={"runId": run_id},
        json={"inputData": {"name": "ann"}},
    )
    assert result.json()["status"] == "suspended"
    await client.post("/api/workflows/greet/start-async", json={"inputData": {"name": "bo"}})
    counts = (await client.get("/api/workflows/run-counts")).json()
    assert counts["approval"] == {"running": 0, "suspended": 1}
    assert counts["greet"] == {"running": 0, "suspended": 0}
    assert set(counts) == {"greet", "approval", "gated", "nested", "events"}


def _render_available() -> bool:
    try:
        import treadle.render  # noqa: F401  # pyright: ignore[reportMissingImports, reportUnusedImport]
    except ImportError:
        return False
    return True


@pytest.mark.xfail(
    not _render_available(),
    reason="treadle.render is being written by another helper; the route answers 501 until then",
    strict=False,
)
async def test_graph_in_three_formats(client: httpx.AsyncClient) -> None:
    as_json = await client.get("/api/workflows/nested/graph")
    assert as_json.status_code == 200
    assert as_json.headers["content-type"].startswith("application/json")
    svg = await client.get("/api/workflows/nested/graph", params={"format": "svg"})
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert 'data-step-path="inner"' in svg.text
    opened = await client.get(
        "/api/workflows/nested/graph", params={"format": "svg", "expand": "all"}
    )
    assert 'data-step-path="inner.hello"' in opened.text
    mermaid = await client.get("/api/workflows/nested/graph", params={"format": "mermaid"})
    assert mermaid.headers["content-type"].startswith("text/plain")
    assert "shout" in mermaid.text


async def test_graph_route_refuses_an_unknown_format(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/workflows/greet/graph", params={"format": "png"})
    assert response.status_code == 400
    assert response.json()["issues"][0]["path"] == ["format"]


async def test_openapi_documents_routes_and_errors_as_sent(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    paths = doc["paths"]
    for path in (
        "/api/workflows",
        "/api/workflows/run-counts",
        "/api/workflows/{workflowId}",
        "/api/workflows/{workflowId}/runs",
        "/api/workflows/{workflowId}/runs/{runId}",
        "/api/workflows/{workflowId}/create-run",
        "/api/workflows/{workflowId}/stream",
        "/api/workflows/{workflowId}/streamVNext",
        "/api/workflows/{workflowId}/observe",
        "/api/workflows/{workflowId}/observe-stream",
        "/api/workflows/{workflowId}/resume-stream",
        "/api/workflows/{workflowId}/time-travel-stream",
        "/api/workflows/{workflowId}/runs/{runId}/cancel",
        "/api/workflows/{workflowId}/runs/{runId}/send-event",
        "/api/logs/{runId}",
    ):
        assert path in paths, path
    for item in paths.values():
        for operation in item.values():
            assert "422" not in operation["responses"]
            assert "400" in operation["responses"]
    stream = paths["/api/workflows/{workflowId}/stream"]["post"]
    assert {"text/plain", "text/event-stream", "application/x-ndjson"} <= set(
        stream["responses"]["200"]["content"]
    )
    body_ref = stream["requestBody"]["content"]["application/json"]["schema"]
    assert "StreamBody" in json.dumps(body_ref)
    assert "inputData" in doc["components"]["schemas"]["StreamBody"]["properties"]
