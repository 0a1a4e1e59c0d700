"""`treadle runs list` and `treadle runs show`, as tables and as JSON."""

from __future__ import annotations

import json


def start(invoke, workflow: str, data: str | None = None) -> str:
    args = ["run", workflow, "--json"] + (["--input", data] if data is not None else [])
    result = invoke(*args)
    return json.loads(result.stdout.splitlines()[-1])["runId"]


def step_statuses(stdout: str) -> dict[str, str]:
    """{step: status} from the steps table of `runs show`."""
    lines = stdout.splitlines()
    start = lines.index("steps:") + 2  # past the title and the column header
    end = lines.index("", start)
    return {line.split()[0]: line.split()[1] for line in lines[start:end]}


def test_list_shows_a_table_of_runs_newest_first(invoke):
    first = start(invoke, "greet", '{"name": "a"}')
    second = start(invoke, "explode")
    third = start(invoke, "approve", '{"order_id": "o", "amount": 1}')

    result = invoke("runs", "list")

    assert result.exit_code == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["RUN", "ID", "WORKFLOW", "STATUS", "CREATED", "UPDATED"]
    assert [row.split()[:3] for row in rows] == [
        [third, "approve", "suspended"],
        [second, "explode", "failed"],
        [first, "greet", "success"],
    ]


def test_list_filters_by_workflow_status_and_limit(invoke):
    ok = start(invoke, "greet", '{"name": "a"}')
    start(invoke, "greet", '{"name": "b"}')
    start(invoke, "explode")

    by_workflow = json.loads(invoke("runs", "list", "explode", "--json").stdout)
    assert [r["workflowName"] for r in by_workflow["runs"]] == ["explode"]
    by_status = json.loads(invoke("runs", "list", "--status", "success", "--json").stdout)
    assert by_status["total"] == 2
    assert {r["status"] for r in by_status["runs"]} == {"success"}
    limited = json.loads(invoke("runs", "list", "greet", "--limit", "1", "--json").stdout)
    assert limited["total"] == 2
    assert len(limited["runs"]) == 1
    assert limited["runs"][0]["runId"] != ok  # the newest first
    table = invoke("runs", "list", "greet", "--limit", "1")
    assert "(1 of 2; use --limit to see more)" in table.stdout


def test_list_json_rows(invoke):
    run_id = start(invoke, "greet", '{"name": "a"}')

    rows = json.loads(invoke("runs", "list", "--json").stdout)

    assert rows["total"] == 1
    (row,) = rows["runs"]
    assert row["runId"] == run_id
    assert row["workflowName"] == "greet"
    assert row["status"] == "success"
    assert isinstance(row["createdAt"], int) and isinstance(row["updatedAt"], int)


def test_list_rejects_an_unknown_status(invoke):
    result = invoke("runs", "list", "--status", "sleeping")

    assert result.exit_code == 2
    assert "'sleeping' is not one of" in result.stderr


def test_list_without_runs(invoke):
    assert invoke("runs", "list").stdout.strip() == "no runs"
    assert (
        invoke("runs", "list", "--status", "failed").stdout.strip() == "no runs with status failed"
    )


def test_show_a_successful_run(invoke):
    run_id = start(invoke, "greet", '{"name": "Ada"}')

    result = invoke("runs", "show", run_id)

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["run", run_id]
    assert lines[1].split() == ["workflow", "greet"]
    assert lines[2].split() == ["status", "success"]
    assert 'input     {"name": "Ada", "times": 1}' in lines
    assert step_statuses(result.stdout) == {"shout": "success"}
    assert next(line for line in lines if line.startswith("  shout")).endswith(" ms")
    assert 'result: {"message": "hello Ada"}' in lines


def test_show_a_failed_run_with_its_error(invoke):
    run_id = start(invoke, "explode")

    result = invoke("runs", "show", run_id, "--workflow", "explode")

    assert "error: RuntimeError: the oven is on fire" in result.stdout
    assert (
        next(line for line in result.stdout.splitlines() if line.startswith("  boom")).split()[1]
        == "failed"
    )


def test_show_a_suspended_nested_run_with_payload_and_resume_command(invoke):
    run_id = start(invoke, "nested-approve", '{"order_id": "Z", "amount": 3}')

    result = invoke("runs", "show", run_id)

    lines = result.stdout.splitlines()
    assert step_statuses(result.stdout) == {
        "prepare": "success",
        "checks": "suspended",
        "checks.review": "suspended",
    }
    assert 'suspended at checks.review: {"question": "approve order Z?"}' in lines
    assert any(
        f"resume nested-approve {run_id} --step checks.review --data" in line for line in lines
    )


def test_show_json_is_the_stored_workflow_state(invoke):
    run_id = start(invoke, "approve", '{"order_id": "J", "amount": 2}')

    state = json.loads(invoke("runs", "show", run_id, "--json").stdout)

    assert state["runId"] == run_id
    assert state["workflowName"] == "approve"
    assert state["status"] == "suspended"
    assert state["payload"] == {"order_id": "J", "amount": 2.0}
    assert state["steps"]["review"]["suspendPayload"] == {"question": "approve order J?"}
    assert state["suspendedPaths"] == {"review": [0]}


def test_show_an_unknown_run(invoke):
    result = invoke("runs", "show", "missing-id")

    assert result.exit_code == 2
    assert "no run 'missing-id' in any workflow of the app" in result.stderr
    scoped = invoke("runs", "show", "missing-id", "--workflow", "greet")
    assert "no run 'missing-id' in workflow 'greet'" in scoped.stderr
