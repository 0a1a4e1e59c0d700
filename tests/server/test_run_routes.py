"""Run routes that answer with JSON: create, start (fire-and-forget and -async), resume,
time travel, restart, cancel, send-event, list/get/delete, logs, and their error statuses."""

from __future__ import annotations

from typing import Any

import httpx

from server.flows import Gate, wait_for_status

Json = dict[str, Any]


async def create(client: httpx.AsyncClient, workflow: str, **params: str) -> str:
    response = await client.post(f"/api/workflows/{workflow}/create-run", params=params, json={})
    assert response.status_code == 200, response.text
    return response.json()["runId"]


async def suspended_run(client: httpx.AsyncClient) -> str:
    run_id = await create(client, "approval")
    result = await client.post(
        "/api/workflows/approval/start-async",
        params={"runId": run_id},
        json={"inputData": {"name": "ann"}},
    )
    assert result.json()["status"] == "suspended"
    return run_id


async def test_create_run_with_and_without_a_run_id(client: httpx.AsyncClient) -> None:
    generated = await create(client, "greet")
    assert len(generated) >= 16
    assert await create(client, "greet", runId="mine-1") == "mine-1"
    again = await client.post(
        "/api/workflows/greet/create-run", params={"runId": "mine-1"}, json={"resourceId": "u1"}
    )
    assert again.json() == {"runId": "mine-1"}  # the same run, as Mastra's createRun
    state = (await client.get("/api/workflows/greet/runs/mine-1")).json()
    assert state["status"] == "pending"
    assert state["createdAt"].endswith("Z")  # dates as ISO strings, as Mastra's JSON has them


async def test_start_async_returns_the_workflow_result(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/workflows/greet/start-async", json={"inputData": {"name": "bo"}}
    )
    assert response.status_code == 200
    result: Json = response.json()
    assert result["status"] == "success"
    assert result["result"] == {"out": "HI BO"}
    assert result["stepExecutionPath"] == ["hello", "shout"]
    assert result["steps"]["input"] == {"name": "bo"}
    stored = (await client.get(f"/api/workflows/greet/runs/{result['runId']}")).json()
    assert stored["status"] == "success"


async def test_bad_input_is_400_naming_the_field_path(client: httpx.AsyncClient) -> None:
    run_id = await create(client, "greet")
    for route in ("start-async", "start", "stream"):
        response = await client.post(
            f"/api/workflows/greet/{route}",
            params={"runId": run_id},
            json={"inputData": {"name": 42}},
        )
        assert response.status_code == 400, (route, response.text)
        body = response.json()
        assert body["code"] == "WORKFLOW_SCHEMA_VALIDATION_FAILED"
        assert body["issues"][0]["path"] == ["inputData", "name"]
        assert "name" in body["error"]
    # The refused run is still pending: it can be started with good input.
    ok = await client.post(
        "/api/workflows/greet/start-async", params={"runId": run_id},
        json={"inputData": {"name": "ok"}},
    )  # fmt: skip
    assert ok.json()["status"] == "success"


async def test_request_shape_errors_are_400_with_issues(client: httpx.AsyncClient) -> None:
    missing = await client.post("/api/workflows/greet/start", json={})
    assert missing.status_code == 400
    assert missing.json()["issues"] == [
        {"path": ["runId"], "message": "Field required", "in": "query"}
    ]
    wrong_type = await client.post(
        "/api/workflows/approval/resume", params={"runId": "x"}, json={"forEachIndex": "two"}
    )
    assert wrong_type.status_code == 400
    assert wrong_type.json()["issues"][0]["path"] == ["forEachIndex"]
    # Body fields are strict: a numeric string is not an index, 0 is not a boolean; a value
    # that fits no member of a union is one issue at the field.
    for bad, field in (
        ({"forEachIndex": "1"}, "forEachIndex"),
        ({"closeOnSuspend": 0}, "closeOnSuspend"),
        ({"step": 5}, "step"),
    ):
        response = await client.post(
            "/api/workflows/approval/resume", params={"runId": "x"}, json=bad
        )
        assert response.status_code == 400, bad
        assert [i["path"] for i in response.json()["issues"]] == [[field]]
    not_json = await client.post(
        "/api/workflows/greet/create-run",
        content=b"{oops",
        headers={"content-type": "application/json"},
    )
    assert not_json.status_code == 400
    form = await client.post("/api/workflows/greet/create-run", data={"resourceId": "u"})
    assert form.status_code == 400
    assert "must be JSON" in form.json()["error"]
    no_type = await client.post("/api/workflows/greet/create-run", content=b'{"resourceId":"u"}')
    assert no_type.status_code == 200  # JSON without a Content-Type is still JSON


