"""Creatives and the operator's review queue."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, banner_creative, build_network, field_errors


@pytest.fixture
def network(operator: Api, advertiser_api: Api) -> dict[str, Any]:
    return build_network(operator, advertiser_api.advertiser_id or "")


def test_operator_creatives_start_approved(network: dict[str, Any]) -> None:
    assert network["creative"]["status"] == "approved"
    assert network["creative"]["reviewed_at"] is not None


def test_review_flow(operator: Api, advertiser_api: Api, network: dict[str, Any]) -> None:
    line_item_id = network["line_item"]["id"]
    creative = advertiser_api.post("/v1/creatives", banner_creative(None, line_item_id))
    assert creative["status"] == "pending"
    path = f"/v1/creatives/{creative['id']}"
    queue = operator.get("/v1/creatives?status=pending")["data"]
    assert [c["id"] for c in queue] == [creative["id"]]

    advertiser_api.patch(path, {"status": "approved"}, status=403)
    assert "review_note" in field_errors(operator.patch(path, {"status": "rejected"}, status=422))
    rejected = operator.patch(path, {"status": "rejected", "review_note": "Text covers more than 20% of the image"})
    assert rejected["status"] == "rejected" and rejected["review_note"].startswith("Text covers")

    resubmitted = advertiser_api.patch(path, {"image_url": "https://acme.example/b.png"})
    assert resubmitted["status"] == "pending"  # a change goes back to review
    assert resubmitted["review_note"] is None  # the old reason judged the old content (the audit log keeps it)

    approved = operator.patch(path, {"status": "approved"})
    assert approved["status"] == "approved" and approved["reviewed_at"] is not None
    actions = [e["action"] for e in operator.get(f"/v1/audit-log?object_id={creative['id']}")["data"]]
    assert actions == ["create", "review", "update", "review"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"size": "728x90"}, "size"),  # the line item's banner placement has no 728x90
        ({"size": None}, "size"),
        ({"click_url": "javascript:alert(1)"}, "click_url"),
        ({"image_url": "ftp://acme.example/a.png"}, "image_url"),
        ({"format": "video"}, "format"),  # the line item buys banners
        ({"format": "native", "title": None}, "title"),
        ({"line_item_id": "li_missing"}, "line_item_id"),
        ({"sku": "NOPE"}, "sku"),
    ],
)
def test_invalid_creatives_name_the_field(
    operator: Api, advertiser_api: Api, network: dict[str, Any], overrides: dict[str, Any], field: str
) -> None:
    body = banner_creative(advertiser_api.advertiser_id, network["line_item"]["id"]) | overrides
    assert field in field_errors(operator.post("/v1/creatives", body, status=422))


def test_sponsored_product_creative_needs_a_catalogue_sku(operator: Api, advertiser_api: Api) -> None:
    build_network(operator, advertiser_api.advertiser_id or "")
    body = {"advertiser_id": advertiser_api.advertiser_id, "format": "sponsored_product"}
    assert "sku" in field_errors(operator.post("/v1/creatives", body, status=422))
    assert operator.post("/v1/creatives", body | {"sku": "TENT-2P"})["sku"] == "TENT-2P"


def test_archive_hides_from_lists(operator: Api, network: dict[str, Any]) -> None:
    creative_id = network["creative"]["id"]
    assert operator.delete(f"/v1/creatives/{creative_id}")["archived_at"] is not None
    assert operator.get("/v1/creatives")["data"] == []
    operator.patch(f"/v1/creatives/{creative_id}", {"title": "x"}, status=409)
