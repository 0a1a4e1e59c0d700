"""Fixtures for the Studio's browser tests: Debian's Chromium driven by Playwright, a live
uvicorn server with the examples app (plus the test workflows) on a SQLite file, and
screenshots saved to $TREADLE_ARTIFACTS (default tests/studio/artifacts/)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the repository's `examples` package
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import (  # noqa: E402
    Browser,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)

from examples import make_app  # noqa: E402
from server.live_server import LiveServer  # noqa: E402
from studio.workflows import (  # noqa: E402
    Gate,
    failing_workflow,
    form_lab_workflow,
    gated_workflow,
)
from treadle import Treadle  # noqa: E402
from treadle.storage import SQLiteStore  # noqa: E402

CHROMIUM = os.environ.get("TREADLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("TREADLE_ARTIFACTS") or Path(__file__).parent / "artifacts")
VIEWPORT: ViewportSize = {"width": 1440, "height": 900}
TIMEOUT_MS = 15_000  # the longest any UI change may take (a live server is a real peer)


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, which would break asyncio tests collected after these modules.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: run scripts/chromium.sh (installs Debian's chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)  # CI must run the browser tests, never skip them
        pytest.skip(message)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def gate() -> Iterator[Gate]:
    gate = Gate()
    yield gate
    gate.open()  # a run still held at the gate ends before its server stops


@pytest.fixture
def treadle_app(tmp_path: Path, gate: Gate) -> Treadle:
    app = make_app(SQLiteStore(str(tmp_path / "runs.db")))
    app.add_workflow(gated_workflow(gate))
    app.add_workflow(form_lab_workflow())
    app.add_workflow(failing_workflow())
    return app


@pytest.fixture
def live(treadle_app: Treadle) -> Iterator[LiveServer]:
    with LiveServer(treadle_app, studio=True) as server:
        yield server


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """`open_page(url, color_scheme="light")`: a page in a fresh browser context. Any uncaught
    error in the page's scripts fails the test."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_(url: str, *, color_scheme: Literal["light", "dark"] = "light") -> Page:
        context = browser.new_context(
            viewport=VIEWPORT, color_scheme=color_scheme, accept_downloads=True
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not errors, f"uncaught errors in the Studio: {errors}"


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """Save a full-window screenshot as <artifacts>/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), animations="disabled", caret="hide")
        return path

    return take
