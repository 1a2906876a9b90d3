"""Real headless Chromium (Debian's package) driven by Playwright, and a live server.

`live_server` serves the test's application on 127.0.0.1 in a thread; `browser_page(viewport)`
opens a page of a tablet's size in a fresh browser context.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TABLET_PORTRAIT = {"width": 768, "height": 1024}
TABLET_LANDSCAPE = {"width": 1180, "height": 820}


class LiveServer:
    def __init__(self, app: Any) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(app: Any) -> Iterator[LiveServer]:
    app.config.update(SERVER_NAME=None, WTF_CSRF_SSL_STRICT=False)
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                     headless=True)
        yield browser
        browser.close()


@pytest.fixture
def tablet(chromium: Any) -> Iterator[Any]:
    """A touch-enabled browser context at a tablet's portrait size."""
    context = chromium.new_context(viewport=TABLET_PORTRAIT, has_touch=True,
                                   device_scale_factor=1, locale="zh-CN")
    context.set_default_timeout(15_000)
    yield context
    context.close()


def sign_in(page: Any, base_url: str, username: str,
            password: str = "correct horse battery") -> None:
    """Sign in through the real page."""
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/cases")


def draw_signature(page: Any, selector: str) -> None:
    """Draw a stroke with the pointer across the canvas at ``selector`` (a signature pad)."""
    canvas = page.locator(selector).first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 30)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 15, box["y"] + 30 + (step % 3) * 20)
    page.mouse.up()
