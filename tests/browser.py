"""The one Playwright browser of the test session (Debian's Chromium), shared by every
browser test: Playwright's sync API runs an event loop in this thread, so a second
`sync_playwright()` while this one is open fails ("Sync API inside the asyncio loop")."""

import os
from pathlib import Path

import pytest

# Django's ORM calls from a browser test's body are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
