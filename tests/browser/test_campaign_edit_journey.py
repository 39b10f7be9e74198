"""A brand changes a running campaign and copies it, in Chromium against the real server,
offline, under the pages' CSP, each page checked by axe-core: it renames the campaign,
adds a placement and sets day-parts on the edit page, reads before saving what takes
effect when (and that the placement sends its approved banner back to review), is not
sent off by Enter, saves, duplicates the campaign and lands on the copy's edit page.

Screenshots: tests/artifacts/screenshots/edit-*.png.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.browser.accessibility import assert_accessible
from tests.browser.test_content_security_policy import Violations
from tests.browser.test_dashboard_journeys import PASSWORD, SHOTS, shot
from tests.servers import BOOTSTRAP, base_env, running_server
from tests.support import BANNER, banner_creative, campaign_body, line_item_body

EMAIL = "brand@acme.example"
SIDE = {
    "id": "side-banner",
    "name": "Side banner",
    "channel": "web",
    "format": "banner",
    "sizes": ["300x250"],
    "floor_cpm": 1,
    "max_ads": 1,
}


def _keep(page: Any, name: str) -> Path:
    shot(page, name)
    return SHOTS / f"{name}.png"


def test_a_brand_edits_then_duplicates_its_campaign(tmp_path: Path, page_and_outside: tuple[Any, list[str]]) -> None:
    page, outside = page_and_outside
    violations = Violations(page)
    env = base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)
    with running_server(env, log=tmp_path / "server.log") as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        for placement in (BANNER, SIDE):
            assert api.post("/v1/placements", json=placement).status_code == 201
        brand = api.post("/v1/advertisers", json={"name": "Acme Outdoor", "domain": "acme.example"}).json()
        assert (
            api.post(
                "/v1/users",
                json={"email": EMAIL, "password": PASSWORD, "role": "advertiser", "advertiser_id": brand["id"]},
            ).status_code
            == 201
        )
        start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
        campaign = api.post(
            "/v1/campaigns",
            json=campaign_body(brand["id"], start=start.isoformat(), end=(start + timedelta(days=30)).isoformat()),
        ).json()
        line_item = api.post("/v1/line-items", json=line_item_body(campaign["id"], targeting={})).json()
        banner = api.post("/v1/creatives", json=banner_creative(brand["id"], line_item["id"])).json()
        assert banner["status"] == "approved"

        page.goto(f"{url}/login")
        page.fill("input[name=email]", EMAIL)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()

        page.goto(f"{url}/brand/campaigns/{campaign['id']}")
        page.click(f"a[href='/brand/campaigns/{campaign['id']}/edit']")
        page.wait_for_load_state()
        assert page.locator("[data-change-summary]").is_hidden()  # nothing changed yet
        effects = page.locator("[data-effect]").all_inner_texts()
        assert any("In effect within seconds" in e for e in effects)
        assert any("sends this line item's 1 approved creative back to the operator's review" in e for e in effects)
        assert_accessible(page)
        _keep(page, "edit-page")

        page.fill("input[name=name]", "Spring sale, weekdays")
        page.press("input[name=name]", "Enter")  # Enter does not send the form
        page.check("#pl-side-banner")
        for day in ("mon", "tue", "wed", "thu", "fri"):
            page.check(f"input[name=daypart_days_0][value={day}]")
        page.fill("input[name=daypart_start_0]", "08:00")
        page.fill("input[name=daypart_end_0]", "20:00")
        summary = page.locator("[data-change-summary]")
        summary.wait_for(state="visible")
        said = summary.inner_text()
        assert "Campaign name" in said and "adding Side banner" in said and "back to the operator's review" in said
        assert "Targeting" in said and "In effect within seconds" in said
        assert page.url.endswith("/edit")
        assert_accessible(page)
        _keep(page, "edit-before-saving")

        page.click("form[data-campaign-edit] button[type=submit]")
        page.wait_for_load_state()
        flash = page.locator(".flash").inner_text()
        assert "Spring sale, weekdays is updated" in flash and "goes back to review" in flash, flash
        assert page.url.endswith(f"/brand/campaigns/{campaign['id']}")
        assert_accessible(page)
        _keep(page, "edit-saved")
        saved = api.get(f"/v1/line-items/{line_item['id']}").json()
        assert saved["placements"] == ["home-hero", "side-banner"]
        assert saved["targeting"]["dayparts"] == [
            {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "20:00"}
        ]
        assert api.get(f"/v1/creatives/{banner['id']}").json()["status"] == "pending"

        page.click(f"form[action='/brand/campaigns/{campaign['id']}/duplicate'] button")
        page.wait_for_load_state()
        assert page.url.endswith("/edit") and campaign["id"] not in page.url
        assert "Spring sale, weekdays (copy) is made, paused" in page.locator(".flash").inner_text()
        assert page.locator("input[name=name]").input_value() == "Spring sale, weekdays (copy)"
        assert_accessible(page)
        _keep(page, "edit-duplicate")
        copy_id = page.url.split("/")[-2]
        assert api.get(f"/v1/campaigns/{copy_id}").json()["status"] == "paused"
        page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing scrolls sideways
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        _keep(page, "edit-phone")
        page.set_viewport_size({"width": 1280, "height": 900})

        page.click(f"a[href='/brand/campaigns/{copy_id}/line-items/new']")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text().startswith("Add a line item")
        assert_accessible(page)
        _keep(page, "edit-add-line-item")
    assert outside == [], f"pages reached outside the machine: {outside}"
    assert violations == [], violations
