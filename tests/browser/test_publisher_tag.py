"""The publisher tag in Debian's Chromium: a shop's page on its own origin, several slots,
lazy loading, scrolling, a single-page navigation, a hidden tab, a slow and a failing
server; the server's own reports say exactly which events arrived.

No step waits a fixed time. The page records every beacon the tag sends; a step waits for
the beacons it expects, then for every viewability second the tag may have started to run
out (a page timer started after the tag's own, which the browser fires after it), so the
count of beacons is final when the test reads it, and a beacon that must not come is
proven absent. The server's reports are then awaited until they show those counts."""

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
from tests.waiting import wait_for, wait_for_equal

ROLLUP_SECONDS = 30  # the server rolls up within seconds of an event; this bounds a broken one
BEACON_MS = 10_000  # the tag's beacons come within a second or so of what causes them
# Before the page's own scripts: every beacon the tag sends is kept in window.sentBeacons.
RECORD_BEACONS = """
window.sentBeacons = [];
const realSendBeacon = navigator.sendBeacon.bind(navigator);
navigator.sendBeacon = (url, data) => { window.sentBeacons.push(String(url)); return realSendBeacon(url, data); };
"""
# Resolves when an IntersectionObserver of ours has seen `box` in (or out of) view by the
# MRC's area rule. Ours is made after the tag's for the same ad, so when ours is told,
# the tag's observer has been told of the same change and has started (or stopped) its timer.
IN_VIEW = """(box, wanted) => new Promise(resolve => {
  const observer = new IntersectionObserver(entries => {
    const entry = entries[entries.length - 1];
    if ((entry.isIntersecting && entry.intersectionRatio >= 0.5) === wanted) { observer.disconnect(); resolve(); }
  }, { threshold: [0, 0.5, 1] });
  observer.observe(box);
})"""
# Resolves once every viewability second the tag may have started has run out: each ad's
# observer has been told where the ad is (ours, made after the tag's, is told after it),
# then a timer of the tag's length runs out after any the tag started before it.
SETTLED = """() => Promise.all([...document.querySelectorAll('.shelfspace-ad')].map(box => new Promise(resolve => {
  const observer = new IntersectionObserver(() => { observer.disconnect(); resolve(); });
  observer.observe(box);
}))).then(() => new Promise(resolve => setTimeout(resolve, 1000)))"""
# The hero in view for 400 ms by the page's clock, less than the MRC's second, then away.
GLANCE = f"""async () => {{
  const inView = {IN_VIEW};
  const hero = document.querySelector('#top .shelfspace-ad');
  document.querySelector('#top').scrollIntoView();
  await inView(hero, true);
  await new Promise(resolve => setTimeout(resolve, 400));
  document.querySelector('#bottom').scrollIntoView();
  await inView(hero, false);
}}"""
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
        assert (
            api.post(
                "/v1/placements",
                json={
                    "id": placement,
                    "name": placement,
                    "channel": "web",
                    "format": "banner",
                    "sizes": ["300x250"],
                    "floor_cpm": 1,
                },
            ).status_code
            == 201
        )
    brand = api.post("/v1/advertisers", json={"name": "Acme Tea", "domain": "acmetea.example"}).json()
    campaign = api.post(
        "/v1/campaigns",
        json={
            "advertiser_id": brand["id"],
            "name": "Tea",
            "budget_total": 1000,
            "budget_daily": 100,
            "start": "2026-01-01T00:00:00Z",
        },
    ).json()
    line_item = api.post(
        "/v1/line-items",
        json={
            "campaign_id": campaign["id"],
            "name": "Everywhere",
            "bid": 5,
            "placements": ["home-hero", "category-sidebar"],
        },
    ).json()
    assert (
        api.post(
            "/v1/creatives",
            json={
                "advertiser_id": brand["id"],
                "line_item_id": line_item["id"],
                "format": "banner",
                "size": "300x250",
                "image_url": image_url,
                "click_url": "https://acmetea.example/",
            },
        ).status_code
        == 201
    )


def as_shopper(page: Any) -> None:
    """Headless Chrome names itself in its user agent and is rightly counted as a bot; a
    shopper's Chrome does not."""
    page.context.new_cdp_session(page).send("Network.setUserAgentOverride", {"userAgent": BROWSER_UA})


