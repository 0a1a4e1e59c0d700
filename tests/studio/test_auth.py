"""A server with an API token: the Studio asks for it on the first 401, keeps it, and takes it
once from `?token=`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from server.live_server import LiveServer
from treadle import Treadle

TOKEN = "s3cret-token"


@pytest.fixture
def guarded(treadle_app: Treadle) -> Iterator[LiveServer]:
    with LiveServer(treadle_app, token=TOKEN, studio=True) as server:
        yield server


def test_the_studio_asks_for_the_token_and_keeps_it(
    guarded: LiveServer, open_page: Callable[..., Page], screenshot: Callable[[Page, str], Path]
) -> None:
    page = open_page(guarded.base_url + "/")
    dialog = page.get_by_test_id("token-dialog")
    expect(dialog).to_be_visible()
    screenshot(page, "studio-token")

    dialog.get_by_test_id("token-input").fill("wrong")
    dialog.get_by_test_id("token-submit").click()
    # Refused again: asked again, saying the token was refused.
    expect(page.get_by_test_id("token-dialog")).to_contain_text("refused the stored token")
    page.get_by_test_id("token-input").fill(TOKEN)
    page.get_by_test_id("token-submit").click()

    expect(page.get_by_test_id("token-dialog")).to_have_count(0)
    expect(page.locator('tr[data-workflow="approval"]')).to_be_visible()
    page.reload()  # kept in the browser: no second prompt
    expect(page.locator('tr[data-workflow="approval"]')).to_be_visible()
    expect(page.get_by_test_id("token-dialog")).to_have_count(0)

    page.get_by_test_id("forget-token").click()
    page.reload()
    expect(page.get_by_test_id("token-dialog")).to_be_visible()


def test_a_token_in_the_url_is_used_once_and_removed_from_it(
    guarded: LiveServer, open_page: Callable[..., Page]
) -> None:
    page = open_page(f"{guarded.base_url}/workflows/fan-out?token={TOKEN}")
    expect(page.get_by_test_id("workflow-page")).to_be_visible()
    expect(page).to_have_url(guarded.base_url + "/workflows/fan-out")
    expect(page.locator('.tr-node[data-step-path="plan-delivery"]')).to_be_visible()
    expect(page.get_by_test_id("token-dialog")).to_have_count(0)


def test_canceling_the_prompt_shows_an_error_page(
    guarded: LiveServer, open_page: Callable[..., Page]
) -> None:
    page = open_page(guarded.base_url + "/")
    page.get_by_test_id("token-dialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("alert")).to_contain_text("Authentication was canceled")
