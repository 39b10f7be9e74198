"""The publisher tag in Debian's Chromium: a shop's page on its own origin, several slots,
lazy loading, scrolling, a single-page navigation, a hidden tab, a slow and a failing
server; the server's own reports say exactly which events arrived."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.browser.test_dashboard_journeys import BROWSER_UA, shot
from tests.dashboard.images import png
from tests.servers import BOOTSTRAP, base_env, running_server, static_site

ROLLUP_WAIT = 2.5
DOC = Path(__file__).resolve().parents[2] / "docs" / "publisher-tag.md"
DOC_SERVER = "https://ads.freshmart.example"


def documented_lines() -> list[str]:
    """The copy-paste block of docs/publisher-tag.md, line by line."""
    text = DOC.read_text()
    block = text.split("```html\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Freshmart</title>
<style>body{{margin:0;font-family:sans-serif}} .filler{{height:2600px;background:#f4f4f4}}
[data-shelfspace-placement]{{width:300px;height:250px}}</style></head><body>
<h1 id="shop">Freshmart weekly offers</h1>
<div id="top">{slot_top}</div>
<div class="filler"></div>
<div id="bottom">{slot_bottom}</div>
<div class="filler"></div>
<button id="own" onclick="this.textContent='still works'">shop button</button>
{script}
</body></html>"""


def shop_page(server: str) -> str:
    """The documented lines, as they are, with a shop's page around them."""
    slot_top, slot_bottom, script = documented_lines()
    return PAGE.format(slot_top=slot_top, slot_bottom=slot_bottom, script=script.replace(DOC_SERVER, server))


def _network(api: httpx.Client, image_url: str) -> None:
    for placement in ("home-hero", "category-sidebar"):
        assert api.post("/v1/placements", json={"id": placement, "name": placement, "channel": "web", "format": "banner",
                                                "sizes": ["300x250"], "floor_cpm": 1}).status_code == 201
    brand = api.post("/v1/advertisers", json={"name": "Acme Tea", "domain": "acmetea.example"}).json()
    campaign = api.post("/v1/campaigns", json={"advertiser_id": brand["id"], "name": "Tea", "budget_total": 1000,
                                               "budget_daily": 100, "start": "2026-01-01T00:00:00Z"}).json()
    line_item = api.post("/v1/line-items", json={"campaign_id": campaign["id"], "name": "Everywhere", "bid": 5,
                                                 "placements": ["home-hero", "category-sidebar"]}).json()
    assert api.post("/v1/creatives", json={"advertiser_id": brand["id"], "line_item_id": line_item["id"],
                                           "format": "banner", "size": "300x250", "image_url": image_url,
                                           "click_url": "https://acmetea.example/"}).status_code == 201


def as_shopper(page: Any) -> None:
    """Headless Chrome names itself in its user agent and is rightly counted as a bot; a
    shopper's Chrome does not."""
    page.context.new_cdp_session(page).send("Network.setUserAgentOverride", {"userAgent": BROWSER_UA})


def _counted(api: httpx.Client) -> tuple[int, int]:
    time.sleep(ROLLUP_WAIT)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    totals = api.get("/v1/reports", params={"from": today, "to": today}).json()["totals"]
    return totals["impressions"], totals["viewable_impressions"]


def _until_live(url: str) -> None:
    """The snapshot refreshes in the background: wait until the new line item serves."""
    deadline = time.monotonic() + 5
    while True:
        answer = httpx.post(f"{url}/v1/decisions", json={"placements": [{"id": "home-hero"}]})
        if answer.status_code == 200 and answer.json()["decisions"]["home-hero"]:
            return
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.1)