def _reported(api: httpx.Client) -> tuple[int, int]:
    today = time.strftime("%Y-%m-%d", time.gmtime())
    totals = api.get("/v1/reports", params={"from": today, "to": today}).json()["totals"]
    return totals["impressions"], totals["viewable_impressions"]


def _beacons(page: Any) -> tuple[int, int]:
    """The impressions and viewable impressions the tag has sent so far."""
    sent: list[str] = page.evaluate("window.sentBeacons")
    return sum("/track/impression/" in u for u in sent), sum("/track/viewable/" in u for u in sent)


def _sent_and_counted(page: Any, api: httpx.Client, impressions: int, viewable: int) -> None:
    """Once the tag has sent `impressions` and `viewable` beacons and every viewability second
    it started has run out: exactly those were sent, and the server's reports show them."""
    page.wait_for_function(
        "([i, v]) => window.sentBeacons.filter(u => u.includes('/track/impression/')).length >= i"
        " && window.sentBeacons.filter(u => u.includes('/track/viewable/')).length >= v",
        arg=[impressions, viewable],
        timeout=BEACON_MS,
    )
    page.evaluate(SETTLED)
    assert _beacons(page) == (impressions, viewable)
    wait_for_equal(
        lambda: _reported(api),
        (impressions, viewable),
        ROLLUP_SECONDS,
        "the server's reports to count the tag's beacons",
        interval=0.25,
    )


def _until_live(url: str) -> None:
    """The snapshot refreshes in the background: wait until the new line item serves."""

    def serves() -> bool:
        answer = httpx.post(f"{url}/v1/decisions", json={"placements": [{"id": "home-hero"}]})
        return answer.status_code == 200 and bool(answer.json()["decisions"]["home-hero"])

    wait_for(serves, 10, "the new line item to serve", interval=0.1)


