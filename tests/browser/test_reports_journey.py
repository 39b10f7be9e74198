"""A brand's reports in Debian's Chromium against the real server, in a British network
(pounds, Europe/London): any range of days compared with the one before, a mistaken range
named beside its field, a table sorted, filtered and paged by its links alone, a CSV whose
first line is its header with its terms beside it, and the media kit without a false 0.00%.
axe-core checks every page visited.

Screenshots: tests/artifacts/screenshots/reports/.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from shelfspace.config import Settings
from shelfspace.db.engine import make_engine
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.reporting.models import RollupDay
from tests.browser.accessibility import assert_accessible
from tests.browser.test_dashboard_journeys import PASSWORD, PHONE, _sign_in
from tests.servers import BOOTSTRAP, base_env, running_server

SHOTS = Path(__file__).parent.parent / "artifacts" / "screenshots" / "reports"
DESKTOP = {"width": 1280, "height": 900}
DAYS = 40


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _delivered(data: Path, advertiser_id: str, campaign_id: str, today: date) -> None:
    """DAYS days of delivery written as the rollups write them, the nearer days busier."""
    engine = make_engine(Settings(data_dir=data).sqlalchemy_url())
    try:
        with session_scope(make_sessionmaker(engine)) as db:
            for back in range(DAYS):
                for placement, share in (("home-hero", 3), ("search-top", 1)):
                    db.add(
                        RollupDay(
                            day=(today - timedelta(days=back)).isoformat(),
                            advertiser_id=advertiser_id,
                            campaign_id=campaign_id,
                            line_item_id="li",
                            creative_id="cr",
                            placement_id=placement,
                            channel="web",
                            sku="",
                            impressions=(2000 - 30 * back) * share,
                            viewable_impressions=900 * share,
                            clicks=(25 - back // 2) * share,
                            spend_micros=(9_870_000 - 100_000 * back) * share,
                            invalid_impressions=3,
                            invalid_viewable_impressions=0,
                            invalid_clicks=1,
                        )
                    )
    finally:
        engine.dispose()


def _rows(page: Any, table: str) -> list[str]:
    return [
        row.inner_text().split("\t")[0].strip() for row in page.locator(f"table[data-table={table}] tbody tr").all()
    ]


def test_a_brand_reads_compares_sorts_filters_and_exports_its_results(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    data = tmp_path / "data"
    env = base_env(
        data,
        SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP,
        SHELFSPACE_TIMEZONE="Europe/London",
        SHELFSPACE_CURRENCY="GBP",
        SHELFSPACE_COUNTRY="GB",
    )
    today = datetime.now(ZoneInfo("Europe/London")).date()
    with running_server(env) as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        for placement in (
            {
                "id": "home-hero",
                "name": "Home hero",
                "channel": "web",
                "format": "banner",
                "sizes": ["1200x400"],
                "floor_cpm": 2.5,
            },
            {
                "id": "search-top",
                "name": "Search results, top",
                "channel": "search",
                "format": "sponsored_product",
                "floor_cpm": 1,
            },
            {
                "id": "app-banner",
                "name": "App banner",
                "channel": "app",
                "format": "banner",
                "sizes": ["320x50"],
                "floor_cpm": 2,
            },
        ):
            assert api.post("/v1/placements", json=placement).status_code == 201
        brand = api.post("/v1/advertisers", json={"name": "Harbor Tea", "domain": "harbortea.example"}).json()
        assert (
            api.post(
                "/v1/users",
                json={
                    "email": "tea@harbortea.example",
                    "password": PASSWORD,
                    "role": "advertiser",
                    "advertiser_id": brand["id"],
                },
            ).status_code
            == 201
        )
        campaign = api.post(
            "/v1/campaigns",
            json={
                "advertiser_id": brand["id"],
                "name": "Winter tea",
                "budget_total": 12000,
                "budget_daily": 500,
                "start": f"{today - timedelta(days=DAYS)}T00:00:00Z",
                "end": f"{today + timedelta(days=31)}T00:00:00Z",
            },
        ).json()
        _delivered(data, brand["id"], campaign["id"], today)

        page.set_viewport_size(DESKTOP)
        _sign_in(page, url, "tea@harbortea.example")
        assert "£" in page.locator(".kpis").inner_text()
        assert "Days and times in Europe/London" in page.locator(".period-note").inner_text()
        assert_accessible(page)
        shot(page, "brand-home")

        page.click("a:text('Winter tea')")
        page.wait_for_load_state()
        campaign_url = page.url.split("?")[0]
        flight = page.locator(".page-head p.muted").first.inner_text()
        assert f"to {(today + timedelta(days=30)).strftime('%d %b %Y')}" in flight  # ends at midnight: the day before
        # Any range: a fortnight, compared with the fortnight before it.
        first, last = today - timedelta(days=13), today
        page.fill("form[aria-label=Dates] input[name=from]", first.isoformat())
        page.fill("form[aria-label=Dates] input[name=to]", last.isoformat())
        page.click("form[aria-label=Dates] button[type=submit]")
        page.wait_for_load_state()
        note = page.locator(".period-note").inner_text()
        assert note.startswith(
            f"{first.strftime('%d %b %Y')} – {last.strftime('%d %b %Y')}, compared with "
            f"{(first - timedelta(days=14)).strftime('%d %b %Y')}"
        ), note
        assert "▲" in page.locator(".kpi", has_text="Impressions").inner_text()  # busier than the fortnight before
        cpm = page.locator(".kpi", has_text="CPM")
        assert "▼" in cpm.inner_text() and cpm.locator(".delta.up").count() == 1  # a cheaper CPM is good news
        assert _rows(page, "by_day")[0] == today.isoformat() and len(_rows(page, "by_day")) == 14
        page.wait_for_selector(".chart .main-svg", timeout=10000)
        assert_accessible(page)
        shot(page, "campaign-range")

        # Sorted by a header's link, then filtered, without a line of our JavaScript needed.
        assert _rows(page, "by_placement") == ["Home hero", "Search results, top"]  # the most spent first
        assert (
            page.locator("table[data-table=by_placement] th[aria-sort=descending]")
            .text_content()
            .strip()
            .startswith("Spend")
        )
        page.click("table[data-table=by_placement] th a:text('Spend')")
        page.wait_for_load_state()
        assert _rows(page, "by_placement") == ["Search results, top", "Home hero"]
        assert (
            page.locator("table[data-table=by_placement] th[aria-sort=ascending]")
            .text_content()
            .strip()
            .startswith("Spend")
        )
        page.click("table[data-table=by_placement] th a:text('Placement')")
        page.wait_for_load_state()
        assert _rows(page, "by_placement") == ["Home hero", "Search results, top"]  # A to Z
        assert page.locator("form[aria-label='Filter placements']").count() == 0  # two rows: nothing to filter
        page.fill("form[aria-label='Filter days'] input[type=search]", today.isoformat())
        page.click("form[aria-label='Filter days'] button[type=submit]")
        page.wait_for_load_state()
        assert _rows(page, "by_day") == [today.isoformat()]
        assert "filtered from 14" in page.locator("nav[aria-label='Pages of days']").inner_text()
        assert "from=" in page.url and "by_placement_sort=name" in page.url  # the period and the other sort stay
        assert _rows(page, "by_placement") == ["Home hero", "Search results, top"]
        page.locator("#by_day").scroll_into_view_if_needed()
        shot(page, "campaign-sorted-filtered")

        page.goto(f"{campaign_url}?days=90")
        assert page.locator("nav[aria-label='Pages of days']").inner_text().startswith("1–25 of 40")
        page.click("nav[aria-label='Pages of days'] a[rel=next]")
        page.wait_for_load_state()
        assert len(_rows(page, "by_day")) == 15 and "by_day_page=2" in page.url

        # The export: its first line is its header; its terms are linked from it and the page.
        with page.expect_download() as download:
            page.click("#by_day a[data-download]")
        assert download.value.suggested_filename.endswith(
            f"-day-{today - timedelta(days=89)}-to-{today}-Europe-London.csv"
        )
        text = Path(download.value.path()).read_text()
        assert text.splitlines()[0].startswith("day,impressions,")
        assert len(list(csv.DictReader(io.StringIO(text)))) == DAYS
        page.click("a:text('the report terms (text)')")
        page.wait_for_load_state()
        terms = page.locator("body").inner_text()
        assert "Sales are credited up to 14 days after a click" in terms and "Time zone: Europe/London" in terms
        shot(page, "report-terms")

        # A range the brand cannot have: said beside the field, the page still there.
        page.goto(campaign_url)
        page.fill("form[aria-label=Dates] input[name=from]", today.isoformat())
        page.fill("form[aria-label=Dates] input[name=to]", (today - timedelta(days=3)).isoformat())
        page.click("form[aria-label=Dates] button[type=submit]")
        page.wait_for_load_state()
        assert "comes before the first" in page.locator("#to-error").inner_text()
        assert page.locator("input[name=to][aria-invalid=true]").count() == 1
        assert_accessible(page)
        shot(page, "campaign-range-error")
        page.set_viewport_size(PHONE)
        page.goto(f"{campaign_url}?days=7")
        page.wait_for_selector(".chart .main-svg", timeout=10000)
        shot(page, "campaign-phone")
        page.set_viewport_size(DESKTOP)

        page.goto(f"{url}/brand/creatives")
        assert_accessible(page)
        shot(page, "creatives")
        page.goto(f"{url}/media-kit")
        assert "no data yet" in page.locator("tr", has_text="App banner").inner_text()  # nothing served there yet
        assert "0.00%" not in page.locator("body").inner_text()
        assert "£2.50" in page.locator("table").first.inner_text()
        assert_accessible(page)
        shot(page, "media-kit")
    assert outside == [], f"pages reached outside the machine: {outside}"
