"""`POST /v1/decisions` through the app, with the real background snapshot refresher:
the README tour's objects, then winners, prices, explanations and errors."""

from __future__ import annotations

from sqlalchemy import Engine

from shelfspace.accounts.roles import Role
from tests.conftest import new_key
from tests.support import (
    HERO_ASK,
    LIVE_WITHIN_SECONDS,
    Api,
    build_network,
    decide,
    decide_until,
    field_errors,
    line_item_body,
)
from tests.waiting import snapshot_current


def test_the_tour_network_serves_its_line_item_at_the_floor_plus_a_cent(operator: Api, advertiser_api: Api) -> None:
    network = build_network(operator, advertiser_api.advertiser_id or "")
    public = Api(operator.client, None)
    ads, waited = decide_until(public, HERO_ASK, "home-hero", 1)
    assert waited <= LIVE_WITHIN_SECONDS, f"the new line item took {waited:.1f}s to go live"
    [ad] = ads
    assert ad["line_item_id"] == network["line_item"]["id"]
    assert ad["creative_id"] == network["creative"]["id"]
    assert ad["campaign_id"] == network["campaign"]["id"]
    assert ad["pricing"] == "cpm" and ad["price"] == 2.51  # floor 2.50 + 0.01, under the 3.00 bid
    assert ad["creative"]["size"] == "300x250" and ad["creative"]["click_url"] == "https://acme.example/tents"
    assert ad["ad_id"].startswith("ad_")
    # Targeting: another country gets nothing.
    elsewhere = decide(public, HERO_ASK | {"context": HERO_ASK["context"] | {"country": "GB"}})
    assert elsewhere["decisions"]["home-hero"] == []


def test_debug_explains_why_the_others_lost(operator: Api, advertiser_api: Api) -> None:
    network = build_network(operator, advertiser_api.advertiser_id or "")
    campaign_id = network["campaign"]["id"]
    rival = operator.post("/v1/advertisers", {"name": "Rival", "domain": "rival.example"})
    rival_campaign = operator.post(
        "/v1/campaigns",
        {
            "advertiser_id": rival["id"],
            "name": "R",
            "start": "2026-01-01T00:00:00Z",
            "budget_total": 100,
            "pacing": "asap",
        },
    )
    richer = operator.post("/v1/line-items", line_item_body(rival_campaign["id"], bid=4.0, frequency_cap=None))
    elsewhere = operator.post(
        "/v1/line-items", line_item_body(campaign_id, name="Bikes", bid=9.0, targeting={"keywords": ["bike"]})
    )
    for line_item, advertiser in ((richer, rival["id"]), (elsewhere, advertiser_api.advertiser_id)):
        operator.post(
            "/v1/creatives",
            {
                "advertiser_id": advertiser,
                "line_item_id": line_item["id"],
                "format": "banner",
                "size": "300x250",
                "image_url": "https://x.example/a.png",
                "click_url": "https://x.example/",
            },
        )
    snapshot_current(operator.client)  # every line item above in it, not just the first one built
    answer = decide(operator, HERO_ASK | {"debug": True})
    [ad] = answer["decisions"]["home-hero"]
    assert ad["line_item_id"] == richer["id"] and ad["price"] == 3.01  # pays the runner-up's 3.00 + 0.01
    told = {e["line_item_id"]: e for e in answer["explain"]}
    assert told[richer["id"]]["won"] and told[richer["id"]]["reason"] is None
    assert told[network["line_item"]["id"]]["reason"] == "outbid" and told[network["line_item"]["id"]]["ecpm"] == 3.0
    assert told[elsewhere["id"]]["reason"] == "keyword_mismatch"


def test_debug_needs_an_operator_key(operator: Api, advertiser_api: Api) -> None:
    build_network(operator, advertiser_api.advertiser_id or "")
    decide_until(operator, HERO_ASK, "home-hero", 1)
    body = HERO_ASK | {"debug": True}
    assert Api(operator.client, None).call("POST", "/v1/decisions", body).status_code == 401
    assert advertiser_api.call("POST", "/v1/decisions", body).status_code == 403
    assert (
        "explain" not in decide(Api(operator.client, None), HERO_ASK)
        or decide(Api(operator.client, None), HERO_ASK)["explain"] is None
    )


def test_an_unknown_placement_is_a_422_naming_it(operator: Api, advertiser_api: Api) -> None:
    build_network(operator, advertiser_api.advertiser_id or "")
    decide_until(operator, HERO_ASK, "home-hero", 1)
    answer = decide(operator, {"placements": [{"id": "home-hero"}, {"id": "nowhere"}]}, status=422)
    assert "placements.1.id" in field_errors(answer)
    answer = decide(operator, {"placements": [{"id": "home-hero"}, {"id": "home-hero"}]}, status=422)
    assert "placements" in field_errors(answer)


def test_a_pending_creative_serves_only_once_approved(operator: Api, engine: Engine) -> None:
    advertiser = operator.post("/v1/advertisers", {"name": "Brand", "domain": "brand.example"})
    brand = Api(operator.client, new_key(engine, Role.ADVERTISER, advertiser["id"]))
    network = build_network(operator, advertiser["id"])
    operator.delete(f"/v1/creatives/{network['creative']['id']}")
    creative = brand.post(
        "/v1/creatives",
        {
            "line_item_id": network["line_item"]["id"],
            "format": "banner",
            "size": "300x250",
            "image_url": "https://brand.example/a.png",
            "click_url": "https://brand.example/",
        },
    )
    assert creative["status"] == "pending"
    public = Api(operator.client, None)
    snapshot_current(operator.client)  # the snapshot has the pending creative: still nothing serves
    assert decide(public, HERO_ASK)["decisions"]["home-hero"] == []
    operator.patch(f"/v1/creatives/{creative['id']}", {"status": "approved"})
    ads, waited = decide_until(public, HERO_ASK, "home-hero", 1)
    assert ads[0]["creative_id"] == creative["id"] and waited <= LIVE_WITHIN_SECONDS


def test_sponsored_products_come_with_their_product(operator: Api, advertiser_api: Api) -> None:
    network = build_network(operator, advertiser_api.advertiser_id or "")
    line_item = operator.post(
        "/v1/line-items",
        line_item_body(
            network["campaign"]["id"],
            name="Tents in search",
            placements=["search-top"],
            bid=2.0,
            targeting={},
            frequency_cap=None,
            products=["TENT-2P", "STOVE-1"],
        ),
    )
    for sku in ("TENT-2P", "STOVE-1"):
        operator.post(
            "/v1/creatives",
            {
                "advertiser_id": advertiser_api.advertiser_id,
                "line_item_id": line_item["id"],
                "format": "sponsored_product",
                "sku": sku,
            },
        )
    ask = {"placements": [{"id": "search-top", "count": 3}], "context": {"query": "tents"}}
    ads, _ = decide_until(Api(operator.client, None), ask, "search-top", 1)
    [ad] = ads  # one advertiser, one slot; the stove is not a tent
    assert ad["sku"] == "TENT-2P" and ad["product"]["title"] == "Two-person tent" and ad["product"]["price"] == 199.0
    assert ad["price"] == 1.01  # the search placement's floor 1.00 + 0.01
