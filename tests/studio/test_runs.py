"""Running workflows from the Studio: live statuses, suspend and resume, re-attaching after a
reload, cancel, and time travel."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from server.live_server import LiveServer
from studio.helpers import expect_run_status, json_of, node, step_row
from studio.workflows import Gate

FAN_OUT_STEPS = ("lookup-weather", "lookup-inventory", "lookup-pricing", "plan-delivery")
RUN_URL = re.compile(r"/workflows/[^/]+/runs/[0-9a-f-]{36}$")


def test_fan_out_runs_from_the_generated_form_and_every_step_succeeds(
    live: LiveServer, open_page: Callable[..., Page], screenshot: Callable[[Page, str], Path]
) -> None:
    page = open_page(live.base_url + "/workflows/fan-out")
    expect(node(page, "plan-delivery")).to_be_visible()
    page.locator('input[name="city"]').fill("Lisbon")
    page.locator('input[name="sku"]').fill("CHAIR-OAK-01")
    page.locator('input[name="quantity"]').fill("24")
    page.get_by_test_id("run-button").click()

    expect_run_status(page, "success")
    expect(page).to_have_url(RUN_URL)
    for step in FAN_OUT_STEPS:
        expect(node(page, step)).to_have_class(re.compile(r"\btr-status-success\b"))
        expect(step_row(page, step)).to_have_attribute("data-status", "success")
    result = json_of(page.get_by_test_id("run-result"))
    assert result["city"] == "Lisbon" and result["quantity"] == 24

    node(page, "plan-delivery").click()
    detail = page.get_by_test_id("step-detail")
    expect(detail.get_by_test_id("step-detail-status")).to_have_attribute("data-status", "success")
    assert json_of(detail.get_by_test_id("step-output"))["sku"] == "CHAIR-OAK-01"
    detail.get_by_role("tab", name="Input").click()
    assert set(json_of(detail.get_by_test_id("step-input"))) == set(FAN_OUT_STEPS[:3])
    screenshot(page, "studio-run-success")


def test_approval_suspends_and_the_generated_resume_form_finishes_it(
    live: LiveServer, open_page: Callable[..., Page], screenshot: Callable[[Page, str], Path]
) -> None:
    page = open_page(live.base_url + "/workflows/approval")
    page.get_by_test_id("input-editor").get_by_role("button", name="Use example").click()
    page.locator('input[name="claim_id"]').fill("EXP-7")
    page.get_by_test_id("run-button").click()

    expect_run_status(page, "suspended")
    expect(node(page, "human-review")).to_have_class(re.compile(r"\btr-status-suspended\b"))
    expect(node(page, "validate-claim")).to_have_class(re.compile(r"\btr-status-success\b"))
    resume = page.get_by_test_id("resume-form")
    expect(resume).to_have_attribute("data-step", "human-review")
    assert json_of(resume.get_by_test_id("suspend-payload"))["claim_id"] == "EXP-7"
    # The resume form comes from the step's resume_schema: a switch, text, an optional, an enum.
    resume.get_by_role("switch", name="Approved").check()
    resume.locator('input[name="reviewer"]').fill("ada")
    resume.get_by_role("switch", name="Comment").check()
    resume.locator('input[name="comment"]').fill("fine by me")
    resume.locator('select[name="reason"]').select_option("business-need")
    screenshot(page, "studio-suspended")
    resume.get_by_test_id("resume-submit").click()

    expect_run_status(page, "success")
    expect(node(page, "finalize")).to_have_class(re.compile(r"\btr-status-success\b"))
    expect(node(page, "auto-decision")).to_have_class(re.compile(r"\btr-status-skipped\b"))
    result = json_of(page.get_by_test_id("run-result"))
    assert result["status"] == "approved" and result["decided_by"] == "ada"
    node(page, "human-review").click()
    detail = page.get_by_test_id("step-detail")
    detail.get_by_role("tab", name="Resumed with").click()
    resumed = json_of(detail.get_by_test_id("step-resume"))
    assert resumed == {
        "approved": True,
        "reviewer": "ada",
        "comment": "fine by me",
        "reason": "business-need",
    }
    screenshot(page, "studio-resumed")


def test_a_reload_mid_run_re_attaches_to_the_live_run(
    live: LiveServer, open_page: Callable[..., Page], gate: Gate,
    screenshot: Callable[[Page, str], Path],
) -> None:  # fmt: skip
    page = open_page(live.base_url + "/workflows/gated")
    page.locator('input[name="label"]').fill("reload me")
    page.get_by_test_id("run-button").click()
    assert gate.started.wait(10), "the run never reached the gate"
    expect_run_status(page, "running")
    expect(page).to_have_url(RUN_URL)
    run_url = page.url

    page.reload()
    expect(page).to_have_url(run_url)
    expect_run_status(page, "running")
    expect(node(page, "prepare")).to_have_class(re.compile(r"\btr-status-success\b"))
    expect(node(page, "hold")).to_have_class(re.compile(r"\btr-status-running\b"))
    expect(step_row(page, "hold")).to_have_attribute("data-status", "running")
    screenshot(page, "studio-running")

    gate.open()  # the re-attached page follows the run to its end without any click
    expect_run_status(page, "success")
    expect(node(page, "report")).to_have_class(re.compile(r"\btr-status-success\b"))
    assert json_of(page.get_by_test_id("run-result")) == {"report": "reload me done"}


def test_cancel_stops_a_running_run(
    live: LiveServer, open_page: Callable[..., Page], gate: Gate
) -> None:
    page = open_page(live.base_url + "/workflows/gated")
    page.get_by_test_id("run-button").click()
    assert gate.started.wait(10), "the run never reached the gate"
    page.get_by_test_id("cancel-run").click()
    expect_run_status(page, "canceled")
    expect(page.get_by_test_id("cancel-run")).to_have_count(0)
    expect(node(page, "report")).not_to_have_class(re.compile(r"\btr-status-success\b"))


def test_time_travel_reruns_from_a_step_with_edited_input(
    live: LiveServer, open_page: Callable[..., Page]
) -> None:
    page = open_page(live.base_url + "/workflows/form-lab")
    page.locator('input[name="title"]').fill("first")
    page.locator('input[name="address.city"]').fill("Oslo")
    page.get_by_test_id("run-button").click()
    expect_run_status(page, "success")
    assert json_of(page.get_by_test_id("run-result"))["title"] == "first"

    step_row(page, "echo").get_by_role("button").click()
    page.get_by_test_id("step-detail").get_by_test_id("time-travel").click()
    dialog = page.get_by_test_id("time-travel-dialog")
    editor = dialog.get_by_test_id("time-travel-editor-json")
    prefilled = json_of(editor)
    assert prefilled["title"] == "first" and prefilled["address"]["city"] == "Oslo"
    editor.fill(editor.input_value().replace('"first"', '"second"'))
    dialog.get_by_test_id("time-travel-submit").click()

    expect(dialog).to_have_count(0)
    expect(page.get_by_test_id("run-result")).to_contain_text('"second"')
    expect_run_status(page, "success")


def test_a_failed_run_points_at_the_failing_step_and_its_error(
    live: LiveServer, open_page: Callable[..., Page], screenshot: Callable[[Page, str], Path]
) -> None:
    page = open_page(live.base_url + "/workflows/failing")
    page.locator('input[name="value"]').fill("42")
    page.get_by_test_id("run-button").click()

    expect_run_status(page, "failed")
    expect(node(page, "check")).to_have_class(re.compile(r"\btr-status-failed\b"))
    expect(node(page, "store")).to_have_class(re.compile(r"\btr-status-skipped\b"))
    expect(page.get_by_test_id("run-card")).to_contain_text("value 42 is above the limit of 10")
    # The failed step is selected for the user, on its Error tab.
    detail = page.get_by_test_id("step-detail")
    expect(detail.get_by_role("tab", name="Error")).to_have_attribute("aria-selected", "true")
    expect(detail.get_by_test_id("step-error")).to_contain_text("ValueTooLargeError")
    screenshot(page, "studio-failed")
