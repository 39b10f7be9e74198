"""Line items: what is bought, where, at what price, with which targeting."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import BANNER, PRODUCTS, SEARCH, VIDEO, Api, campaign_body, field_errors, line_item_body


@pytest.fixture
def campaign(operator: Api, advertiser_api: Api) -> dict[str, Any]:
    for placement in (BANNER, SEARCH, VIDEO):
        operator.post("/v1/placements", placement)
    operator.post("/v1/products/import", {"products": PRODUCTS}, status=200)
    result: dict[str, Any] = operator.post("/v1/campaigns", campaign_body(advertiser_api.advertiser_id))
    return result


def test_create_with_targeting_cap_and_products(operator: Api, campaign: dict[str, Any]) -> None:
    body = line_item_body(
        campaign["id"],
        placements=["home-hero", "search-top"],
        products=["TENT-2P"],
        targeting={
            "keywords": ["  Lều   cắm trại "],
            "categories": ["Outdoor / Camping"],
            "countries": ["vn", "TH"],
            "devices": ["mobile", "tablet"],
            "dayparts": [{"days": ["sat", "sun"], "start": "08:00", "end": "24:00"}],
        },
    )
    line_item = operator.post("/v1/line-items", body)
    assert line_item["placements"] == ["home-hero", "search-top"]
    assert line_item["advertiser_id"] == campaign["advertiser_id"]
    targeting = line_item["targeting"]
    assert targeting["keywords"] == ["Lều cắm trại"]
    assert targeting["categories"] == ["outdoor/camping"]
    assert targeting["countries"] == ["VN", "TH"]
    assert line_item["frequency_cap"] == {"count": 3, "period": "day"}
    assert operator.get(f"/v1/line-items/{line_item['id']}") == line_item
    listed = operator.get(f"/v1/line-items?campaign_id={campaign['id']}")["data"]
    assert [li["id"] for li in listed] == [line_item["id"]]


def test_update_placements_and_clear_cap(operator: Api, campaign: dict[str, Any]) -> None:
    line_item = operator.post("/v1/line-items", line_item_body(campaign["id"]))
    path = f"/v1/line-items/{line_item['id']}"
    changed = operator.patch(path, {"placements": ["search-top"], "products": ["STOVE-1"], "frequency_cap": None})
    assert changed["placements"] == ["search-top"] and changed["frequency_cap"] is None
    audit = operator.get(f"/v1/audit-log?object_type=line_item&object_id={line_item['id']}")["data"]
    assert [e["action"] for e in audit] == ["create", "update"]
    assert audit[1]["changes"]["placements"] == [["home-hero"], ["search-top"]]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"bid": 2.0}, "bid"),  # below the 2.50 floor of home-hero
        ({"placements": ["ctv-preroll"], "pricing": "cpc"}, "pricing"),  # nothing to click on a TV
        ({"placements": ["search-top"], "products": []}, "products"),
        ({"placements": ["search-top"], "products": ["NOPE-1"]}, "products"),
        ({"placements": ["nowhere"]}, "placements"),
        ({"placements": ["home-hero", "home-hero"]}, "placements"),
        ({"placements": []}, "placements"),
        ({"campaign_id": "cmp_missing"}, "campaign_id"),
        ({"targeting": {"countries": ["XX"]}}, "targeting.countries.0"),
        ({"targeting": {"devices": ["fridge"]}}, "targeting.devices.0"),
        ({"targeting": {"dayparts": [{"days": ["mon"], "start": "18:00", "end": "09:00"}]}}, "targeting.dayparts.0"),
        (
            {"targeting": {"dayparts": [{"days": ["someday"], "start": "08:00", "end": "09:00"}]}},
            "targeting.dayparts.0.days",
        ),
        ({"targeting": {"colour": ["red"]}}, "targeting.colour"),
        ({"frequency_cap": {"count": 0, "period": "day"}}, "frequency_cap.count"),
        ({"frequency_cap": {"count": 1, "period": "fortnight"}}, "frequency_cap.period"),
        ({"pricing": "cpa"}, "pricing"),
        ({"bid": 0}, "bid"),
    ],
)
def test_invalid_line_items_name_the_field(
    operator: Api, campaign: dict[str, Any], overrides: dict[str, Any], field: str
) -> None:
    body = operator.post("/v1/line-items", line_item_body(campaign["id"]) | overrides, status=422)
    assert field in field_errors(body), body


def test_cpc_bid_is_not_held_to_the_cpm_floor(operator: Api, campaign: dict[str, Any]) -> None:
    line_item = operator.post("/v1/line-items", line_item_body(campaign["id"], pricing="cpc", bid=0.4))
    assert line_item["pricing"] == "cpc" and line_item["bid"] == 0.4


def test_raising_a_floor_does_not_rewrite_bids_but_patches_are_checked(operator: Api, campaign: dict[str, Any]) -> None:
    line_item = operator.post("/v1/line-items", line_item_body(campaign["id"]))
    operator.patch("/v1/placements/home-hero", {"floor_cpm": 5})
    path = f"/v1/line-items/{line_item['id']}"
    assert operator.get(path)["bid"] == 3
    assert "bid" in field_errors(operator.patch(path, {"name": "renamed"}, status=422))
    assert operator.patch(path, {"bid": 5})["bid"] == 5


def test_archived_campaign_takes_no_new_line_items(operator: Api, campaign: dict[str, Any]) -> None:
    operator.delete(f"/v1/campaigns/{campaign['id']}")
    body = operator.post("/v1/line-items", line_item_body(campaign["id"]), status=422)
    assert "campaign_id" in field_errors(body)


def test_advertiser_manages_own_line_items(advertiser_api: Api, campaign: dict[str, Any]) -> None:
    line_item = advertiser_api.post("/v1/line-items", line_item_body(campaign["id"]))
    assert advertiser_api.delete(f"/v1/line-items/{line_item['id']}")["status"] == "archived"
