"""Real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright; nothing is downloaded) against
a real uvicorn serving the mock. Screenshots are kept under reports/browser/ (git-ignored)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mock_server.app import create_app
from mock_server.fixtures import LiveServer

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[2] / "reports" / "browser"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def served() -> Iterator[tuple[Any, str]]:
    """A fresh mock on a free port for one test: (app, base URL)."""
    app = create_app(consumers=300)
    server = LiveServer(app)
    server.start()
    try:
        yield app, f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


@pytest.fixture
def page(browser: Any, served: tuple[Any, str], request: pytest.FixtureRequest) -> Iterator[Any]:
    """A new page (1400x1000) for the test's mock (closed before the mock stops); its console errors
    fail the test; a screenshot is kept at the end."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.set_default_timeout(30_000)
    try:
        yield opened
    finally:
        SHOTS.mkdir(parents=True, exist_ok=True)
        shot = SHOTS / f"{request.node.name}.png"
        opened.screenshot(path=str(shot), full_page=getattr(request.node, "full_page", True))
        print(f"\nscreenshot: {shot}")
        context.close()
    assert not errors, f"the page logged errors: {errors}"
