"""Campaign states in Debian's Chromium against the real server: a prepaid brand with an
empty wallet sees on its home and campaign page that its campaign is out of funds (not
"live") and why; a campaign starting tomorrow whose only creative was rejected reads
"creative rejected"; once the operator records a top-up the campaign reads "live"; the
operator's delivery health names the same states. axe-core runs on every page.

Screenshots: tests/artifacts/screenshots/status-*.png.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.browser.accessibility import assert_accessible
from tests.browser.network import BOSS, BRAND, harbor_tea
from tests.browser.test_dashboard_journeys import PHONE, _sign_in, shot
from tests.servers import BOOTSTRAP, base_env, running_server

DESKTOP = {"width": 1280, "height": 900}


def _campaign(api: httpx.Client, url: str, brand: str, name: str, start: datetime, **extra: Any) -> tuple[str, str]:
    made = api.post(
        "/v1/campaigns",
        json={
            "advertiser_id": brand,
            "name": name,
            "budget_total": 12000,
            "budget_daily": 500,
            "start": start.isoformat(),
            "end": (start + timedelta(days=30)).isoformat(),
        }
        | extra,
    )
    assert made.status_code == 201, made.text
    campaign = made.json()["id"]
    line_item = api.post(
        "/v1/line-items",
        json={"campaign_id": campaign, "name": "Home hero", "pricing": "cpm", "bid": 6, "placements": ["home-hero"]},
    )
    assert line_item.status_code == 201, line_item.text
    creative = api.post(
        "/v1/creatives",
        json={
            "advertiser_id": brand,
            "line_item_id": line_item.json()["id"],
            "format": "banner",
            "size": "300x250",
            "image_url": f"{url}/static/favicon.svg",
            "click_url": "https://harbortea.example/tea",
        },
    )
    assert creative.status_code == 201, creative.text
    return campaign, creative.json()["id"]


def _network(api: httpx.Client, url: str) -> dict[str, str]:
    brand = harbor_tea(api, billing_mode="prepaid")
    now = datetime.now(UTC).replace(microsecond=0)
    running, _ = _campaign(api, url, brand, "Green tea launch", now - timedelta(days=1))
    tomorrow, creative = _campaign(api, url, brand, "Winter blend", now + timedelta(days=1))
    assert (
        api.patch(
            f"/v1/creatives/{creative}", json={"status": "rejected", "review_note": "The logo is too small to read"}
        ).status_code
        == 200
    )
    paused, _ = _campaign(api, url, brand, "Chai preview", now - timedelta(days=3), status="paused")
    return {"brand": brand, "running": running, "tomorrow": tomorrow, "paused": paused}


def _badge(page: Any, campaign: str) -> str:
    return str(page.locator(f"tr:has(a[href='/brand/campaigns/{campaign}']) [data-state]").get_attribute("data-state"))


def test_a_brand_sees_what_its_campaigns_are_and_why(tmp_path: Path, page_and_outside: tuple[Any, list[str]]) -> None:
    page, outside = page_and_outside
    with running_server(base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)) as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        made = _network(api, url)
        _sign_in(page, url, BRAND)
        page.goto(f"{url}/brand")
        assert {_badge(page, made[k]) for k in ("running", "tomorrow", "paused")} == {
            "out_of_funds",
            "creative_rejected",
            "paused",
        }
        assert _badge(page, made["running"]) == "out_of_funds"  # not "live", with nothing in the wallet
        assert _badge(page, made["tomorrow"]) == "creative_rejected"  # not "live", nor "scheduled"
        notice = page.locator("[data-funds=funds_used_up]")
        assert "Delivery stopped." in notice.inner_text() and "cannot start" in notice.inner_text()
        assert "days of spend left" not in page.content()
        shot(page, "status-home-out-of-funds")
        assert_accessible(page)

        page.click(f"a[href='/brand/campaigns/{made['running']}']")
        page.wait_for_load_state()
        assert page.locator("h1 [data-state]").inner_text() == "Out of funds"
        line = page.locator("[data-state-line]").inner_text()
        assert "The prepaid funds are used up" in line and "Top up the wallet" in line
        assert page.locator("[data-funds]").count() == 0  # the state line says it, once
        shot(page, "status-campaign-out-of-funds")
        assert_accessible(page)

        page.goto(f"{url}/brand/campaigns/{made['tomorrow']}")
        assert page.locator("h1 [data-state]").inner_text() == "Creative rejected"
        assert "The logo is too small to read" in page.locator("[data-state-line]").inner_text()
        shot(page, "status-campaign-creative-rejected")
        assert_accessible(page)

        # The operator records the brand's bank transfer: the campaign is live at once.
        assert (
            api.post(
                f"/v1/advertisers/{made['brand']}/top-ups", json={"amount": "500", "reference": "BANK-HT-1"}
            ).status_code
            == 201
        )
        page.goto(f"{url}/brand/campaigns/{made['running']}")
        assert page.locator("h1 [data-state]").inner_text() == "Live"
        assert page.locator("[data-funds]").count() == 0
        shot(page, "status-campaign-live")
        assert_accessible(page)

        page.set_viewport_size(PHONE)
        page.goto(f"{url}/brand")
        assert _badge(page, made["running"]) == "live"
        shot(page, "status-home-phone")
        assert_accessible(page)
        page.set_viewport_size(DESKTOP)

        page.context.clear_cookies()  # signed out: the operator signs in next
        _sign_in(page, url, BOSS)
        page.goto(f"{url}/console/health")
        assert (
            page.locator(f"tr[data-campaign='{made['tomorrow']}']").get_attribute("data-state") == "creative_rejected"
        )
        running_row = page.locator(f"tr[data-campaign='{made['running']}']")
        assert running_row.get_attribute("data-state") == "live"
        assert page.locator(f"tr[data-campaign='{made['tomorrow']}'] [data-pace]").count() == 0  # no pace unless live
        shot(page, "status-console-health")
        assert_accessible(page)
    assert outside == []
