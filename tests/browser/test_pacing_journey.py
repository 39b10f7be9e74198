"""The pacing panel in Debian's Chromium against the real server, offline, under the pages'
CSP: the issue's campaign (12,000 with 500 a day, 8.36 spent in nine days) reads that it
under-delivers, what it will spend at this rate, and, once the panel's script has asked
the forecast, what bid would win against the rival that outbids it. axe-core checks the
page at desktop and phone width.

The nine days of spend are written into the server's rollups, and a week of sampled
shoppers into its request log, as the reports and forecast journeys write them: a server
cannot be sent back in time. Screenshots: tests/artifacts/screenshots/pacing/.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from shelfspace.config import Settings
from shelfspace.db.engine import make_engine
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.reporting.models import RollupDay
from tests.browser.accessibility import assert_accessible
from tests.browser.test_content_security_policy import Violations
from tests.browser.test_dashboard_journeys import PASSWORD, PHONE, _sign_in
from tests.browser.test_forecast_journey import _history
from tests.servers import BOOTSTRAP, base_env, running_server

SHOTS = Path(__file__).parent.parent / "artifacts" / "screenshots" / "pacing"
DESKTOP = {"width": 1280, "height": 900}
BRAND = "tea@harbortea.example"
READY = "() => document.querySelector('[data-pacing-forecast]')?.dataset.state === 'ready'"


def shot(page: Any, name: str, element: str | None = None) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    target = page.locator(element) if element else page
    target.screenshot(path=str(SHOTS / f"{name}.png"), **({} if element else {"full_page": True}))


def _campaign(api: httpx.Client, url: str, advertiser: str, name: str, bid: float, start: datetime) -> str:
    made = api.post(
        "/v1/campaigns",
        json={
            "advertiser_id": advertiser,
            "name": name,
            "budget_total": 12000,
            "budget_daily": 500,
            "start": start.isoformat(),
            "end": (start + timedelta(days=30)).isoformat(),
        },
    )
    assert made.status_code == 201, made.text
    line_item = api.post(
        "/v1/line-items",
        json={
            "campaign_id": made.json()["id"],
            "name": "Home hero",
            "pricing": "cpm",
            "bid": bid,
            "placements": ["home-hero"],
        },
    )
    assert line_item.status_code == 201, line_item.text
    creative = api.post(
        "/v1/creatives",
        json={
            "advertiser_id": advertiser,
            "line_item_id": line_item.json()["id"],
            "format": "banner",
            "size": "300x250",
            "image_url": f"{url}/static/favicon.svg",
            "click_url": f"https://{name.split()[0].lower()}.example/",
        },
    )
    assert creative.status_code == 201, creative.text
    return str(made.json()["id"])


def _spent(data: Path, advertiser: str, campaign: str, first: datetime, days: int, a_day: int) -> None:
    """`days` days of delivery as the rollups write them."""
    engine = make_engine(Settings(data_dir=data).sqlalchemy_url())
    try:
        with session_scope(make_sessionmaker(engine)) as db:
            for n in range(days):
                db.add(
                    RollupDay(
                        day=(first.date() + timedelta(days=n)).isoformat(),
                        advertiser_id=advertiser,
                        campaign_id=campaign,
                        line_item_id="li",
                        creative_id="cr",
                        placement_id="home-hero",
                        channel="web",
                        sku="",
                        impressions=2,
                        spend_micros=a_day,
                    )
                )
    finally:
        engine.dispose()


def test_a_brand_sees_its_campaign_under_deliver_and_what_bid_would_win(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    violations = Violations(page)
    data = tmp_path / "data"
    tz = ZoneInfo(Settings(data_dir=data).timezone)
    start = datetime.combine(datetime.now(UTC).astimezone(tz).date() - timedelta(days=9), time(0), tz)
    env = base_env(data, SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP, SHELFSPACE_REQUEST_SAMPLE_PERCENT="100")
    with running_server(env, log=tmp_path / "server.log") as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        assert (
            api.post(
                "/v1/placements",
                json={
                    "id": "home-hero",
                    "name": "Home page hero",
                    "channel": "web",
                    "format": "banner",
                    "sizes": ["300x250"],
                    "floor_cpm": 2.5,
                },
            ).status_code
            == 201
        )
        brand = api.post("/v1/advertisers", json={"name": "Harbor Tea", "domain": "harbortea.example"}).json()["id"]
        rival = api.post("/v1/advertisers", json={"name": "Rival Brew", "domain": "rival.example"}).json()["id"]
        assert (
            api.post(
                "/v1/users", json={"email": BRAND, "password": PASSWORD, "role": "advertiser", "advertiser_id": brand}
            ).status_code
            == 201
        )
        _campaign(api, url, rival, "Rival coffee", 20, start)
        campaign = _campaign(api, url, brand, "Winter tea", 3, start)
        _spent(data, brand, campaign, start, 9, 928_889)  # 8.36 in nine days
        _history(data)

        _sign_in(page, url, BRAND)
        page.goto(f"{url}/brand/campaigns/{campaign}")
        panel = page.locator("section.pacing")
        assert panel.get_attribute("data-pacing") == "under_delivering"
        assert panel.locator(".pacing-figure").first.inner_text().split("\n")[1] == "$8.36 of $12,000.00"
        assert "0.07% used" in panel.inner_text()
        assert "Spent today: $0.00 of the day's target of $500.00 (its daily budget)." in panel.inner_text()
        suggestion = panel.locator("[data-pacing-suggestion]")
        assert "Under-delivering. At this rate it will spend about $" in suggestion.inner_text()
        assert "Raise the bid, or widen the targeting" in suggestion.inner_text()

        page.wait_for_function(READY, timeout=60_000)  # the script asked the forecast and showed its answer
        answer = panel.locator("[data-pacing-answer]").inner_text()
        assert "The forecast for “Home hero” at its current settings" in answer
        assert "Other line items rank above yours in 100.0% of the auctions it enters." in answer
        assert "would win three in four of those." in answer
        shot(page, "campaign-under-delivering")
        shot(page, "pacing-panel", "section.pacing")
        assert_accessible(page)

        page.set_viewport_size(PHONE)
        page.reload()
        page.wait_for_function(READY, timeout=60_000)
        wide = page.evaluate("""() => [...document.querySelectorAll('section.pacing, section.pacing *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth).map(e => e.tagName)""")
        assert wide == []  # the panel fits the phone's width
        shot(page, "pacing-panel-phone", "section.pacing")
        assert_accessible(page)
        page.set_viewport_size(DESKTOP)
    assert violations == []
    assert outside == []
