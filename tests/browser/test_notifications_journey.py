"""Notifications in Debian's Chromium against the real server: the operator rejects a brand's
creative in the review queue; the brand's person sees the bell's count on its pages, reads
the notice with the reason and the way to replace the creative, marks it read, and chooses
which notices it gets in the app and by e-mail. axe-core runs on every page.

Screenshots: tests/artifacts/screenshots/notify-*.png.
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
REASON = "The logo is too small to read"


def _network(api: httpx.Client, url: str) -> dict[str, str]:
    brand = harbor_tea(api)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    campaign = api.post(
        "/v1/campaigns",
        json={
            "advertiser_id": brand,
            "name": "Winter blend",
            "budget_total": 12000,
            "budget_daily": 500,
            "start": start.isoformat(),
            "end": (start + timedelta(days=30)).isoformat(),
        },
    ).json()["id"]
    line_item = api.post(
        "/v1/line-items",
        json={"campaign_id": campaign, "name": "Home hero", "pricing": "cpm", "bid": 6, "placements": ["home-hero"]},
    ).json()["id"]
    key = api.post("/v1/api-keys", json={"role": "advertiser", "advertiser_id": brand}).json()["key"]
    creative = httpx.post(
        f"{url}/v1/creatives",
        headers={"Authorization": f"Bearer {key}"},
        json={
            "line_item_id": line_item,
            "format": "banner",
            "size": "300x250",
            "image_url": f"{url}/static/favicon.svg",
            "click_url": "https://harbortea.example/tea",
        },
    )
    assert creative.status_code == 201 and creative.json()["status"] == "pending", creative.text
    return {"brand": brand, "campaign": campaign, "creative": creative.json()["id"]}


def test_a_rejection_reaches_the_brand_and_it_chooses_its_notices(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    with running_server(base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)) as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        made = _network(api, url)

        # The operator rejects the creative in the review queue, saying why.
        _sign_in(page, url, BOSS)
        page.goto(f"{url}/console/review")
        form = page.locator(f"form[action='/console/review/creatives/{made['creative']}']")
        form.locator("textarea[name=reason]").fill(REASON)
        page.once("dialog", lambda dialog: dialog.accept())  # rejecting asks first
        form.locator("button[value=reject]").click()
        page.wait_for_load_state()
        assert page.locator(f"form[action='/console/review/creatives/{made['creative']}']").count() == 0
        page.context.clear_cookies()

        # The brand's person: the bell counts one on every page.
        _sign_in(page, url, BRAND)
        page.goto(f"{url}/brand")
        bell = page.locator("a.bell")
        assert bell.get_attribute("data-unread") == "1" and bell.locator(".count").inner_text().startswith("1")
        shot(page, "notify-home-bell")
        assert_accessible(page)

        bell.click()
        page.wait_for_load_state()
        assert page.url.endswith("/brand/notifications")
        item = page.locator("li[data-kind=creative_rejected]")
        assert REASON in item.inner_text() and "Winter blend" in item.inner_text()
        replace = item.get_by_role("link", name="Replace the creative")
        assert replace.get_attribute("href") == f"/brand/creatives/new?replaces={made['creative']}"
        shot(page, "notify-notifications")
        assert_accessible(page)

        replace.click()  # the link leads to the replacement form of that creative
        page.wait_for_load_state()
        assert f"replaces={made['creative']}" in page.url and page.locator("h1").count() == 1
        page.go_back()
        page.wait_for_load_state()

        page.locator("li[data-kind=creative_rejected]").get_by_role("button", name="Mark read").click()
        page.wait_for_load_state()
        assert "marked read" in page.locator(".flash").inner_text()
        assert page.locator("a.bell").get_attribute("data-unread") == "0"
        assert page.locator("a.bell .count").count() == 0
        assert page.locator("li[data-kind=creative_rejected]").get_attribute("data-read") == "yes"
        shot(page, "notify-notifications-read")
        assert_accessible(page)

        # Which notices, in the app and by e-mail.
        page.get_by_role("link", name="Choose which you get").click()
        page.wait_for_load_state()
        assert page.get_by_label("Creative rejected by e-mail").is_checked()  # the defaults
        assert not page.get_by_label("Budget running low by e-mail").is_checked()
        page.get_by_label("Creative approved in the app").uncheck()
        page.get_by_label("Budget running low by e-mail").check()
        shot(page, "notify-settings")
        assert_accessible(page)
        page.get_by_role("button", name="Save").click()
        page.wait_for_load_state()
        assert "saved" in page.locator(".flash").inner_text()
        assert not page.get_by_label("Creative approved in the app").is_checked()
        assert page.get_by_label("Budget running low by e-mail").is_checked()
        assert_accessible(page)

        page.set_viewport_size(PHONE)
        page.goto(f"{url}/brand/notifications")
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        shot(page, "notify-notifications-phone")
        assert_accessible(page)
        page.click("label.nav-button")  # the menu open: the bell stays beside it, on the first row
        bell_box, menu_box = page.locator("a.bell").bounding_box(), page.locator("label.nav-button").bounding_box()
        assert bell_box is not None and menu_box is not None and abs(bell_box["y"] - menu_box["y"]) < 12
        shot(page, "notify-menu-phone")
        page.goto(f"{url}/brand/settings/notifications")
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        shot(page, "notify-settings-phone")
        assert_accessible(page)
        page.set_viewport_size(DESKTOP)
    assert outside == []
