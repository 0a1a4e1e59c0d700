"""Run history (filters, paging, opening and deleting runs) and the graph (nested expansion,
zoom, SVG and Mermaid export)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from server.live_server import LiveServer
from studio.helpers import api_start, expect_run_status, node
from studio.workflows import Gate

FAN_OUT_INPUT = {"city": "Lisbon", "sku": "CHAIR-OAK-01", "quantity": 2}


def test_history_filters_opens_and_deletes_runs(
    live: LiveServer, open_page: Callable[..., Page], gate: Gate,
    screenshot: Callable[[Page, str], Path],
) -> None:  # fmt: skip
    run_id = api_start(live.base_url, "gated", {"label": "history"})
    assert gate.started.wait(10), "the run never reached the gate"
    gate.open()
    page = open_page(live.base_url + "/workflows/gated")
    page.get_by_test_id("tab-history").click()
    rows = page.get_by_test_id("run-list").locator(".run-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-status", "success")
    expect(rows.first).to_have_attribute("data-run-id", run_id)

    page.get_by_test_id("history-status").select_option("failed")
    expect(rows).to_have_count(0)
    expect(page.get_by_test_id("run-list")).to_contain_text("No runs match")
    page.get_by_test_id("history-status").select_option("success")
    expect(rows).to_have_count(1)
    page.get_by_test_id("history-from").fill("2000-01-01")
    page.get_by_test_id("history-to").fill("2000-12-31")
    expect(rows).to_have_count(0)
    page.get_by_test_id("history-to").fill("")
    expect(rows).to_have_count(1)

    rows.first.get_by_role("button", name=re.compile("^Open run")).click()
    expect(page).to_have_url(f"{live.base_url}/workflows/gated/runs/{run_id}")
    expect_run_status(page, "success")
    expect(rows.first).to_have_class(re.compile(r"\bis-current\b"))
    screenshot(page, "studio-history")

    rows.first.get_by_role("button", name=re.compile("^Delete run")).click()
    page.get_by_test_id("confirm-dialog").get_by_test_id("confirm-ok").click()
    expect(rows).to_have_count(0)
    expect(page).to_have_url(live.base_url + "/workflows/gated")
    expect(page.get_by_test_id("run-card")).to_be_hidden()


def test_history_pages_through_many_runs(live: LiveServer, open_page: Callable[..., Page]) -> None:
    for _ in range(17):
        api_start(live.base_url, "fan-out", FAN_OUT_INPUT)
    page = open_page(live.base_url + "/workflows/fan-out")
    page.get_by_test_id("tab-history").click()
    rows = page.get_by_test_id("run-list").locator(".run-row")
    expect(page.get_by_test_id("history-range")).to_have_text("1–15 of 17")
    expect(rows).to_have_count(15)
    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_test_id("history-range")).to_have_text("16–17 of 17")
    expect(rows).to_have_count(2)
    expect(page.get_by_role("button", name="Next page")).to_be_disabled()


def test_opening_a_suspended_run_shows_its_resume_form(
    live: LiveServer, open_page: Callable[..., Page]
) -> None:
    page = open_page(live.base_url + "/workflows/approval")
    page.get_by_test_id("input-editor").get_by_role("button", name="Use example").click()
    page.get_by_test_id("run-button").click()
    expect_run_status(page, "suspended")
    run_url = page.url

    list_page = open_page(live.base_url + "/")
    waiting = list_page.locator('tr[data-workflow="approval"]').get_by_test_id("count-suspended")
    expect(waiting).to_have_attribute("data-count", "1")

    again = open_page(run_url)  # a fresh browser tab on the run's address
    expect_run_status(again, "suspended")
    expect(again.get_by_test_id("resume-form")).to_have_attribute("data-step", "human-review")
    expect(again.get_by_test_id("step-detail")).to_contain_text("human-review")


def test_nested_workflows_expand_in_place_and_show_inner_statuses(
    live: LiveServer, open_page: Callable[..., Page], screenshot: Callable[[Page, str], Path]
) -> None:
    page = open_page(live.base_url + "/workflows/nested-report", color_scheme="dark")
    page.get_by_test_id("input-editor").get_by_role("button", name="Use example").click()
    page.get_by_test_id("run-button").click()
    expect_run_status(page, "success")
    expect(page.locator(".tr-group[data-nested]")).to_have_count(0)

    node(page, "sales-metrics").click()  # a collapsed nested workflow: expands it
    group = page.locator('.tr-group[data-nested="sales-metrics"]')
    expect(group).to_be_visible()
    expect(group).to_have_class(re.compile(r"\btr-status-success\b"))
    for inner in ("sales-metrics.load-sales", "sales-metrics.aggregate-sales"):
        expect(node(page, inner)).to_have_class(re.compile(r"\btr-status-success\b"))
    expect(node(page, "render-csv")).to_have_class(re.compile(r"\btr-status-skipped\b"))
    node(page, "sales-metrics.aggregate-sales").click()
    expect(page.get_by_test_id("step-detail")).to_contain_text("sales-metrics.aggregate-sales")
    screenshot(page, "studio-nested-dark")

    group.locator(".tr-group-toggle").click()  # the frame's title collapses it again
    expect(page.locator(".tr-group[data-nested]")).to_have_count(0)
    expect(node(page, "sales-metrics")).to_be_visible()
    page.get_by_test_id("expand-all").click()
    expect(group).to_be_visible()


def test_zoom_and_fit_change_the_view(live: LiveServer, open_page: Callable[..., Page]) -> None:
    page = open_page(live.base_url + "/workflows/fan-out")
    graph = page.get_by_test_id("graph")
    expect(node(page, "plan-delivery")).to_be_visible()
    svg = graph.locator("svg.tr-graph")
    fitted = svg.get_attribute("viewBox")
    page.get_by_role("button", name="Zoom in").click()
    assert svg.get_attribute("viewBox") != fitted
    graph.focus()
    page.keyboard.press("0")
    assert svg.get_attribute("viewBox") == fitted


def test_the_graph_exports_as_svg_and_mermaid(
    live: LiveServer, open_page: Callable[..., Page], tmp_path: Path
) -> None:
    page = open_page(live.base_url + "/workflows/fan-out")
    expect(node(page, "plan-delivery")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_test_id("export-svg").click()
    download = download_info.value
    assert download.suggested_filename == "fan-out.svg"
    saved = tmp_path / "graph.svg"
    download.save_as(saved)
    svg = saved.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and 'data-step-path="plan-delivery"' in svg

    page.get_by_test_id("export-mermaid").click()
    text = page.get_by_test_id("mermaid-dialog").get_by_test_id("mermaid-text")
    expect(text).to_contain_text("flowchart")
    expect(text).to_contain_text("plan-delivery")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("mermaid-dialog")).to_have_count(0)
