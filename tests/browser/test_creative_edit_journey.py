"""A brand edits an approved creative in Debian's Chromium against the real server, offline:
the page says what a save does, a line item whose placements the current image does not fit
and a wrong-size file are both refused in the browser before anything is sent, and the new
image and click address are saved, with the creative back in the operator's review. axe-core
runs on every page the journey opens.

Screenshots land in tests/artifacts/screenshots/creative-edit-*.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.browser.accessibility import assert_accessible
from tests.browser.test_creatives_journey import IMAGES_LOADED, PASSWORD, _sign_in
from tests.dashboard.images import png
from tests.servers import BOOTSTRAP, base_env, running_server, shelfspace

SHOTS = Path(__file__).parent.parent / "artifacts" / "screenshots"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"creative-edit-{name}.png"), full_page=True)


def _network(api: httpx.Client, env: dict[str, str]) -> dict[str, str]:
    for placement in (
        {
            "id": "home-hero",
            "name": "Home page hero",
            "channel": "web",
            "format": "banner",
            "sizes": ["300x250", "1200x400"],
            "floor_cpm": 2.5,
        },
        {
            "id": "top-strip",
            "name": "Top strip",
            "channel": "web",
            "format": "banner",
            "sizes": ["728x90"],
            "floor_cpm": 1,
        },
    ):
        assert api.post("/v1/placements", json=placement).status_code == 201
    brand = api.post("/v1/advertisers", json={"name": "Acme Outdoor", "domain": "acme.example"}).json()
    campaign = api.post(
        "/v1/campaigns",
        json={
            "advertiser_id": brand["id"],
            "name": "Tents in spring",
            "budget_total": 900,
            "budget_daily": 30,
            "start": "2026-01-01T00:00:00Z",
        },
    ).json()
    hero = api.post(
        "/v1/line-items",
        json={"campaign_id": campaign["id"], "name": "Hero banners", "bid": 5, "placements": ["home-hero"]},
    ).json()
    strip = api.post(
        "/v1/line-items", json={"campaign_id": campaign["id"], "name": "Strip", "bid": 2, "placements": ["top-strip"]}
    ).json()
    made = shelfspace(
        "users",
        "create",
        "--email",
        "brand@acme.example",
        "--password-stdin",
        "--role",
        "advertiser",
        "--advertiser",
        brand["id"],
        env=env,
        input=PASSWORD + "\n",
    )
    assert made.returncode == 0, made.stderr
    return {"campaign": campaign["id"], "hero": hero["id"], "strip": strip["id"]}


def test_a_brand_edits_an_approved_creative_and_it_goes_back_to_review(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    env = base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)
    images = {}
    for name, (width, height, rgb) in {
        "box": (300, 250, (11, 110, 79)),
        "small": (100, 100, (90, 90, 90)),
        "wide": (1200, 400, (40, 90, 160)),
    }.items():
        images[name] = tmp_path / f"{name}.png"
        images[name].write_bytes(png(width, height, rgb))
    edits: list[str] = []
    page.on("request", lambda r: edits.append(r.url) if r.method == "POST" and r.url.endswith("/edit") else None)
    with running_server(env) as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        ids = _network(api, env)
        campaign_url = f"{url}/brand/campaigns/{ids['campaign']}"
        _sign_in(page, url, "brand@acme.example")
        # The brand adds a 300x250 banner; the operator approves it.
        page.goto(f"{url}/brand/creatives/new?line_item={ids['hero']}")
        page.set_input_files("input[name=image]", str(images["box"]))
        page.wait_for_selector("[data-size-check].fits")
        page.fill("input[name=click_url]", "https://acme.example/tents")
        page.click("form[data-creative-form] button[type=submit]")
        page.wait_for_url(f"{campaign_url}#creatives")
        [creative] = api.get("/v1/creatives").json()["data"]
        assert api.patch(f"/v1/creatives/{creative['id']}", json={"status": "approved"}).status_code == 200

        # Edit, beside Archive on the campaign page: the page says what saving does.
        page.goto(campaign_url)
        page.locator(f"tr[data-creative='{creative['id']}']").get_by_role("link", name="Edit").click()
        page.wait_for_url(f"{url}/brand/creatives/{creative['id']}/edit")
        effects = page.locator("[data-effects]").inner_text()
        assert "It is approved and serving." in effects and "stops serving until it is approved again" in effects
        assert "a line item running on a placement this one does not sends it back to review" in effects
        page.wait_for_function(IMAGES_LOADED, arg=".current-creative img")  # the image as it is now
        shot(page, "1-form")
        assert_accessible(page)

        # Moved to a line item whose placements the current image does not fit: said, nothing sent.
        page.select_option("select[name=line_item]", ids["strip"])
        page.wait_for_selector("[data-size-check].wrong")
        said = page.locator("[data-size-check]").inner_text()
        assert "The current image is 300x250 pixels" in said and "728x90 (Top strip)" in said, said
        assert (
            page.locator("[data-size-hint]").inner_text().strip() == "A banner here must be 728x90 (Top strip) pixels."
        )
        page.click("form[data-creative-form] button[type=submit]")
        assert edits == [] and page.url.endswith("/edit")
        shot(page, "2-does-not-fit")
        page.select_option("select[name=line_item]", ids["hero"])
        page.wait_for_function("() => document.querySelector('[data-size-check]').textContent === ''")

        # A wrong-size file: refused before it is sent; the right one is previewed.
        page.set_input_files("input[name=image]", str(images["small"]))
        page.wait_for_selector("[data-size-check].wrong")
        assert "This image is 100x100 pixels" in page.locator("[data-size-check]").inner_text()
        page.click("form[data-creative-form] button[type=submit]")
        assert edits == []
        page.set_input_files("input[name=image]", str(images["wide"]))
        page.wait_for_selector("[data-size-check].fits")
        page.wait_for_function(IMAGES_LOADED, arg="[data-chosen-image]")
        page.fill("input[name=click_url]", "https://acme.example/tents-sale")
        shot(page, "3-new-image")
        assert_accessible(page)
        page.click("form[data-creative-form] button[type=submit]")
        page.wait_for_url(f"{campaign_url}#creatives")
        assert len(edits) == 1
        flash = page.locator(".flash").inner_text()
        assert "image, size and click address changed" in flash and "back in the operator's review" in flash, flash
        row = page.locator(f"tr[data-creative='{creative['id']}']")
        assert "in review" in row.inner_text() and "banner 1200x400" in row.inner_text()
        shot(page, "4-back-in-review")
        assert_accessible(page)
        now = api.get(f"/v1/creatives/{creative['id']}").json()
        assert (now["status"], now["size"], now["click_url"]) == (
            "pending",
            "1200x400",
            "https://acme.example/tents-sale",
        )

        # The list of creatives has Edit too.
        page.goto(f"{url}/brand/creatives")
        page.get_by_role("link", name=f"Edit banner 1200x400 {creative['id']}").click()
        page.wait_for_url(f"{url}/brand/creatives/{creative['id']}/edit")
        assert "It is waiting for the operator's review" in page.locator("[data-effects]").inner_text()
        page.set_viewport_size({"width": 390, "height": 844})
        shot(page, "5-phone")
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), "scrolls sideways"
        assert_accessible(page)
    assert outside == [], f"pages reached outside the machine: {outside}"
