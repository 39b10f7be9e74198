"""The product catalogue and its feed import (JSON and CSV)."""

from __future__ import annotations

from tests.support import PRODUCTS, Api, field_errors

CSV_FEED = (
    "sku,title,brand,category,price,available,url\n"
    "MILK-1,Oat milk 1L,Nordic Oat,Dairy/Milk,2.49,true,https://shop.example/p/milk-1\n"
    "MILK-2,,Nordic Oat,dairy/milk,2.99,true,\n"  # line 3: no title
    "MILK-3,Oat milk barista,Nordic Oat,dairy/milk,abc,yes,\n"  # line 4: bad price
    '"COF-1","Coffee beans, dark roast",Roastery,beverages/coffee,12.5,false,\n'
    "MILK-1,Oat milk again,Nordic Oat,dairy/milk,2.49,true,\n"  # line 6: duplicate SKU
)


def test_product_crud(operator: Api, advertiser_api: Api) -> None:
    created = operator.post("/v1/products", PRODUCTS[0])
    assert created["price"] == 199 and created["category"] == "outdoor/camping"
    assert advertiser_api.get("/v1/products/TENT-2P")["title"] == "Two-person tent"
    advertiser_api.patch("/v1/products/TENT-2P", {"price": 1}, status=403)
    assert operator.patch("/v1/products/TENT-2P", {"available": False})["available"] is False
    operator.post("/v1/products", PRODUCTS[0], status=409)
    archived = operator.delete("/v1/products/TENT-2P")
    assert archived["archived_at"] is not None and archived["available"] is False


def test_json_import_creates_then_updates(operator: Api) -> None:
    first = operator.post("/v1/products/import", {"products": PRODUCTS}, status=200)
    assert first == {"received": 2, "imported": 2, "created": 2, "updated": 0, "rejected": [], "written": True}
    changed = [PRODUCTS[0] | {"price": 179}, {"sku": "MAT-1", "title": "Sleeping mat"}]
    second = operator.post("/v1/products/import", {"products": changed}, status=200)
    assert (second["created"], second["updated"]) == (1, 1)
    assert operator.get("/v1/products/TENT-2P")["price"] == 179


def test_csv_import_reports_each_bad_row_and_keeps_the_good(operator: Api) -> None:
    result = operator.post(
        "/v1/products/import", None, status=200, content=CSV_FEED.encode(), headers={"Content-Type": "text/csv"}
    )
    assert result["imported"] == 2
    problems = {(p["line"], p["field"]) for p in result["rejected"]}
    assert problems == {(3, "title"), (4, "price"), (6, "sku")}
    assert operator.get("/v1/products/MILK-1")["category"] == "dairy/milk"
    assert operator.get("/v1/products/COF-1")["available"] is False
    operator.get("/v1/products/MILK-3", status=404)
    listed = operator.get("/v1/products?category=dairy")["data"]
    assert [p["sku"] for p in listed] == ["MILK-1"]


def test_reject_mode_writes_nothing_when_a_row_is_bad(operator: Api) -> None:
    result = operator.post(
        "/v1/products/import?on_error=reject",
        None,
        status=422,
        content=CSV_FEED.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert result["written"] is False and result["imported"] == 0 and len(result["rejected"]) == 3
    assert operator.get("/v1/products")["data"] == []


def test_json_rows_are_numbered_from_one(operator: Api) -> None:
    feed = {"products": [PRODUCTS[0], {"sku": "bad sku!", "title": "x"}, "not an object"]}
    result = operator.post("/v1/products/import", feed, status=200)
    assert {(p["line"], p["field"]) for p in result["rejected"]} == {(2, "sku"), (3, "")}


def test_feed_shape_errors(operator: Api) -> None:
    assert "products" in field_errors(operator.post("/v1/products/import", {"items": []}, status=422))
    bad_json = operator.post(
        "/v1/products/import", None, status=422, content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert "body" in field_errors(bad_json)
    bad_header = operator.post(
        "/v1/products/import", None, status=422, content=b"name,cost\nx,1\n", headers={"Content-Type": "text/csv"}
    )
    assert "header" in field_errors(bad_header)
    xml = operator.post(
        "/v1/products/import", None, status=415, content=b"<products/>", headers={"Content-Type": "application/xml"}
    )
    assert xml["error"]["code"] == "unsupported_media_type"


def test_ten_thousand_products_import(operator: Api) -> None:
    feed = "sku,title,brand,category,price\n" + "".join(
        f"SKU-{i:05d},Product {i},Brand {i % 40},cat-{i % 12}/sub-{i % 5},{i % 100}.99\n" for i in range(10_000)
    )
    result = operator.post(
        "/v1/products/import", None, status=200, content=feed.encode(), headers={"Content-Type": "text/csv"}
    )
    assert (result["created"], result["rejected"]) == (10_000, [])
    again = operator.post(
        "/v1/products/import", None, status=200, content=feed.encode(), headers={"Content-Type": "text/csv"}
    )
    assert (again["created"], again["updated"]) == (0, 10_000)
    page = operator.get("/v1/products?limit=500&category=cat-3")
    assert len(page["data"]) == 500 and page["has_more"] is True
