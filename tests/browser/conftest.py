"""Debian's Chromium driven by Playwright, headless, with the flags this machine needs.

Every request the page makes is recorded; anything not on the loopback is refused and
reported, so a test can prove a page works offline (no CDN).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.databases import missing

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        missing("Debian's chromium is not installed (apt-get install chromium)")
    return path


class OutsideRequests(list[str]):
    """URLs the page tried to load from outside this machine."""


@pytest.fixture
def page_and_outside() -> Iterator[tuple[object, OutsideRequests]]:
    from playwright.sync_api import Route, sync_playwright

    outside = OutsideRequests()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})

        def guard(route: Route) -> None:
            host = urlsplit(route.request.url).hostname or ""
            if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        try:
            yield page, outside
        finally:
            browser.close()