async def test_start_is_fire_and_forget_and_404s_an_unknown_run(
    client: httpx.AsyncClient,
) -> None:
    unknown = await client.post(
        "/api/workflows/greet/start", params={"runId": "ghost"}, json={"inputData": {}}
    )
    assert unknown.status_code == 404
    assert "'ghost'" in unknown.json()["error"]
    run_id = await create(client, "greet")
    response = await client.post(
        "/api/workflows/greet/start", params={"runId": run_id},
        json={"inputData": {"name": "cy"}},
    )  # fmt: skip
    assert response.json() == {"message": "Workflow run started"}
    state = await wait_for_status(client, "greet", run_id, "success")
    assert state["result"] == {"out": "HI CY"}
    again = await client.post(
        "/api/workflows/greet/start", params={"runId": run_id}, json={"inputData": {"name": "x"}}
    )
    assert again.status_code == 409
    assert "/observe?runId=" in again.json()["error"]


async def test_resume_routes(client: httpx.AsyncClient) -> None:
    run_id = await suspended_run(client)
    bad = await client.post(
        "/api/workflows/approval/resume-async", params={"runId": run_id},
        json={"step": "approve", "resumeData": {"ok": "maybe"}},
    )  # fmt: skip
    assert bad.status_code == 400
    assert bad.json()["issues"][0]["path"] == ["resumeData", "ok"]
    wrong_step = await client.post(
        "/api/workflows/approval/resume-async", params={"runId": run_id},
        json={"step": "nope", "resumeData": {"ok": True}},
    )  # fmt: skip
    assert wrong_step.status_code == 400
    assert wrong_step.json()["issues"][0]["path"] == ["step"]
    result = await client.post(
        "/api/workflows/approval/resume-async", params={"runId": run_id},
        json={"step": ["approve"], "resumeData": {"ok": True}},
    )  # fmt: skip
    assert result.status_code == 200
    assert result.json()["status"] == "success"
    assert result.json()["result"] == {"ok": True}
    again = await client.post(
        "/api/workflows/approval/resume", params={"runId": run_id}, json={"resumeData": {}}
    )
    assert again.status_code == 409
    assert "not suspended (status: success)" in again.json()["error"]


async def test_resume_fire_and_forget_and_no_wait(client: httpx.AsyncClient) -> None:
    first, second = await suspended_run(client), await suspended_run(client)
    resumed = await client.post(
        "/api/workflows/approval/resume", params={"runId": first},
        json={"step": "approve", "resumeData": {"ok": False}},
    )  # fmt: skip
    assert resumed.json() == {"message": "Workflow run resumed"}
    no_wait = await client.post(
        "/api/workflows/approval/resume-no-wait", params={"runId": second},
        json={"resumeData": {"ok": True}},
    )  # fmt: skip
    assert no_wait.json() == {"runId": second}
    assert (await wait_for_status(client, "approval", first, "success"))["result"] == {"ok": False}
    assert (await wait_for_status(client, "approval", second, "success"))["result"] == {"ok": True}


async def test_per_step_and_nested_context_are_refused_by_name(
    client: httpx.AsyncClient,
) -> None:
    run_id = await create(client, "greet")
    per_step = await client.post(
        "/api/workflows/greet/start-async", params={"runId": run_id},
        json={"inputData": {"name": "a"}, "perStep": True},
    )  # fmt: skip
    assert per_step.status_code == 400
    assert per_step.json()["issues"][0]["path"] == ["perStep"]
    done = await client.post(
        "/api/workflows/greet/start-async", params={"runId": run_id},
        json={"inputData": {"name": "a"}, "perStep": False, "tracingOptions": {}},
    )  # fmt: skip
    assert done.json()["status"] == "success"
    nested = await client.post(
        "/api/workflows/greet/time-travel-async", params={"runId": run_id},
        json={"step": "shout", "nestedStepsContext": {"x": {"y": 1}}},
    )  # fmt: skip
    assert nested.status_code == 400
    assert nested.json()["issues"][0]["path"] == ["nestedStepsContext"]


