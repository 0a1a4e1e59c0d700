"""Small helpers shared by the Studio's browser tests."""

from __future__ import annotations

import json
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

__all__ = ["api_start", "expect_run_status", "json_of", "node", "step_row"]


def node(page: Page, path: str) -> Locator:
    """The graph node (or nested frame) of a step."""
    return page.locator(f'.tr-node[data-step-path="{path}"]')


def step_row(page: Page, path: str) -> Locator:
    return page.locator(f'[data-testid="step-list"] [data-step="{path}"]')


def expect_run_status(page: Page, status: str) -> None:
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", status)


def json_of(locator: Locator) -> Any:
    """The JSON a <pre> or <textarea> shows."""
    tag = locator.evaluate("el => el.tagName")
    text = locator.input_value() if tag == "TEXTAREA" else locator.inner_text()
    return json.loads(text)


def api_start(base_url: str, workflow_id: str, input_data: dict[str, Any]) -> str:
    """Create and start a run over HTTP (fire and forget); returns its id."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        created = client.post(f"/api/workflows/{workflow_id}/create-run", json={})
        run_id: str = created.raise_for_status().json()["runId"]
        client.post(
            f"/api/workflows/{workflow_id}/start",
            params={"runId": run_id},
            json={"inputData": input_data},
        ).raise_for_status()
    return run_id
