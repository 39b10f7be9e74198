"""A real Prebid.js (npm `prebid.js`, its core and the Prebid Server adapter, built by
scripts/test) in headless Chromium uses Shelfspace as its Prebid Server: the page, served
from the loopback by this test, asks for bids, receives Shelfspace's, renders the winner,
and the impression it fires counts in `/v1/reports`."""

from __future__ import annotations

import struct
import time
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from tests.browser.test_dashboard_journeys import BROWSER_UA
from tests.browser.test_publisher_tag import as_shopper
from tests.databases import missing
from tests.servers import BOOTSTRAP, base_env, running_server, static_site
from tests.support import live_dates
from tests.waiting import wait_for

HERE = Path(__file__).parent
BUNDLE = HERE / "build" / "prebid.js"
SHOTS = HERE.parent / "artifacts" / "screenshots"


def bundle() -> bytes:
    if not BUNDLE.exists():
        missing("tests/prebid/build/prebid.js is not built (scripts/test runs npm ci and npm run build there)")
    return BUNDLE.read_bytes()


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain-coloured PNG, the creative's image (made here: nothing leaves the machine)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def _network(api: httpx.Client, image_url: str) -> dict[str, Any]:
    assert (
        api.post(
            "/v1/placements",
            json={
                "id": "news-hero",
                "name": "News hero",
                "channel": "web",
                "format": "banner",
                "sizes": ["300x250"],
                "floor_cpm": 2,
            },
        ).status_code
        == 201
    )
    brand = api.post("/v1/advertisers", json={"name": "Acme Outdoor", "domain": "acme.example"}).json()
    campaign = api.post(
        "/v1/campaigns",
        json={"advertiser_id": brand["id"], "name": "Tents", **live_dates(), "budget_total": 1000, "pacing": "asap"},
    ).json()
    line_item = api.post(
        "/v1/line-items",
        json={"campaign_id": campaign["id"], "name": "Hero", "pricing": "cpm", "bid": 4, "placements": ["news-hero"]},
    ).json()
    creative = api.post(
        "/v1/creatives",
        json={
            "advertiser_id": brand["id"],
            "line_item_id": line_item["id"],
            "format": "banner",
            "size": "300x250",
            "title": "Acme tents",
            "image_url": image_url,
            "click_url": "https://acme.example/tents",
        },
    )
    assert creative.status_code == 201, creative.text
    return {"campaign": campaign, "creative": creative.json()}


def _until_live(url: str) -> None:
    body = {
        "id": "warm-up",
        "test": 1,
        "imp": [{"id": "1", "tagid": "news-hero", "banner": {"format": [{"w": 300, "h": 250}]}}],
    }
    wait_for(
        lambda: httpx.post(f"{url}/openrtb2/auction", json=body).status_code == 200,
        10,
        "the new line item to bid",
        interval=0.1,
    )


def test_prebid_js_gets_renders_and_counts_a_shelfspace_bid(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "prebid.js").write_bytes(bundle())
    (site / "index.html").write_text((HERE / "page.html").read_text())
    (site / "tent.png").write_bytes(png(300, 250, (46, 125, 50)))
    page, outside = page_and_outside
    # The publisher's page is on an origin of its own, which the operator lists: the
    # auction's credentialed CORS answers only listed origins (tests/prebid/test_cors.py).
    with (
        static_site(site) as site_url,
        running_server(
            base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP, SHELFSPACE_PREBID_ORIGINS=site_url)
        ) as url,
    ):
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        built = _network(api, f"{site_url}/tent.png")
        _until_live(url)  # a test request: nothing counted
        as_shopper(page)  # headless Chrome's own user agent is rightly counted as a bot
        auctions: list[Any] = []
        impressions: list[str] = []
        page.on("request", lambda r: auctions.append(r) if r.url.endswith("/openrtb2/auction") else None)
        page.on("request", lambda r: impressions.append(r.url) if "/track/impression/" in r.url else None)
        answered: list[str] = []  # impression requests the server has answered: stored, if counted
        page.on("requestfinished", lambda r: answered.append(r.url) if "/track/impression/" in r.url else None)
        page.goto(f"{site_url}/index.html?shelfspace={quote(url)}&placement=news-hero")
        page.wait_for_function("window.result.rendered !== null", timeout=15000)
        result = page.evaluate("window.result")
        [bid] = result["bids"]
        assert bid["bidder"] == "shelfspace" and bid["cpm"] == 2.01 and bid["currency"] == "USD"
        assert bid["creativeId"] == built["creative"]["id"] and (bid["width"], bid["height"]) == (300, 250)
        assert bid["mediaType"] == "banner" and bid["advertiserDomains"] == ["acme.example"]
        # What Prebid.js sent: an OpenRTB request whose imp names our placement.
        sent = auctions[0].post_data_json
        assert sent["imp"][0]["tagid"] == "news-hero"

        # The winner rendered: our creative's image, loaded, in the slot's frame.
        # (Prebid.js may render into a frame of its own inside the slot's: look in every frame.)
        def loaded_image() -> list[Any] | None:
            for frame in page.frames:
                found: list[Any] | None = frame.evaluate(
                    "() => { const i = document.querySelector(\"img[alt='Acme tents']\");"
                    " return i && i.complete ? [i.naturalWidth, i.getAttribute('src')] : null; }"
                )
                if found:
                    return found
            return None

        loaded = wait_for(loaded_image, 5, "our creative's image loaded in a frame", interval=0.1)
        assert loaded == [300, f"{site_url}/tent.png"], loaded
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "prebid-js-shelfspace-bid.png"))
        assert outside == []
        # The impression (adm pixel and Prebid's burl: one event) counted and charged. Once
        # both are answered, a click on the ad is sent: the reports roll the log up in order,
        # so when they count the click they have counted whatever the two impressions stored.
        wait_for(lambda: len(answered) >= 2, 10, "both impression requests answered")
        click = next(
            frame.evaluate(
                "() => { const a = document.querySelector(\"a[href*='/track/click/']\"); return a && a.href; }"
            )
            for frame in page.frames
            if frame.evaluate("() => !!document.querySelector(\"a[href*='/track/click/']\")")
        )
        assert httpx.get(click, headers={"User-Agent": BROWSER_UA}).status_code == 302
        today = time.strftime("%Y-%m-%d", time.gmtime())

        def campaign_row() -> dict[str, Any]:
            rows = api.get("/v1/reports", params={"from": today, "to": today, "group_by": "campaign"}).json()["rows"]
            return next((r for r in rows if r["campaign_id"] == built["campaign"]["id"]), {})

        counted = [
            wait_for(
                lambda: campaign_row() if campaign_row().get("clicks") == 1 else None,
                30,
                "the report to count the click sent after the impressions",
                interval=0.25,
            )
        ]
        assert counted[0]["impressions"] == 1, impressions
        # Both were fetched (the adm's pixel, and Prebid.js's burl on render) and counted once.
        assert len(impressions) == 2 and {u.split("?")[0] for u in impressions} == {impressions[0].split("?")[0]}
        assert abs(counted[0]["spend"] - 2.01 / 1000) < 1e-9