async def test_time_travel_routes(client: httpx.AsyncClient) -> None:
    run_id = (
        await client.post("/api/workflows/greet/start-async", json={"inputData": {"name": "dee"}})
    ).json()["runId"]
    result = await client.post(
        "/api/workflows/greet/time-travel-async", params={"runId": run_id},
        json={"step": "shout", "inputData": {"greeting": "yo"}},
    )  # fmt: skip
    assert result.status_code == 200
    assert result.json()["result"] == {"out": "YO"}
    started = await client.post(
        "/api/workflows/greet/time-travel", params={"runId": run_id},
        json={"step": ["shout"], "context": {"hello": {"greeting": "hey"}}},
    )  # fmt: skip
    assert started.json() == {"message": "Workflow run time travel started"}
    state = await wait_for_status(client, "greet", run_id, "success")
    assert state["result"] == {"out": "HEY"}
    missing = await client.post(
        "/api/workflows/greet/time-travel-async", params={"runId": "ghost"},
        json={"step": "shout"},
    )  # fmt: skip
    assert missing.status_code == 404
    bad_input = await client.post(
        "/api/workflows/greet/time-travel-async", params={"runId": run_id},
        json={"step": "shout", "inputData": {"greeting": 3}},
    )  # fmt: skip
    assert bad_input.status_code == 400
    assert bad_input.json()["issues"][0]["path"] == ["inputData", "greeting"]
    no_step = await client.post(
        "/api/workflows/greet/time-travel", params={"runId": run_id}, json={}
    )
    assert no_step.json()["issues"][0]["path"] == ["step"]


async def test_restart_routes(client: httpx.AsyncClient) -> None:
    run_id = await suspended_run(client)
    refused = await client.post("/api/workflows/approval/restart", params={"runId": run_id})
    assert refused.status_code == 409
    assert "not active (status: suspended)" in refused.json()["error"]
    done = (
        await client.post("/api/workflows/greet/start-async", json={"inputData": {"name": "e"}})
    ).json()["runId"]
    stored = await client.post("/api/workflows/greet/restart-async", params={"runId": done})
    assert stored.json()["result"] == {"out": "HI E"}  # an ended run: its stored result
    restarted = await client.post("/api/workflows/greet/restart", params={"runId": done}, json={})
    assert restarted.json() == {"message": "Workflow run restarted"}
    for route in ("restart-all-active-workflow-runs", "restart-all-active-workflow-runs-async"):
        response = await client.post(f"/api/workflows/greet/{route}")
        assert response.json() == {"message": "All active workflow runs restarted"}


async def test_cancel_a_suspended_run(client: httpx.AsyncClient) -> None:
    run_id = await suspended_run(client)
    response = await client.post(f"/api/workflows/approval/runs/{run_id}/cancel")
    assert response.json() == {"message": "Workflow run cancelled"}
    state = (await client.get(f"/api/workflows/approval/runs/{run_id}")).json()
    assert state["status"] == "canceled"
    missing = await client.post("/api/workflows/approval/runs/ghost/cancel")
    assert missing.status_code == 404


async def test_cancel_a_running_run(client: httpx.AsyncClient, gate: Gate) -> None:
    run_id = await create(client, "gated")
    started = await client.post(
        "/api/workflows/gated/start", params={"runId": run_id}, json={"inputData": {"n": 1}}
    )
    assert started.status_code == 200
    await gate.wait_started()
    deleting = await client.delete(f"/api/workflows/gated/runs/{run_id}")
    assert deleting.status_code == 409  # running here: cancel first
    await client.post(f"/api/workflows/gated/runs/{run_id}/cancel")
    state = await wait_for_status(client, "gated", run_id, "canceled")
    assert state["steps"]["blocked"]["status"] == "canceled"
    assert "inc2" not in state["steps"]


async def test_send_event_continues_a_waiting_run(client: httpx.AsyncClient) -> None:
    run_id = await create(client, "events")
    early = await client.post(
        f"/api/workflows/events/runs/{run_id}/send-event", json={"event": "go"}
    )
    assert early.status_code == 409
    assert early.json()["code"] == "WORKFLOW_RUN_NOT_STARTED"
    await client.post(
        "/api/workflows/events/start", params={"runId": run_id}, json={"inputData": {"n": 1}}
    )
    await wait_for_status(client, "events", run_id, "waiting")
    missing = await client.post("/api/workflows/events/runs/ghost/send-event", json={"event": "go"})
    assert missing.status_code == 404
    no_name = await client.post(f"/api/workflows/events/runs/{run_id}/send-event", json={})
    assert no_name.json()["issues"][0]["path"] == ["event"]
    sent = await client.post(
        f"/api/workflows/events/runs/{run_id}/send-event", json={"event": "go", "data": {"x": 1}}
    )
    assert sent.json() == {"message": "Workflow run event sent"}
    state = await wait_for_status(client, "events", run_id, "success")
    assert state["result"] == {"n": 3}
    ended = await client.post(
        f"/api/workflows/events/runs/{run_id}/send-event", json={"event": "go"}
    )
    assert ended.status_code == 409


