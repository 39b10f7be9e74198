"""Sponsored products: an advertiser promotes its own brands' products, unless the operator
made it a reseller (catalog/promotable.py), in line items and creatives alike."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import SEARCH, Api, campaign_body, field_errors, line_item_body

PRODUCTS = [
    {
        "sku": "TENT-2P",
        "title": "Two-person tent",
        "brand": " acme OUTDOOR ",
        "category": "outdoor/camping",
        "price": 199.0,
    },
    {
        "sku": "RIVAL-TENT",
        "title": "Rival tent",
        "brand": "Rival Camping",
        "category": "outdoor/camping",
        "price": 149.0,
    },
    {"sku": "LOOSE-1", "title": "Unbranded pegs", "category": "outdoor/camping", "price": 4.0},
]


@pytest.fixture
def campaign(operator: Api, advertiser_api: Api) -> dict[str, Any]:
    operator.post("/v1/placements", SEARCH)
    operator.post("/v1/products/import", {"products": PRODUCTS}, status=200)
    result: dict[str, Any] = advertiser_api.post("/v1/campaigns", campaign_body(None))
    return result


def _sponsored(campaign_id: str, skus: list[str]) -> dict[str, Any]:
    return line_item_body(campaign_id, placements=["search-top"], pricing="cpc", bid=0.5, products=skus)


def test_a_brand_books_its_own_products_and_is_refused_a_rivals(advertiser_api: Api, campaign: dict[str, Any]) -> None:
    # "Acme Outdoor" answers for its name: " acme OUTDOOR " is its brand, matched as attribution matches it.
    mine = advertiser_api.post("/v1/line-items", _sponsored(campaign["id"], ["TENT-2P"]))
    assert mine["products"] == ["TENT-2P"]
    refused = advertiser_api.post(
        "/v1/line-items", _sponsored(campaign["id"], ["TENT-2P", "RIVAL-TENT", "LOOSE-1"]), status=422
    )
    message = field_errors(refused)["products"]
    assert "RIVAL-TENT (Rival Camping)" in message and "LOOSE-1 (no brand)" in message
    assert "TENT-2P," not in message and len(advertiser_api.get("/v1/line-items")["data"]) == 1


def test_adding_a_rivals_product_later_is_refused(advertiser_api: Api, campaign: dict[str, Any]) -> None:
    mine = advertiser_api.post("/v1/line-items", _sponsored(campaign["id"], ["TENT-2P"]))
    answer = advertiser_api.call("PATCH", f"/v1/line-items/{mine['id']}", {"products": ["TENT-2P", "RIVAL-TENT"]})
    assert answer.status_code == 422, answer.text
    assert "RIVAL-TENT" in field_errors(answer.json())["products"]
    assert advertiser_api.get(f"/v1/line-items/{mine['id']}")["products"] == ["TENT-2P"]


def test_a_sponsored_product_creative_of_a_rivals_sku_is_refused(advertiser_api: Api, campaign: dict[str, Any]) -> None:
    line_item = advertiser_api.post("/v1/line-items", _sponsored(campaign["id"], ["TENT-2P"]))
    body = {"format": "sponsored_product", "line_item_id": line_item["id"]}
    advertiser_api.post("/v1/creatives", body | {"sku": "TENT-2P"})
    refused = advertiser_api.post("/v1/creatives", body | {"sku": "RIVAL-TENT"}, status=422)
    assert "RIVAL-TENT (Rival Camping)" in field_errors(refused)["sku"]


def test_only_the_operator_makes_a_reseller_who_may_then_promote_others(
    operator: Api, advertiser_api: Api, campaign: dict[str, Any]
) -> None:
    path = f"/v1/advertisers/{advertiser_api.advertiser_id}"
    assert advertiser_api.get(path)["reseller"] is False
    advertiser_api.patch(path, {"reseller": False})  # sending back what it read is not refused
    assert advertiser_api.call("PATCH", path, {"reseller": True}).status_code == 403
    # The operator books any product for any advertiser: it is the one who grants the exception.
    operator.post("/v1/line-items", _sponsored(campaign["id"], ["RIVAL-TENT"]))
    assert operator.patch(path, {"reseller": True})["reseller"] is True
    resold = advertiser_api.post("/v1/line-items", _sponsored(campaign["id"], ["RIVAL-TENT", "LOOSE-1"]))
    assert resold["products"] == ["RIVAL-TENT", "LOOSE-1"]
    audit = operator.get(f"/v1/audit-log?object_type=advertiser&object_id={advertiser_api.advertiser_id}")["data"]
    assert audit[-1]["changes"]["reseller"] == [False, True]
