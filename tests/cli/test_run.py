"""`treadle run`: events as they come, the result, exit codes, --json, bad input."""

from __future__ import annotations

import json
from pathlib import Path

from treadle.storage import SQLiteStore


def run_id_of(stdout: str) -> str:
    first = stdout.splitlines()[0]  # "run <id> of <workflow> started"
    assert first.startswith("run "), stdout
    return first.split()[1]


def test_success_prints_each_step_then_the_result_and_exits_0(invoke):
    result = invoke("run", "greet", "--input", '{"name": "Ada", "times": 2}')

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("of greet started")
    assert lines[1] == "  shout started"
    assert lines[2].startswith("  shout succeeded in ") and lines[2].endswith(" ms")
    assert "status: success" in lines
    assert 'result: {"message": "hello Ada hello Ada"}' in lines


def test_initial_state_comes_from_state_option(invoke):
    result = invoke("run", "greet", "--input", '{"name": "Ada"}', "--state", '{"word": "hi"}')

    assert result.exit_code == 0, result.stderr
    assert 'result: {"message": "hi Ada"}' in result.stdout


def test_failed_run_names_the_step_and_error_and_exits_1(invoke):
    result = invoke("run", "explode")

    assert result.exit_code == 1
    assert "  boom failed after" in result.stdout
    assert "error: RuntimeError: the oven is on fire" in result.stdout
    assert "failed step: boom" in result.stdout


def test_suspended_run_prints_payload_and_resume_command_and_exits_3(invoke, app_target):
    result = invoke("run", "approve", "--input", '{"order_id": "A-1", "amount": 12}')

    assert result.exit_code == 3
    run_id = run_id_of(result.stdout)
    assert "  review suspended after" in result.stdout
    assert 'suspended at review: {"question": "approve order A-1?"}' in result.stdout
    expected = (
        f"  treadle --app {app_target} resume approve {run_id} --step review "
        """--data '{"approved": false, "reviewer": ""}'"""
    )
    assert expected in result.stdout.splitlines()


def test_nested_suspension_names_the_dotted_path(invoke):
    result = invoke("run", "nested-approve", "--input", '{"order_id": "N", "amount": 1}')

    assert result.exit_code == 3
    assert "    checks.review suspended after" in result.stdout
    assert "--step checks.review" in result.stdout


def test_progress_writer_output_custom_events_and_sleeps_have_their_lines(invoke):
    result = invoke("run", "batch", "--input", "[1, 2]")

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1:8] == [
        "  double started",
        '  double wrote: {"doubling": 1}',
        '  data-tick: {"item": 1}',
        "  double 1/2 (item 0: success)",
        '  double wrote: {"doubling": 2}',
        '  data-tick: {"item": 2}',
        "  double 2/2 (item 1: success)",
    ]
    assert lines[8].startswith("  double succeeded in ")
    assert lines[9] == "  pause waiting"
    assert lines[10].startswith("  pause succeeded in ") and lines[10].endswith(" ms")
    assert "result: 6" in lines


def test_json_mode_prints_mastra_chunks_then_the_result(invoke):
    result = invoke("run", "greet", "--input", '{"name": "Ada"}', "--json")

    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    events, final = lines[:-1], lines[-1]
    assert [e["type"] for e in events] == [
        "workflow-start",
        "workflow-step-start",
        "workflow-step-result",
        "workflow-finish",
    ]
    assert all(e["from"] == "WORKFLOW" and e["runId"] == final["runId"] for e in events)
    assert events[2]["payload"]["output"] == {"message": "hello Ada"}
    assert final["status"] == "success"
    assert final["result"] == {"message": "hello Ada"}


def test_json_mode_suspended_keeps_stdout_json_and_hints_on_stderr(invoke):
    result = invoke("run", "approve", "--input", '{"order_id": "A", "amount": 1}', "--json")

    assert result.exit_code == 3
    final = json.loads(result.stdout.splitlines()[-1])
    assert final["suspended"] == [["review"]]
    assert final["suspendPayload"] == {"review": {"question": "approve order A?"}}
    assert f"resume approve {final['runId']} --step review" in result.stderr


def test_input_from_a_file(invoke, tmp_path: Path):
    data = tmp_path / "input.json"
    data.write_text('{"name": "File"}', encoding="utf-8")

    result = invoke("run", "greet", "--input", f"@{data}")

    assert result.exit_code == 0, result.stderr
    assert 'result: {"message": "hello File"}' in result.stdout


def test_input_from_stdin(invoke):
    result = invoke("run", "greet", "--input", "@-", stdin='{"name": "Pipe"}')

    assert result.exit_code == 0, result.stderr
    assert 'result: {"message": "hello Pipe"}' in result.stdout


def test_bad_json_names_the_position(invoke):
    result = invoke("run", "greet", "--input", '{"name": "Ada",}')

    assert result.exit_code == 2
    assert "Invalid value for '--input'" in result.stderr
    assert "invalid JSON at line 1, column 16" in result.stderr
    assert "^" in result.stderr


def test_bad_json_in_a_file_names_the_file_and_line(invoke, tmp_path: Path):
    data = tmp_path / "broken.json"
    data.write_text('{\n  "name": "Ada"\n  "times": 2\n}\n', encoding="utf-8")

    result = invoke("run", "greet", "--input", f"@{data}")

    assert result.exit_code == 2
    assert f"{data}: invalid JSON at line 3, column 3: Expecting ',' delimiter" in result.stderr


def test_missing_input_file_is_named(invoke, tmp_path: Path):
    result = invoke("run", "greet", "--input", f"@{tmp_path / 'nope.json'}")

    assert result.exit_code == 2
    assert f"file not found: {tmp_path / 'nope.json'}" in result.stderr


def test_schema_errors_name_each_field_path_and_leave_no_run(invoke, db_path: Path):
    result = invoke("run", "greet", "--input", '{"name": 5, "times": "many"}')

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Invalid input data (--input):" in result.stderr
    assert "  name: Input should be a valid string" in result.stderr
    assert "  times: Input should be a valid integer" in result.stderr
    listing = invoke("runs", "list", "--json")
    assert json.loads(listing.stdout)["total"] == 0


def test_state_schema_errors_name_the_state_option(invoke):
    result = invoke("run", "greet", "--input", '{"name": "Ada"}', "--state", '{"word": []}')

    assert result.exit_code == 2
    assert "Invalid initial data (--state):" in result.stderr
    assert "  word: Input should be a valid string" in result.stderr


def test_unknown_workflow_lists_the_known_ones(invoke):
    result = invoke("run", "nope")

    assert result.exit_code == 2
    assert (
        "unknown workflow 'nope' (known: approve, batch, explode, greet, guarded, hang, nested-approve)"
        in result.stderr
    )


def test_an_exception_from_on_start_exits_1_and_leaves_no_run(invoke):
    result = invoke("run", "guarded")

    assert result.exit_code == 1
    assert "the run could not start: PermissionError: the shop is closed today" in result.stderr
    assert json.loads(invoke("runs", "list", "--json").stdout)["total"] == 0


def test_the_run_is_stored(invoke, db_path: Path):
    result = invoke("run", "greet", "--input", '{"name": "Ada"}')
    run_id = run_id_of(result.stdout)

    import asyncio

    async def stored_status() -> str | None:
        store = SQLiteStore(db_path)
        try:
            record = await store.load_run("greet", run_id)
            return None if record is None else record.status
        finally:
            await store.close()

    assert asyncio.run(stored_status()) == "success"