async def test_list_runs_filters_and_pages(client: httpx.AsyncClient) -> None:
    ids = []
    for name in ("a", "b", "c"):
        rid = await create(client, "greet", runId=f"run-{name}")
        await client.post(
            "/api/workflows/greet/start-async", params={"runId": rid},
            json={"inputData": {"name": name}},
        )  # fmt: skip
        ids.append(rid)
    await create(client, "greet", runId="pending-one")
    everything = (await client.get("/api/workflows/greet/runs")).json()
    assert everything["total"] == 4
    row = everything["runs"][0]
    assert set(row) >= {"workflowName", "runId", "snapshot", "createdAt", "updatedAt"}
    assert row["createdAt"].endswith("Z")
    done = (await client.get("/api/workflows/greet/runs", params={"status": "success"})).json()
    assert sorted(r["runId"] for r in done["runs"]) == ids
    page = (await client.get("/api/workflows/greet/runs", params={"page": 1, "perPage": 3})).json()
    assert page["total"] == 4 and len(page["runs"]) == 1
    by_offset = await client.get("/api/workflows/greet/runs", params={"limit": 2, "offset": 2})
    assert len(by_offset.json()["runs"]) == 2
    unlimited = await client.get("/api/workflows/greet/runs", params={"limit": "false"})
    assert len(unlimited.json()["runs"]) == 4
    future = await client.get("/api/workflows/greet/runs", params={"fromDate": "2999-01-01"})
    assert future.json() == {"runs": [], "total": 0}
    for bad in ({"status": "sleeping"}, {"perPage": 0}, {"limit": "lots"}, {"fromDate": "soon"}):
        response = await client.get("/api/workflows/greet/runs", params=bad)
        assert response.status_code == 400, bad
        assert response.json()["issues"][0]["path"] == [next(iter(bad))]


async def test_get_and_delete_a_run(client: httpx.AsyncClient) -> None:
    result = await client.post(
        "/api/workflows/nested/start-async", json={"inputData": {"name": "ned"}}
    )
    run_id = result.json()["runId"]
    state = (await client.get(f"/api/workflows/nested/runs/{run_id}")).json()
    assert state["status"] == "success"
    assert set(state["steps"]) == {"inner", "inner.hello", "shout"}
    flat = await client.get(
        f"/api/workflows/nested/runs/{run_id}", params={"withNestedWorkflows": "false"}
    )
    assert set(flat.json()["steps"]) == {"inner", "shout"}
    some = await client.get(
        f"/api/workflows/nested/runs/{run_id}/execution-result", params={"fields": "result"}
    )
    assert some.json()["result"] == {"out": "HI NED"}
    assert "steps" not in some.json() and some.json()["status"] == "success"
    deleted = await client.delete(f"/api/workflows/nested/runs/{run_id}")
    assert deleted.json() == {"message": "Workflow run deleted"}
    gone = await client.get(f"/api/workflows/nested/runs/{run_id}")
    assert gone.status_code == 404
    assert run_id in gone.json()["error"]
    assert (await client.delete(f"/api/workflows/nested/runs/{run_id}")).status_code == 404


async def test_run_logs(client: httpx.AsyncClient) -> None:
    run_id = (
        await client.post("/api/workflows/greet/start-async", json={"inputData": {"name": "lo"}})
    ).json()["runId"]
    body = (await client.get(f"/api/logs/{run_id}")).json()
    assert [r["message"] for r in body["logs"]] == ["greeting lo"]
    assert body["logs"][0]["stepId"] == "hello" and body["hasMore"] is False
    scoped = await client.get(
        f"/api/logs/{run_id}", params={"workflowId": "greet", "level": "warn"}
    )
    assert scoped.json()["logs"] == []
    limited = (await client.get(f"/api/logs/{run_id}", params={"perPage": 1})).json()
    assert limited["total"] == 1 and limited["hasMore"] is False
    past = (await client.get(f"/api/logs/{run_id}", params={"perPage": 1, "page": 2})).json()
    assert past["logs"] == [] and past["total"] == 1
    assert (await client.get("/api/logs/transports")).json() == {"transports": ["treadle"]}
    assert (await client.get("/api/logs/ghost")).status_code == 404
    assert (await client.get(f"/api/logs/{run_id}", params={"level": "loud"})).status_code == 400
