"""`examples.make_app` and `app` (what `treadle dev` serves), and the terminal demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from examples.fan_out import SAMPLE_INPUT as DELIVERY

import examples
from examples import demo, make_app
from treadle import Step, Treadle, Workflow
from treadle.storage import InMemoryStore, SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
IDS = {
    "approval",
    "fan-out",
    "batch-enrich",
    "retry-until-ready",
    "nested-report",
    "reminder",
    "reminder-ack",
    "order-approval",
}


def user_steps(workflow: Workflow[Any, Any, Any]) -> list[Step[Any, Any]]:
    """The steps someone wrote (not sleeps or maps), nested workflows' steps included."""
    found: list[Step[Any, Any]] = []
    for step in workflow.steps.values():
        if step.component in ("STEP", "WORKFLOW"):
            found.append(step)
        if isinstance(step, Workflow):
            found += user_steps(step)
    return found


def test_every_example_is_registered_under_its_id() -> None:
    app = make_app(storage=InMemoryStore())
    workflows = app.list_workflows()
    assert set(workflows) == IDS
    assert all(key == wf.id for key, wf in workflows.items())


def test_every_workflow_and_step_is_described() -> None:
    for wf in make_app(storage=InMemoryStore()).list_workflows().values():
        assert wf.description, wf.id
        undescribed = [s.id for s in user_steps(wf) if not s.description]
        assert undescribed == [], wf.id


async def test_apps_do_not_share_runs() -> None:
    first, second = make_app(storage=InMemoryStore()), make_app(storage=InMemoryStore())
    run = await first.get_workflow("fan-out").create_run()
    await run.start(input_data=DELIVERY)
    assert (await first.get_workflow("fan-out").list_workflow_runs())["total"] == 1
    assert (await second.get_workflow("fan-out").list_workflow_runs())["total"] == 0
    assert examples.fan_out.app is None  # the module's workflow stays a template


def test_default_app_uses_treadle_db_without_opening_it() -> None:
    assert isinstance(examples.app, Treadle)
    storage = examples.app.storage
    assert isinstance(storage, SQLiteStore)
    assert storage.path == (os.environ.get("TREADLE_DB") or "treadle.db")


def test_importing_the_examples_creates_no_file(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TREADLE_DB"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    code = "import json, examples; examples.make_app(); print(json.dumps(list(examples.app.list_workflows())))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)) == IDS
    assert list(tmp_path.iterdir()) == []


async def test_treadle_db_names_the_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "runs.db"
    monkeypatch.setenv("TREADLE_DB", str(db))
    app = make_app()
    try:
        run = await app.get_workflow("fan-out").create_run()
        await run.start(input_data=DELIVERY)
        assert db.exists()
    finally:
        await app.stop()
    reopened = make_app()  # a new process would see the run
    try:
        stored = await reopened.get_workflow("fan-out").get_workflow_run_by_id(run.run_id)
        assert stored is not None
        assert stored["status"] == "success"
    finally:
        await reopened.stop()


async def test_demo_runs_every_example(capsys: pytest.CaptureFixture[str]) -> None:
    await demo.main()
    out = capsys.readouterr().out
    for key in IDS:
        assert f"\n== {key}: " in out
    assert out.count("  => success") == len(IDS)
    assert out.count("  => suspended") == 2  # the two approvals, before their resume
    assert "failed" not in out
    assert "Claim EXP-1042 approved by ada" in out
    assert "send_event('reminder-acknowledged'" in out
    assert out.rstrip().endswith(
        "Run `treadle dev` to open them in the Studio at http://127.0.0.1:4111"
    )
