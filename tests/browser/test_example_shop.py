"""examples/shop: a shop's search results with sponsored products blended in, in Chromium."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.browser.test_dashboard_journeys import shot
from tests.browser.test_publisher_tag import as_shopper
from tests.servers import BOOTSTRAP, base_env, free_port, running_server
from tests.waiting import wait_for, wait_for_equal

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop" / "app.py"
TEAS = [
    {"sku": f"TEA-{n}", "title": f"{brand} {kind} tea", "brand": brand, "category": "beverages/tea", "price": price}
    for n, (brand, kind, price) in enumerate(
        [
            ("Leafwell", "green", 2.49),
            ("Leafwell", "breakfast", 2.19),
            ("Harbor", "mint", 1.99),
            ("Harbor", "chai", 2.99),
        ]
    )
]


def _network(api: httpx.Client) -> None:
    api.post(
        "/v1/placements",
        json={
            "id": "search-sponsored",
            "name": "Search",
            "channel": "search",
            "format": "sponsored_product",
            "floor_cpm": 1,
            "max_ads": 2,
        },
    )
    assert api.post("/v1/products/import", json={"products": TEAS}).status_code == 200
    brand = api.post("/v1/advertisers", json={"name": "Harbor", "domain": "harbor.example"}).json()
    campaign = api.post(
        "/v1/campaigns",
        json={
            "advertiser_id": brand["id"],
            "name": "Chai",
            "budget_total": 100,
            "budget_daily": 10,
            "start": "2026-01-01T00:00:00Z",
        },
    ).json()
    line_item = api.post(
        "/v1/line-items",
        json={
            "campaign_id": campaign["id"],
            "name": "Chai in search",
            "bid": 0.5,
            "pricing": "cpc",
            "placements": ["search-sponsored"],
            "targeting": {"keywords": ["tea"]},
            "products": ["TEA-3"],
        },
    ).json()
    assert (
        api.post(
            "/v1/creatives",
            json={
                "advertiser_id": brand["id"],
                "line_item_id": line_item["id"],
                "format": "sponsored_product",
                "sku": "TEA-3",
            },
        ).status_code
        == 201
    )


def test_sponsored_products_are_labelled_among_organic_results_and_counted(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    with running_server(base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)) as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        _network(api)
        ask = {"placements": [{"id": "search-sponsored"}], "context": {"query": "tea", "keywords": ["tea"]}}
        wait_for(
            lambda: httpx.post(f"{url}/v1/decisions", json=ask).json().get("decisions", {}).get("search-sponsored"),
            10,
            "the new line item in the server's decision snapshot",
            interval=0.1,
        )  # 422 until the placement is
        port = free_port()
        shop = subprocess.Popen(
            [sys.executable, str(SHOP), "--shelfspace", url, "--key", BOOTSTRAP, "--port", str(port)]
        )
        try:

            def shop_up() -> bool:
                assert shop.poll() is None, f"the example shop exited {shop.returncode}"
                try:
                    return httpx.get(f"http://127.0.0.1:{port}/search").status_code == 200
                except httpx.TransportError:
                    return False

            wait_for(shop_up, 20, "the example shop to start", interval=0.2)
            as_shopper(page)
            page.goto(f"http://127.0.0.1:{port}/search?q=tea")
            results = page.locator("#results li")
            assert results.count() == 4  # three organic teas and the sponsored chai, never twice
            first = results.nth(0)
            assert "sponsored" in first.inner_text().lower() and "chai" in first.inner_text()
            assert "/track/click/" in first.locator("a").get_attribute("href")
            assert page.locator("li.sponsored").count() == 1
            shot(page, "example-shop-search")
            today = time.strftime("%Y-%m-%d", time.gmtime())

            def by_sku() -> list[tuple[str, int]]:
                report = api.get("/v1/reports", params={"from": today, "to": today, "group_by": "sku"}).json()
                return [(r["sku"], r["impressions"]) for r in report["rows"]]

            wait_for_equal(
                by_sku, [("TEA-3", 1)], 30, "the report by SKU to count the sponsored impression", interval=0.25
            )
        finally:
            shop.terminate()
            shop.wait(timeout=10)
    assert outside == [], outside
