"""Placements: the operator's inventory, and the rules that keep it sellable."""

from __future__ import annotations

import pytest

from tests.support import BANNER, SEARCH, VIDEO, Api, field_errors


def test_create_read_list_update_archive(operator: Api) -> None:
    created = operator.post("/v1/placements", BANNER)
    assert created["id"] == "home-hero"
    assert created["floor_cpm"] == 2.5 and created["status"] == "active"
    assert operator.get("/v1/placements/home-hero") == created

    operator.post("/v1/placements", SEARCH)
    listed = operator.get("/v1/placements")
    assert [p["id"] for p in listed["data"]] == ["home-hero", "search-top"]

    changed = operator.patch("/v1/placements/home-hero", {"floor_cpm": 3.125, "max_ads": 2})
    assert changed["floor_cpm"] == 3.125 and changed["max_ads"] == 2

    archived = operator.delete("/v1/placements/home-hero")
    assert archived["status"] == "archived"
    assert [p["id"] for p in operator.get("/v1/placements")["data"]] == ["search-top"]
    assert len(operator.get("/v1/placements?include_archived=true")["data"]) == 2
    operator.patch("/v1/placements/home-hero", {"name": "back"}, status=409)


def test_money_keeps_six_decimals_exactly(operator: Api) -> None:
    response = operator.call("POST", "/v1/placements", BANNER | {"floor_cpm": 1.123456})
    assert response.status_code == 201
    assert '"floor_cpm":1.123456,' in response.text  # the exact decimal, as a JSON number
    too_precise = operator.post("/v1/placements", SEARCH | {"floor_cpm": 1.1234567}, status=422)
    assert "floor_cpm" in field_errors(too_precise)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "Home Hero!"}, "id"),
        ({"channel": "radio"}, "channel"),
        ({"format": "video"}, "format"),  # a web placement may be video, but not on email/search
        ({"sizes": ["300 by 250"]}, "sizes.0"),
        ({"sizes": []}, "sizes"),
        ({"floor_cpm": -1}, "floor_cpm"),
        ({"max_ads": 0}, "max_ads"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_invalid_placements_name_the_field(operator: Api, change: dict[str, object], field: str) -> None:
    base = BANNER | {"channel": "email", "sizes": ["600x200"]}
    body = operator.post("/v1/placements", base | change, status=422)
    assert body["error"]["code"] == "validation_failed"
    assert field in field_errors(body), body


def test_ctv_sells_video_only(operator: Api) -> None:
    body = operator.post("/v1/placements", VIDEO | {"format": "banner"}, status=422)
    assert "format" in field_errors(body)
    operator.post("/v1/placements", VIDEO)


def test_duplicate_id_is_a_conflict(operator: Api) -> None:
    operator.post("/v1/placements", BANNER)
    body = operator.post("/v1/placements", BANNER, status=409)
    assert body["error"]["code"] == "conflict"


def test_unknown_placement_is_404(operator: Api) -> None:
    assert operator.get("/v1/placements/nowhere", status=404)["error"]["code"] == "not_found"


def test_advertisers_read_inventory_but_cannot_change_it(operator: Api, advertiser_api: Api) -> None:
    operator.post("/v1/placements", BANNER)
    assert advertiser_api.get("/v1/placements/home-hero")["id"] == "home-hero"
    advertiser_api.post("/v1/placements", SEARCH, status=403)
    advertiser_api.patch("/v1/placements/home-hero", {"floor_cpm": 0}, status=403)
    advertiser_api.delete("/v1/placements/home-hero", status=403)
    assert operator.get("/v1/placements/home-hero")["floor_cpm"] == 2.5


def test_pagination_walks_every_item_once(operator: Api) -> None:
    ids = [f"slot-{i:02d}" for i in range(7)]
    for placement_id in ids:
        operator.post("/v1/placements", BANNER | {"id": placement_id})
    seen: list[str] = []
    cursor = None
    while True:
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = operator.get("/v1/placements" + query)
        seen += [p["id"] for p in page["data"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        cursor = page["next_cursor"]
    assert seen == ids
    assert "limit" in field_errors(operator.get("/v1/placements?limit=0", status=422))