@contextmanager
def shop_with_ads(tmp_path: Path) -> Iterator[tuple[str, str, httpx.Client]]:
    """Shelfspace with a banner campaign live on both slots, and the shop's page on its own
    origin: (Shelfspace's URL, the page's URL, an operator client)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "ad.png").write_bytes(png(300, 250))
    with running_server(base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)) as url, static_site(site) as shop:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        _network(api, f"{shop}/ad.png")
        _until_live(url)
        (site / "index.html").write_text(shop_page(url))
        yield url, f"{shop}/index.html", api


def test_slots_render_and_count_impressions_and_viewability_by_the_mrc_rule(
        tmp_path: Path, page_and_outside: tuple[Any, list[str]]) -> None:
    page, outside = page_and_outside
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    decisions: list[str] = []
    page.on("request", lambda r: decisions.append(r.post_data or "") if r.url.endswith("/v1/decisions") else None)
    with shop_with_ads(tmp_path) as (_, shop_page_url, api):
        as_shopper(page)
        page.goto(shop_page_url)

        # 1. At the top: the hero renders and stays in view for a second; the lazy slot is not asked for.
        page.wait_for_selector("#top .shelfspace-ad img")
        page.wait_for_timeout(1600)
        assert len(decisions) == 1 and "category-sidebar" not in decisions[0] and "shopper-1" in decisions[0]
        assert _counted(api) == (1, 1)
        shot(page, "tag-top")

        # 2. Scrolled down: the lazy slot is asked for, renders, and is seen for a second.
        page.locator("#bottom").scroll_into_view_if_needed()
        page.wait_for_selector("#bottom .shelfspace-ad img")
        page.wait_for_timeout(1600)
        assert _counted(api) == (2, 2)

        # 3. A single-page navigation asks again: the hero renders out of view (impression,
        #    not viewable); the slot in view is seen.
        page.evaluate("history.pushState({}, '', '/offers')")
        page.wait_for_function("document.querySelectorAll('.shelfspace-ad').length === 2")
        page.wait_for_timeout(1600)
        assert _counted(api) == (4, 3)

        # 4. The hero in view for less than a second, then away: never viewable.
        page.locator("#top").scroll_into_view_if_needed()
        page.wait_for_timeout(400)
        page.locator("#bottom").scroll_into_view_if_needed()
        page.wait_for_timeout(1300)
        assert _counted(api) == (4, 3)

        # 5. A hidden tab: ads render, but none is viewable until the page is seen again.
        page.evaluate("""() => {
            Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
            document.dispatchEvent(new Event('visibilitychange'));
            history.pushState({}, '', '/more');
        }""")
        page.wait_for_function("document.querySelectorAll('.shelfspace-ad').length === 2")
        page.wait_for_timeout(1600)
        assert _counted(api) == (6, 3)
        page.evaluate("""() => {
            Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true});
            document.dispatchEvent(new Event('visibilitychange'));
        }""")
        page.wait_for_timeout(1600)
        assert _counted(api) == (6, 4)

        page.click("#own")
        assert page.locator("#own").inner_text() == "still works"
    assert errors == [], errors
    assert outside == [], outside


def test_a_slow_or_failing_server_never_breaks_the_page(tmp_path: Path, page_and_outside: tuple[Any, list[str]]) -> None:
    page, outside = page_and_outside
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    with shop_with_ads(tmp_path) as (_, shop_page_url, api):
        def slow(route: Any) -> None:
            time.sleep(4)  # longer than the tag waits (3 s)
            route.continue_()

        page.route("**/v1/decisions", slow)
        page.goto(shop_page_url)
        page.wait_for_function("document.querySelector('#top [data-shelfspace-placement]').dataset.shelfspaceState === 'empty'",
                                timeout=8000)
        page.unroute("**/v1/decisions")
        page.route("**/v1/decisions", lambda route: route.fulfill(status=503, body="down"))
        page.evaluate("window.shelfspace.refresh()")
        page.wait_for_function("document.querySelector('#top [data-shelfspace-placement]').dataset.shelfspaceState === 'empty'")
        page.click("#own")
        assert page.locator("#own").inner_text() == "still works"
        assert page.locator(".shelfspace-ad").count() == 0
        assert _counted(api) == (0, 0)
    assert errors == [], errors


HTML_BANNER = """<!doctype html><body style="margin:0;background:#0b6e4f;color:#fff;font:16px sans-serif">
<a id="cta" href="%%CLICK_URL%%" target="_blank" style="color:#fff">Tea, now 20% off</a>
<script>
  try { parent.document.title = "hacked"; } catch (e) { document.body.dataset.blocked = "page"; }
  try { document.cookie = "x=1"; document.body.dataset.cookie = String(document.cookie); } catch (e) { document.body.dataset.cookie = "blocked"; }
</script></body>"""


def test_an_html_banner_runs_sandboxed_and_counts(tmp_path: Path, page_and_outside: tuple[Any, list[str]]) -> None:
    page, outside = page_and_outside
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    site = tmp_path / "site"
    site.mkdir()
    with running_server(base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)) as url, static_site(site) as shop:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        api.post("/v1/placements", json={"id": "home-hero", "name": "Hero", "channel": "web", "format": "banner",
                                         "sizes": ["300x250"], "floor_cpm": 1})
        brand = api.post("/v1/advertisers", json={"name": "Acme Tea", "domain": "acmetea.example"}).json()
        campaign = api.post("/v1/campaigns", json={"advertiser_id": brand["id"], "name": "Tea", "budget_total": 100,
                                                   "budget_daily": 10, "start": "2026-01-01T00:00:00Z"}).json()
        line_item = api.post("/v1/line-items", json={"campaign_id": campaign["id"], "name": "Hero", "bid": 5,
                                                     "placements": ["home-hero"]}).json()
        assert api.post("/v1/creatives", json={"advertiser_id": brand["id"], "line_item_id": line_item["id"],
                                               "format": "banner", "size": "300x250", "html": HTML_BANNER,
                                               "click_url": "https://acmetea.example/"}).status_code == 201
        _until_live(url)
        slot, _, script = documented_lines()
        (site / "index.html").write_text(PAGE.format(slot_top=slot, slot_bottom="", script=script.replace(DOC_SERVER, url)))
        as_shopper(page)
        page.goto(f"{shop}/index.html")
        frame_element = page.wait_for_selector("#top iframe")
        assert frame_element.get_attribute("sandbox") == "allow-scripts allow-popups allow-popups-to-escape-sandbox"
        frame = frame_element.content_frame()
        frame.wait_for_selector("#cta")
        assert "/track/click/" in frame.locator("#cta").get_attribute("href")  # %%CLICK_URL%% filled in
        assert frame.evaluate("document.body.dataset.blocked") == "page"  # the ad cannot reach the page
        assert page.title() == "Freshmart"
        page.wait_for_timeout(1500)
        assert _counted(api) == (1, 1)
        shot(page, "tag-html-banner")
    assert errors == [], errors
    assert outside == [], outside
