"""`treadle resume` and `treadle cancel`, each in a new process, on runs a previous process
started (the real console script; the runs live in a shared SQLite file)."""

from __future__ import annotations

import json
import shlex


def suspended_run(treadle, workflow: str = "approve") -> str:
    started = treadle("run", workflow, "--input", '{"order_id": "A-7", "amount": 40}', "--json")
    assert started.returncode == 3, started.stderr
    return json.loads(started.stdout.splitlines()[-1])["runId"]


def test_resume_in_a_new_process_finishes_the_run(treadle):
    run_id = suspended_run(treadle)

    resumed = treadle(
        "resume", "approve", run_id, "--step", "review",
        "--data", '{"approved": true, "reviewer": "kim"}',
    )  # fmt: skip

    assert resumed.returncode == 0, resumed.stderr
    lines = resumed.stdout.splitlines()
    assert lines[0] == f"run {run_id} of approve resumed"
    assert lines[1] == "  review resumed"
    assert lines[2].startswith("  review succeeded in ")
    assert 'result: {"approved": true, "by": "kim"}' in lines
    shown = treadle("runs", "show", run_id, "--json")
    assert json.loads(shown.stdout)["status"] == "success"


def test_the_printed_resume_command_works_as_printed(treadle, app_target):
    started = treadle("run", "nested-approve", "--input", '{"order_id": "N-1", "amount": 2}')
    assert started.returncode == 3
    lines = started.stdout.splitlines()
    command = lines[lines.index("resume with:") + 1].strip()
    words = shlex.split(command)
    assert words[:3] == ["treadle", "--app", app_target]
    words[words.index("--data") + 1] = '{"approved": false, "reviewer": "lee"}'

    resumed = treadle(*words[3:])

    assert resumed.returncode == 0, resumed.stderr
    assert "    checks.review resumed" in resumed.stdout
    assert 'result: {"approved": false, "by": "lee"}' in resumed.stdout


def test_resume_json_streams_ndjson(treadle):
    run_id = suspended_run(treadle)

    resumed = treadle(
        "resume", "approve", run_id, "--data", '{"approved": true, "reviewer": "kim"}', "--json"
    )

    assert resumed.returncode == 0, resumed.stderr
    lines = [json.loads(line) for line in resumed.stdout.splitlines()]
    assert lines[0]["type"] == "workflow-start"
    assert lines[-2]["type"] == "workflow-finish"
    assert lines[-1]["status"] == "success"


def test_bad_resume_data_names_the_field_and_keeps_the_run_suspended(treadle):
    run_id = suspended_run(treadle)

    resumed = treadle("resume", "approve", run_id, "--data", '{"approved": "maybe"}')

    assert resumed.returncode == 2
    assert "Invalid resume data (--data):" in resumed.stderr
    assert "  approved: Input should be a valid boolean" in resumed.stderr
    assert "  reviewer: Field required" in resumed.stderr
    shown = treadle("runs", "show", run_id, "--json")
    assert json.loads(shown.stdout)["status"] == "suspended"


def test_resume_refuses_a_run_that_is_not_suspended(treadle):
    done = treadle("run", "greet", "--input", '{"name": "x"}', "--json")
    run_id = json.loads(done.stdout.splitlines()[-1])["runId"]

    resumed = treadle("resume", "greet", run_id)

    assert resumed.returncode == 2
    assert f"run '{run_id}' is success, not suspended" in resumed.stderr


def test_resume_of_an_unknown_run_creates_nothing(treadle):
    resumed = treadle("resume", "approve", "no-such-run")

    assert resumed.returncode == 2
    assert "no run 'no-such-run' of workflow 'approve'" in resumed.stderr
    listing = treadle("runs", "list", "--json")
    assert json.loads(listing.stdout)["total"] == 0


def test_cancel_a_suspended_run(treadle):
    run_id = suspended_run(treadle)

    canceled = treadle("cancel", "approve", run_id)

    assert canceled.returncode == 0, canceled.stderr
    assert canceled.stdout.strip() == f"canceled run {run_id} of approve (it was suspended)"
    shown = treadle("runs", "show", run_id, "--json")
    assert json.loads(shown.stdout)["status"] == "canceled"
    again = treadle("cancel", "approve", run_id)
    assert again.returncode == 0
    assert "already canceled" in again.stdout
    resumed = treadle("resume", "approve", run_id, "--data", '{"approved": true, "reviewer": "k"}')
    assert resumed.returncode == 2
    assert "is canceled, not suspended" in resumed.stderr


def test_cancel_refuses_a_finished_run(treadle):
    done = treadle("run", "explode", "--json")
    run_id = json.loads(done.stdout.splitlines()[-1])["runId"]

    canceled = treadle("cancel", "explode", run_id)

    assert canceled.returncode == 2
    assert "has already ended (failed)" in canceled.stderr
