"""The operator's inventory forecast in Debian's Chromium, on the demo's replayed week:
reached from the console's navigation, one chart per placement drawn offline, the
campaigns that will under-deliver with their reason, the same figures as the API's.

Screenshots land in tests/artifacts/screenshots/ (console-forecast*.png).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx

from tests.browser.test_dashboard_journeys import PHONE, shot
from tests.browser.test_demo_journey import OPERATOR, _sign_in
from tests.servers import base_env, running_server
from tests.waiting import wait_for

DEMO_ARGS = ("--visits-per-day", "100", "--live-visits-per-second", "0")  # no live traffic: the figures hold still


def _operator_key(log: Path) -> str:
    found = re.search(r"operator key:\s+(ssk_\S+)", log.read_text())
    assert found, "the demo printed no operator key"
    return found.group(1)


def test_the_operator_reads_the_inventory_forecast(tmp_path: Path, page_and_outside: tuple[Any, list[str]]) -> None:
    page, outside = page_and_outside
    log = tmp_path / "demo.log"
    with running_server(
        base_env(tmp_path / "data"), command="demo", log=log, args=DEMO_ARGS, startup_seconds=180
    ) as url:
        answer = httpx.get(
            f"{url}/v1/forecasts/inventory", headers={"Authorization": f"Bearer {_operator_key(log)}"}, timeout=60
        ).json()
        assert answer["has_history"] is True and answer["history"]["sampled_days"] == 7  # the demo's replayed week
        _sign_in(page, url, *OPERATOR)
        page.click("nav a:has-text('Forecast')")
        page.wait_for_load_state()
        assert page.url.endswith("/console/forecast")
        assert page.locator("h1").inner_text() == "Inventory forecast"
        placements = answer["placements"]
        charts = page.locator(".chart")
        assert charts.count() == len(placements)
        for n in range(len(placements)):  # each drawn by Plotly, loaded from this server
            charts.nth(n).locator(".main-svg").first.wait_for()
        sold = sum(p["sold"] for p in placements)
        assert page.locator("[data-figure=sold]").inner_text() == f"{sold:,}"
        under = [c for c in answer["campaigns"] if c["verdict"] == "will_under_deliver"]
        assert page.locator("[data-figure=under-delivering]").inner_text() == str(len(under))
        rows = page.locator("#under-delivering tbody tr[data-campaign]")
        assert rows.count() == len(under)
        for campaign in under:
            row = page.locator(f"#under-delivering tr[data-campaign='{campaign['id']}']")
            assert campaign["name"] in row.inner_text()
            assert row.locator("[data-reason]").get_attribute("data-reason") == campaign["reason"]
        first = placements[0]
        card = page.locator(f"#placement-{first['id']}")
        assert first["name"] in card.locator("h2").inner_text()
        card.locator(".chart-tabs button", has_text="Sold").click()
        assert card.locator(".chart-tabs button", has_text="Sold").get_attribute("aria-pressed") == "true"
        card.locator("details summary").click()
        days = card.locator("table.forecast-days tbody tr")
        assert days.count() == 30
        assert days.first.locator("td").nth(4).inner_text() == f"{first['days'][0]['sold']:,}"
        card.locator("details summary").click()
        shot(page, "console-forecast")
        page.set_viewport_size(PHONE)
        svg = charts.first.locator(".main-svg").first
        wait_for(
            lambda: (svg.bounding_box() or {"width": 1e9})["width"] <= PHONE["width"],
            10,
            "the chart redrawn to the phone's width",
        )  # Plotly's charts are responsive
        shot(page, "console-forecast-phone")
    assert outside == []  # everything from this server: Plotly from /static/vendor
