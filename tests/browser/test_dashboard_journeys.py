"""The dashboard's main journeys in Debian's Chromium against the real server, offline.

Screenshots of each page land in tests/artifacts/screenshots/ (desktop and phone width).
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

import httpx

from tests.dashboard.images import png
from tests.servers import BOOTSTRAP, base_env, emailed_link, running_server, shelfspace
from tests.waiting import wait_for, wait_for_equal

SHOTS = Path(__file__).parent.parent / "artifacts" / "screenshots"
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
PASSWORD = "a long password 123"
PHONE = {"width": 390, "height": 844}


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _network(api: httpx.Client) -> None:
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
            "id": "search-sponsored",
            "name": "Search results",
            "channel": "search",
            "format": "sponsored_product",
            "floor_cpm": 1,
            "max_ads": 3,
        },
    ):
        assert api.post("/v1/placements", json=placement).status_code == 201


def _sign_in(page: Any, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_a_brand_signs_up_builds_a_campaign_sees_it_deliver_and_exports_it(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    env = base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)
    log = tmp_path / "server.log"
    with running_server(env, log=log) as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        _network(api)
        page.goto(f"{url}/signup")
        page.fill("input[name=name]", "Harbor Tea")
        page.fill("input[name=domain]", "harbortea.example")
        page.fill("input[name=category]", "beverages/tea")
        page.fill("input[name=email]", "ops@harbortea.example")
        page.fill("input[name=password]", "short")
        page.click("button[type=submit]")
        assert "at least 12 characters" in page.locator("#password-error").inner_text()  # beside the field
        page.fill("input[name=password]", PASSWORD)
        shot(page, "signup")
        page.click("button[type=submit]")
        assert "Check your e-mail" in page.locator("main").inner_text()  # no SMTP host: the link is in the log
        shot(page, "signup-check-email")
        page.goto(url + emailed_link(log, "ops@harbortea.example"))
        assert "is confirmed" in page.locator("main").inner_text()
        page.goto(f"{url}/brand")
        assert "reviewing" in page.locator("main").inner_text()
        brand = api.get("/v1/advertisers", params={"status": "pending"}).json()["data"][0]
        # Approved on credit: a sign-up is prepaid with an empty wallet until the operator sets its terms.
        api.patch(
            f"/v1/advertisers/{brand['id']}", json={"status": "active", "billing_mode": "credit", "credit_limit": 1000}
        )

        page.goto(f"{url}/brand/campaigns/new")
        page.check("input[value=awareness]")
        page.fill("input[name=name]", "Tea time")
        shot(page, "wizard-1-goal")
        page.click("[data-next]")
        page.fill("input[name=budget_total]", "300")
        page.fill("input[name=budget_daily]", "50")
        page.click("[data-next]")
        page.check("#pl-home-hero")
        shot(page, "wizard-3-placements")
        page.set_viewport_size(PHONE)
        shot(page, "wizard-3-placements-phone")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.click("[data-next]")
        page.click("[data-next]")
        page.fill("input[name=bid]", "6")
        # A new network has no sampled requests yet: the forecast box says so rather than guess.
        page.wait_for_function("() => document.querySelector('[data-forecast]').dataset.state === 'no-history'")
        assert "No history on these placements yet" in page.locator("[data-forecast]").inner_text()
        shot(page, "wizard-5-bid")
        page.click("[data-next]")
        image = tmp_path / "banner.png"
        image.write_bytes(png(300, 250))
        page.set_input_files("input[name=image]", str(image))
        page.fill("input[name=click_url]", "https://harbortea.example/tea")
        page.wait_for_selector("[data-preview-img]:not([hidden])")
        shot(page, "wizard-6-creative")
        page.click("[data-next]")  # the last step sums up what will be bought, before anything is saved
        page.wait_for_selector("[data-summary-ready]")
        shot(page, "wizard-7-review")
        page.click("[data-submit]")
        page.wait_for_load_state()
        assert "waiting for the operator's review" in page.locator(".flash").inner_text()
        campaign_url = page.url

        # The operator approves the creative; the campaign starts tomorrow by default, so it
        # is moved to now, as a brand would by editing its dates.
        creative = api.get("/v1/creatives").json()["data"][0]
        api.patch(f"/v1/creatives/{creative['id']}", json={"status": "approved"})
        campaign_id = campaign_url.rsplit("/", 1)[1]
        api.patch(f"/v1/campaigns/{campaign_id}", json={"start": "2020-01-01T00:00:00Z"})
        served: list[dict[str, Any]] = []

        def five_served() -> bool:  # once the server's snapshot has the approved campaign
            answer = httpx.post(
                f"{url}/v1/decisions",
                json={
                    "placements": [{"id": "home-hero"}],
                    "context": {"country": "GB"},
                    "user": {"id": f"u{len(served)}"},
                },
            )
            served.extend(answer.json()["decisions"]["home-hero"])
            return len(served) >= 5

        wait_for(five_served, 10, "the approved campaign to serve five ads", interval=0.05)
        assert len(served) == 5
        for ad in served:
            assert httpx.get(ad["tracking"]["impression"], headers={"User-Agent": BROWSER_UA}).status_code in (200, 204)
        assert httpx.get(served[0]["tracking"]["click"], headers={"User-Agent": BROWSER_UA}).status_code == 302
        today = time.strftime("%Y-%m-%d", time.gmtime())

        def counted() -> tuple[int, int]:
            rows = api.get("/v1/reports", params={"from": today, "to": today, "group_by": "campaign"}).json()["rows"]
            return next(((r["impressions"], r["clicks"]) for r in rows if r["campaign_id"] == campaign_id), (0, 0))

        wait_for_equal(counted, (5, 1), 30, "the campaign's report to count its impressions and click", interval=0.25)

        page.goto(campaign_url)
        kpis = page.locator(".kpis").inner_text()
        assert "IMPRESSIONS\n5" in kpis.upper() and "CLICKS\n1" in kpis.upper(), kpis
        page.wait_for_selector(".chart .main-svg")  # Plotly drew the chart, from our own server
        shot(page, "campaign")
        with page.expect_download() as download:
            page.click("a[data-download$='-day.csv']")
        rows = [
            r
            for r in csv.DictReader(
                io.StringIO(
                    "".join(
                        line
                        for line in Path(download.value.path()).read_text().splitlines(keepends=True)
                        if not line.startswith("#")
                    )
                )
            )
        ]
        assert [(r["impressions"], r["clicks"]) for r in rows] == [("5", "1")]
        page.set_viewport_size(PHONE)
        page.goto(campaign_url)
        shot(page, "campaign-phone")
    assert outside == [], f"pages reached outside the machine: {outside}"


def test_the_operator_reviews_a_creative_with_its_preview(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    data = tmp_path / "data"
    env = base_env(data, SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)
    made = shelfspace(
        "users", "create", "--email", "ops@network.example", "--password-stdin", env=env, input=PASSWORD + "\n"
    )
    assert made.returncode == 0, made.stderr
    with running_server(env) as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        _network(api)
        brand = api.post("/v1/advertisers", json={"name": "Acme Outdoor", "domain": "acme.example"}).json()
        campaign = api.post(
            "/v1/campaigns",
            json={
                "advertiser_id": brand["id"],
                "name": "Tents",
                "budget_total": 100,
                "budget_daily": 10,
                "start": "2026-01-01T00:00:00Z",
            },
        ).json()
        line_item = api.post(
            "/v1/line-items",
            json={"campaign_id": campaign["id"], "name": "Hero", "bid": 5, "placements": ["home-hero"]},
        ).json()
        # Uploaded by the brand itself, so they wait for review (an operator's own are approved).
        key = api.post("/v1/api-keys", json={"role": "advertiser", "advertiser_id": brand["id"]}).json()["key"]
        as_brand = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"})
        for size in ("300x250", "1200x400"):
            body = {
                "line_item_id": line_item["id"],
                "format": "banner",
                "size": size,
                "image_url": f"https://acme.example/{size}.png",
                "click_url": "https://acme.example/tents",
            }
            assert as_brand.post("/v1/creatives", json=body).status_code == 201
        _sign_in(page, url, "ops@network.example")
        assert "Network overview" in page.locator("h1").inner_text()
        page.goto(f"{url}/console/review")
        cards = page.locator("article[data-creative]")
        assert cards.count() == 2
        assert (
            "1200x400 banner" in cards.nth(1).inner_text()
            and "Will run on: Home page hero" in cards.nth(1).inner_text()
        )
        shot(page, "console-review")
        first = cards.nth(0)
        first.locator("button[value=reject]").click()
        page.wait_for_load_state()
        assert "say why" in page.locator("article[data-creative] .field-error").first.inner_text()
        # The page opens on the field that needs the reason, not at its top with the error below the fold.
        assert page.evaluate("document.activeElement.getAttribute('aria-invalid')") == "true"
        assert page.evaluate("document.activeElement.getBoundingClientRect().top") < PHONE["height"]
        page.locator("article[data-creative]").nth(0).locator("button[value=approve]").click()
        page.wait_for_load_state()
        assert "approved" in page.locator(".flash").inner_text()
        assert page.locator("article[data-creative]").count() == 1
        statuses = sorted(c["status"] for c in api.get("/v1/creatives").json()["data"])
        assert statuses == ["approved", "pending"]
        page.goto(f"{url}/console")
        shot(page, "console-overview")
        # A feed import: the file travels with a progress bar, the result comes back in place.
        feed = tmp_path / "feed.csv"
        feed.write_text(
            "sku,title,brand,category,price,available\nTEA-1,Green tea,Harbor,beverages/tea,2.49,true\n"
            "TEA-2,,Harbor,beverages/tea,2.49,true\n"
        )
        page.goto(f"{url}/console/products")
        page.set_input_files("input[name=feed]", str(feed))
        page.click("form[data-progress] button[type=submit]")
        page.wait_for_selector("text=Imported 1 of 2 rows")
        assert "title" in page.locator("table").first.inner_text()  # the bad row, by line and field
        shot(page, "console-products")
        page.set_viewport_size(PHONE)
        page.goto(f"{url}/console/review")
        shot(page, "console-review-phone")
        page.goto(f"{url}/media-kit")
        assert "Home page hero" in page.locator("table").first.inner_text()
        shot(page, "media-kit-phone")
    assert outside == [], f"pages reached outside the machine: {outside}"
