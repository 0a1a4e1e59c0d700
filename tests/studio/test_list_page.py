"""The workflow list: every workflow with its step count, and live run counters."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from server.live_server import LiveServer
from studio.helpers import api_start
from studio.workflows import Gate


def test_the_list_shows_every_workflow_with_its_step_count(
    live: LiveServer, open_page: Callable[..., Page], screenshot: Callable[[Page, str], Path]
) -> None:
    page = open_page(live.base_url + "/")
    rows = page.locator("tr.wf-row")
    for workflow_id in ("approval", "fan-out", "batch-enrich", "nested-report", "gated"):
        expect(
            rows.filter(has=page.get_by_role("link", name=workflow_id, exact=True))
        ).to_have_count(1)
    fan_out = page.locator('tr[data-workflow="fan-out"]')
    expect(fan_out.get_by_test_id("step-count")).to_have_text("4")
    expect(fan_out).to_contain_text("Parallel fan-out")
    expect(page).to_have_title("Workflows · Treadle Studio")
    screenshot(page, "studio-workflows")

    page.get_by_test_id("workflow-filter").fill("nested")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link").click()
    expect(page).to_have_url(live.base_url + "/workflows/nested-report")
    expect(page.get_by_test_id("workflow-page")).to_be_visible()


def test_running_and_waiting_counts_refresh_on_their_own(
    live: LiveServer, open_page: Callable[..., Page], gate: Gate
) -> None:
    page = open_page(live.base_url + "/")
    gated = page.locator('tr[data-workflow="gated"]')
    running = gated.get_by_test_id("count-running")
    expect(running).to_have_attribute("data-count", "0")

    api_start(live.base_url, "gated", {"label": "counted"})
    assert gate.started.wait(10), "the run never reached the gate"
    # No reload: the list polls the counts every 5 s.
    expect(running).to_have_attribute("data-count", "1", timeout=12_000)

    gate.open()
    expect(running).to_have_attribute("data-count", "0", timeout=12_000)
