"""Every page an operator and a brand can reach in the demo, checked by axe-core in Chromium.

The test walks the pages as a person would, by following the links on each (same origin,
one visit per path and query shape), so a new page is checked the day a link leads to it.
A serious or critical violation anywhere fails the test with the page and the rule.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shelfspace.sim.demo_logins import DEMO_PASSWORD
from tests.browser.accessibility import describe, violations
from tests.browser.test_demo_journey import DESKTOP, _sign_in
from tests.servers import base_env, running_server

DEMO_ARGS = ("--history-days", "2", "--visits-per-day", "100", "--live-visits-per-second", "0")
# Downloads, sign-out and the API's own documents are not pages to check.
SKIPPED = re.compile(r"(\.csv|\.pdf|\.txt|\.json)$|/logout|/sign-out|^/v1/|/openapi|/metrics")
MAX_PAGES = 120


def _shape(url: str) -> str:
    """One visit per path shape: ids become `{id}` and a query keeps its names, not values."""
    parts = urlsplit(url)
    path = re.sub(r"/[a-z]+_[A-Za-z0-9]{6,}", "/{id}", parts.path)
    names = sorted(p.split("=")[0] for p in parts.query.split("&") if p)
    return path + ("?" + "&".join(names) if names else "")


def _walk(page: Any, url: str, start: str) -> dict[str, str]:
    """Follow same-origin links from `start`; every page's violations, by URL."""
    found: dict[str, str] = {}
    queue, seen = [url + start], {_shape(url + start)}
    visited = 0
    while queue and visited < MAX_PAGES:
        target = queue.pop(0)
        response = page.goto(target)
        page.wait_for_load_state()
        visited += 1
        if response is None or response.status >= 400 or not page.url.startswith(url):
            continue
        bad = violations(page)
        if bad:
            found[page.url] = describe(bad)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            href = href.split("#")[0]
            if not href.startswith(url) or SKIPPED.search(urlsplit(href).path) or "format=pdf" in href:
                continue
            shape = _shape(href)
            if shape not in seen:
                seen.add(shape)
                queue.append(href)
    assert visited > 10, f"the walk from {start} reached only {visited} pages"
    print(f"axe checked {visited} pages from {start}")
    return found


def test_every_page_of_the_console_and_a_brand_passes_axe(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, _ = page_and_outside
    page.set_viewport_size(DESKTOP)
    with running_server(
        base_env(tmp_path / "data"), command="demo", log=tmp_path / "demo.log", args=DEMO_ARGS, startup_seconds=180
    ) as url:
        found: dict[str, str] = {}
        for email, start in (("operator@freshmart.example", "/console"), ("brightbean@brands.example", "/brand")):
            page.context.clear_cookies()
            _sign_in(page, url, email, DEMO_PASSWORD)
            found |= _walk(page, url, start)
        for public in ("/login", "/signup", "/password/forgot"):
            page.context.clear_cookies()
            response = page.goto(url + public)
            assert response is not None and response.status == 200, public
            bad = violations(page)
            if bad:
                found[page.url] = describe(bad)
    assert not found, "\n\n".join(f"{where}\n{what}" for where, what in found.items())