@contextmanager
def shop_with_ads(tmp_path: Path) -> Iterator[tuple[str, str, httpx.Client]]:
    """Shelfspace with a banner campaign live on both slots, and the shop's page on its own
    origin: (Shelfspace's URL, the page's URL, an operator client)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "ad.png").write_bytes(png(300, 250))
    with (
        running_server(base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)) as url,
        static_site(site) as shop,
    ):
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        _network(api, f"{shop}/ad.png")
        _until_live(url)
        (site / "index.html").write_text(shop_page(url))
        yield url, f"{shop}/index.html", api


def test_slots_render_and_count_impressions_and_viewability_by_the_mrc_rule(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    decisions: list[str] = []
    page.on("request", lambda r: decisions.append(r.post_data or "") if r.url.endswith("/v1/decisions") else None)
    with shop_with_ads(tmp_path) as (_, shop_page_url, api):
        as_shopper(page)
        page.add_init_script(RECORD_BEACONS)
        page.goto(shop_page_url)

        # 1. At the top: the hero renders and stays in view for a second; the lazy slot is
        #    not asked for (by then its observer has long said it is far from view).
        page.wait_for_selector("#top .shelfspace-ad img")
        _sent_and_counted(page, api, 1, 1)
        assert len(decisions) == 1 and "category-sidebar" not in decisions[0] and "shopper-1" in decisions[0]
        shot(page, "tag-top")

        # 2. Scrolled down: the lazy slot is asked for, renders, and is seen for a second.
        page.locator("#bottom").scroll_into_view_if_needed()
        page.wait_for_selector("#bottom .shelfspace-ad img")
        _sent_and_counted(page, api, 2, 2)

        # 3. A single-page navigation asks again: the hero renders out of view (impression,
        #    not viewable); the slot in view is seen.
        page.evaluate("history.pushState({}, '', '/offers')")
        page.wait_for_function("document.querySelectorAll('.shelfspace-ad').length === 2")
        _sent_and_counted(page, api, 4, 3)

        # 4. The hero in view for less than a second, then away: never viewable (its second
        #    would have run out before the page's own timer in SETTLED does).
        page.evaluate(GLANCE)
        page.evaluate(SETTLED)
        assert _beacons(page) == (4, 3)

        # 5. A hidden tab: ads render, but none is viewable until the page is seen again.
        page.evaluate("""() => {
            Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
            document.dispatchEvent(new Event('visibilitychange'));
            history.pushState({}, '', '/more');
        }""")
        page.wait_for_function("document.querySelectorAll('.shelfspace-ad').length === 2")
        _sent_and_counted(page, api, 6, 3)  # and the glance of step 4 was counted nowhere
        page.evaluate("""() => {
            Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true});
            document.dispatchEvent(new Event('visibilitychange'));
        }""")
        _sent_and_counted(page, api, 6, 4)

        page.click("#own")
        assert page.locator("#own").inner_text() == "still works"
    assert errors == [], errors
    assert outside == [], outside


def test_a_slow_or_failing_server_never_breaks_the_page(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    with shop_with_ads(tmp_path) as (_, shop_page_url, api):
        unanswered: list[Any] = []

        def never_answer(route: Any) -> None:  # a server slower than the tag waits (3 s): it gives up
            unanswered.append(route)

        page.route("**/v1/decisions", never_answer)
        page.add_init_script(RECORD_BEACONS)
        page.goto(shop_page_url)
        page.wait_for_function(
            "document.querySelector('#top [data-shelfspace-placement]').dataset.shelfspaceState === 'empty'",
            timeout=8000,
        )
        page.unroute("**/v1/decisions")
        page.route("**/v1/decisions", lambda route: route.fulfill(status=503, body="down"))
        page.evaluate("window.shelfspace.refresh()")
        page.wait_for_function(
            "document.querySelector('#top [data-shelfspace-placement]').dataset.shelfspaceState === 'empty'"
        )
        page.click("#own")
        assert page.locator("#own").inner_text() == "still works"
        assert page.locator(".shelfspace-ad").count() == 0
        assert _beacons(page) == (0, 0)  # no ad, so nothing to count: the reports agree
        assert _reported(api) == (0, 0)
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
    with (
        running_server(base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)) as url,
        static_site(site) as shop,
    ):
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        api.post(
            "/v1/placements",
            json={
                "id": "home-hero",
                "name": "Hero",
                "channel": "web",
                "format": "banner",
                "sizes": ["300x250"],
                "floor_cpm": 1,
            },
        )
        brand = api.post("/v1/advertisers", json={"name": "Acme Tea", "domain": "acmetea.example"}).json()
        campaign = api.post(
            "/v1/campaigns",
            json={
                "advertiser_id": brand["id"],
                "name": "Tea",
                "budget_total": 100,
                "budget_daily": 10,
                "start": "2026-01-01T00:00:00Z",
            },
        ).json()
        line_item = api.post(
            "/v1/line-items",
            json={"campaign_id": campaign["id"], "name": "Hero", "bid": 5, "placements": ["home-hero"]},
        ).json()
        assert (
            api.post(
                "/v1/creatives",
                json={
                    "advertiser_id": brand["id"],
                    "line_item_id": line_item["id"],
                    "format": "banner",
                    "size": "300x250",
                    "html": HTML_BANNER,
                    "click_url": "https://acmetea.example/",
                },
            ).status_code
            == 201
        )
        _until_live(url)
        slot, _, script = documented_lines()
        (site / "index.html").write_text(
            PAGE.format(slot_top=slot, slot_bottom="", script=script.replace(DOC_SERVER, url))
        )
        as_shopper(page)
        page.add_init_script(RECORD_BEACONS)
        page.goto(f"{shop}/index.html")
        frame_element = page.wait_for_selector("#top iframe")
        assert frame_element.get_attribute("sandbox") == "allow-scripts allow-popups allow-popups-to-escape-sandbox"
        frame = frame_element.content_frame()
        frame.wait_for_selector("#cta")
        assert "/track/click/" in frame.locator("#cta").get_attribute("href")  # %%CLICK_URL%% filled in
        assert frame.evaluate("document.body.dataset.blocked") == "page"  # the ad cannot reach the page
        assert page.title() == "Freshmart"
        _sent_and_counted(page, api, 1, 1)
        shot(page, "tag-html-banner")
    assert errors == [], errors
    assert outside == [], outside
