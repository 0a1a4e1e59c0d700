"""Forms generated from input schemas: nested objects, lists with add/remove, optionals, enums,
booleans, literals; validation messages; and the raw JSON mode in both directions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from server.live_server import LiveServer
from studio.helpers import expect_run_status, json_of


def fill_form_lab(page: Page) -> None:
    form = page.get_by_test_id("input-editor")
    form.locator('input[name="title"]').fill("Lab")
    form.locator('select[name="priority"]').select_option(label="high")
    form.get_by_role("switch", name="Urgent").check()
    form.locator('input[name="address.city"]').fill("Oslo")
    add_line = form.get_by_role("button", name="Add an item to Lines")
    add_line.click()
    form.locator('input[name="lines[0].sku"]').fill("A")
    form.locator('input[name="lines[0].qty"]').fill("1")
    add_line.click()
    form.locator('input[name="lines[1].sku"]').fill("B")
    form.locator('input[name="lines[1].qty"]').fill("2")
    form.get_by_role("button", name="Remove line 1 of Lines").click()
    form.get_by_role("switch", name="Note").check()
    form.locator('input[name="note"]').fill("hello")
    form.locator('select[name="size"]').select_option(label="l")
    form.get_by_role("button", name="Add an item to Tags").click()
    form.locator('input[name="tags[0]"]').fill("x")


EXPECTED = {
    "title": "Lab",
    "priority": "high",
    "urgent": True,
    "address": {"city": "Oslo"},  # the optional zip is left out, not sent as null
    "lines": [{"sku": "B", "qty": 2}],  # the first line was removed, the second moved up
    "note": "hello",
    "size": "l",
    "tags": ["x"],
}


def test_the_form_produces_the_json_the_schema_describes(
    live: LiveServer, open_page: Callable[..., Page], screenshot: Callable[[Page, str], Path]
) -> None:
    page = open_page(live.base_url + "/workflows/form-lab")
    fill_form_lab(page)
    expect(page.locator('input[name="lines[0].sku"]')).to_have_value("B")
    expect(page.locator('input[name="lines[1].sku"]')).to_have_count(0)
    screenshot(page, "studio-form")

    editor = page.get_by_test_id("input-editor")
    editor.get_by_role("button", name="JSON").click()
    assert json_of(page.get_by_test_id("input-editor-json")) == EXPECTED


def test_json_edits_flow_back_into_the_form_and_the_run_gets_them(
    live: LiveServer, open_page: Callable[..., Page]
) -> None:
    page = open_page(live.base_url + "/workflows/form-lab")
    fill_form_lab(page)
    editor = page.get_by_test_id("input-editor")
    editor.get_by_role("button", name="JSON").click()
    edited = {**EXPECTED, "address": {"city": "Bergen", "zip": "5003"}, "lines": []}
    page.get_by_test_id("input-editor-json").fill(json.dumps(edited))
    editor.get_by_role("button", name="Form").click()

    expect(editor.locator('input[name="address.city"]')).to_have_value("Bergen")
    expect(editor.get_by_role("switch", name="Zip")).to_be_checked()
    expect(editor.locator('input[name="address.zip"]')).to_have_value("5003")
    expect(editor.locator('input[name^="lines["]')).to_have_count(0)

    page.get_by_test_id("run-button").click()
    expect_run_status(page, "success")
    # The server validated the input and the step echoed it, defaults filled in.
    assert json_of(page.get_by_test_id("run-result")) == {**edited, "lines": []}


def test_bad_values_are_reported_per_field_and_nothing_starts(
    live: LiveServer, open_page: Callable[..., Page]
) -> None:
    page = open_page(live.base_url + "/workflows/form-lab")
    editor = page.get_by_test_id("input-editor")
    editor.get_by_role("button", name="Add an item to Lines").click()
    editor.locator('input[name="lines[0].sku"]').fill("A")
    editor.locator('input[name="lines[0].qty"]').fill("0")
    page.get_by_test_id("run-button").click()

    expect(editor.locator('[data-path="title"] .field-error')).to_have_text("Required")
    expect(editor.locator('[data-path="address.city"] .field-error')).to_have_text("Required")
    expect(editor.locator('[data-path="lines[0].qty"] .field-error')).to_have_text("Must be ≥ 1")
    expect(editor.locator(".editor-summary")).to_contain_text("lines[0].qty")
    expect(editor.locator('input[name="title"]')).to_be_focused()
    expect(page.get_by_test_id("run-card")).to_be_hidden()


def test_invalid_json_keeps_the_json_mode_with_an_error(
    live: LiveServer, open_page: Callable[..., Page]
) -> None:
    page = open_page(live.base_url + "/workflows/form-lab")
    editor = page.get_by_test_id("input-editor")
    editor.get_by_role("button", name="JSON").click()
    page.get_by_test_id("input-editor-json").fill('{"title": ')
    editor.get_by_role("button", name="Form").click()
    expect(editor).to_have_attribute("data-mode", "json")
    expect(editor.locator(".json-pane .field-error")).to_contain_text("Invalid JSON")
    page.get_by_test_id("run-button").click()
    expect(page.get_by_test_id("run-card")).to_be_hidden()


def test_a_server_side_validation_error_is_shown(
    live: LiveServer, open_page: Callable[..., Page]
) -> None:
    page = open_page(live.base_url + "/workflows/form-lab")
    editor = page.get_by_test_id("input-editor")
    editor.get_by_role("button", name="JSON").click()
    page.get_by_test_id("input-editor-json").fill('{"title": "no address"}')
    page.get_by_test_id("run-button").click()
    # The form is bypassed: the server refuses the input and says which field is wrong; the
    # run it never started is dropped.
    error = page.get_by_test_id("start-error")
    expect(error).to_contain_text("inputData.address: Field required")
    expect(page.get_by_test_id("run-card")).to_be_hidden()
    expect(page).to_have_url(live.base_url + "/workflows/form-lab")
    page.get_by_test_id("tab-history").click()
    expect(page.get_by_test_id("history-range")).to_have_text("0–0 of 0")


def test_a_workflow_with_a_state_schema_gets_an_initial_state_form(
    live: LiveServer, open_page: Callable[..., Page]
) -> None:
    page = open_page(live.base_url + "/workflows/retry-until-ready")
    page.get_by_test_id("input-editor").locator('input[name="job_id"]').fill("export-1")
    state = page.get_by_test_id("state-editor")
    state.locator('input[name="attempts"]').fill("1")
    state.get_by_role("button", name="Add an item to Timeline").click()
    state.locator('input[name="timeline[0]"]').fill("#1 seeded")
    page.get_by_test_id("run-button").click()

    expect_run_status(page, "success")
    # The loop counted on from the initial state: attempts 2 and 3, ready on the third.
    result = json_of(page.get_by_test_id("run-result"))
    assert result["attempts"] == 3
    assert result["timeline"] == ["#1 seeded", "#2 running 66%", "#3 ready 100%"]
