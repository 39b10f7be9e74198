"""Sponsored products only from the brand's own, unless a reseller (issue 21), in Debian's
Chromium against the real server, offline, under the pages' CSP: Harbor Tea's wizard offers
its own tea and neither lists nor finds Copper Kettle's; the operator allows it to resell
(the advertiser's page says which it is; the switch is on the advertisers' list); the
wizard then offers the rival's product, and the campaign promoting it is booked; the
review queue's card names whose SKU it is. axe-core on every page opened.

Screenshot: tests/artifacts/screenshots/reseller-review-card.png (the review card alone).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.browser.accessibility import assert_accessible
from tests.browser.network import BOSS, BRAND, harbor_tea
from tests.browser.test_content_security_policy import Violations
from tests.browser.test_dashboard_journeys import SHOTS, _sign_in
from tests.servers import BOOTSTRAP, base_env, running_server
from tests.support import SEARCH  # the sponsored-products placement "search-top"

OWN, RIVAL = "HT-EARL", "CK-OOLONG"  # Harbor Tea's tea and another brand's, sold in the same shop
RIVAL_BRAND = "Copper Kettle"
PRODUCTS = [
    {"sku": OWN, "title": "Earl Grey loose leaf", "brand": "Harbor Tea", "price": 8.5},
    {"sku": RIVAL, "title": "Oolong tin", "brand": RIVAL_BRAND, "price": 11.0},
]
CURRENT = "document.querySelector('[data-step-label][aria-current=step]').dataset.stepLabel"


def _network(api: httpx.Client) -> str:
    """Harbor Tea with its people, a sponsored-products placement and both products."""
    brand = harbor_tea(api)
    assert api.post("/v1/placements", json=SEARCH).status_code == 201
    imported = api.post("/v1/products/import", json={"products": PRODUCTS})
    assert imported.status_code == 200, imported.text
    return brand


def _at_step(page: Any, step: int) -> None:
    page.wait_for_function(f"() => {CURRENT} === '{step}'")


def _box(page: Any, sku: str) -> Any:
    return page.locator(f"[data-products] input[name=products][value='{sku}']")


def _search(page: Any, term: str) -> list[dict[str, Any]]:
    """Types `term` in the product search and returns what the server answered to it."""
    with page.expect_response(lambda r: "/brand/products?q=" in r.url and r.url.endswith(term)) as answer:
        page.fill("[data-product-search]", term)
    found: list[dict[str, Any]] = answer.value.json()
    return found


def _to_products_step(page: Any, url: str) -> None:
    """A new sales campaign on the search placement, walked up to its creative step."""
    page.goto(f"{url}/brand/campaigns/new")
    _at_step(page, 0)
    page.check("input[value=sales]")
    page.fill("input[name=name]", "Tea aisle")
    page.press("input[name=name]", "Enter")
    _at_step(page, 1)
    page.fill("input[name=budget_total]", "300")
    page.fill("input[name=budget_daily]", "30")
    page.press("input[name=budget_daily]", "Enter")
    _at_step(page, 2)
    page.check("#pl-search-top")
    page.click("[data-next]")
    _at_step(page, 3)
    page.click("[data-next]")
    _at_step(page, 4)
    assert page.input_value("select[name=pricing]") == "cpc"  # the sales goal buys clicks
    page.fill("input[name=bid]", "0.5")
    page.click("[data-next]")
    _at_step(page, 5)
    page.locator("[data-for-format=sponsored_product]").wait_for()


def _only_its_own(page: Any, url: str) -> None:
    _to_products_step(page, url)
    assert _box(page, OWN).count() == 1 and _box(page, RIVAL).count() == 0
    assert RIVAL_BRAND not in page.locator("[data-products]").inner_text()
    assert [p["sku"] for p in _search(page, "Earl")] == [OWN]  # the search works...
    assert _search(page, "Copper") == []  # ...and finds nothing of the rival's: nothing to add
    assert _box(page, RIVAL).count() == 0
    assert_accessible(page)


def _made_a_reseller(page: Any, url: str, api: httpx.Client, brand: str) -> None:
    page.goto(f"{url}/console/advertisers/{brand}")
    sponsored = page.locator("dt:has-text('Sponsored products') + dd")
    assert sponsored.inner_text() == "Its own brands' only"
    assert_accessible(page)
    page.click("a:has-text('All advertisers')")
    page.wait_for_load_state()
    assert page.locator(f"tr[data-advertiser='{brand}'] [data-reseller]").get_attribute("data-reseller") == "no"
    assert_accessible(page)
    page.click("button:has-text('Allow other brands for Harbor Tea')")
    page.wait_for_load_state()
    assert "Harbor Tea is a reseller" in page.locator(".flash").inner_text()
    assert page.locator(f"tr[data-advertiser='{brand}'] [data-reseller]").get_attribute("data-reseller") == "yes"
    assert api.get(f"/v1/advertisers/{brand}").json()["reseller"] is True
    page.goto(f"{url}/console/advertisers/{brand}")
    assert sponsored.inner_text() == "Any brand's (reseller)"


def _books_the_rivals_product(page: Any, url: str, api: httpx.Client, brand: str) -> str:
    _to_products_step(page, url)
    assert _box(page, OWN).count() == 1 and _box(page, RIVAL).count() == 1
    found = _search(page, "Copper")
    assert [(p["sku"], p["own"]) for p in found] == [(RIVAL, False)]
    assert_accessible(page)
    _box(page, RIVAL).check()
    page.click("[data-next]")  # "Review"
    _at_step(page, 6)
    summary = page.locator("[data-summary-ready]")
    summary.wait_for()
    assert RIVAL in summary.inner_text() and OWN not in summary.inner_text()
    assert_accessible(page)
    page.click("[data-submit]")
    page.wait_for_load_state()
    assert "is created" in page.locator(".flash").inner_text()
    assert_accessible(page)
    creatives = api.get("/v1/creatives", params={"advertiser_id": brand}).json()["data"]
    assert [(c["sku"], c["status"]) for c in creatives] == [(RIVAL, "pending")]
    return str(creatives[0]["id"])


def _review_card_names_the_owner(page: Any, url: str, creative: str) -> None:
    page.goto(f"{url}/console/review")
    card = page.locator(f"[data-creative='{creative}']")
    owner = card.locator("[data-sku-owner]")
    assert owner.get_attribute("data-sku-owner") == "other"
    said = " ".join(owner.inner_text().split())
    assert said == (
        f"Promotes {RIVAL}, a product of {RIVAL_BRAND}: not Harbor Tea's brand (allowed: Harbor Tea is a reseller)."
    ), said
    assert_accessible(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    card.screenshot(path=str(SHOTS / "reseller-review-card.png"))


def test_sponsored_products_only_from_the_brands_own_unless_a_reseller(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    violations = Violations(page)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with running_server(
        base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP), log=tmp_path / "server.log"
    ) as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        brand = _network(api)
        _sign_in(page, url, BRAND)
        _only_its_own(page, url)
        page.context.clear_cookies()
        _sign_in(page, url, BOSS)
        _made_a_reseller(page, url, api, brand)
        page.context.clear_cookies()
        _sign_in(page, url, BRAND)
        creative = _books_the_rivals_product(page, url, api, brand)
        page.context.clear_cookies()
        _sign_in(page, url, BOSS)
        _review_card_names_the_owner(page, url, creative)
    assert violations == [] and errors == [], (violations, errors)
    assert outside == [], f"pages reached outside the machine: {outside}"
