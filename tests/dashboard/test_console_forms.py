"""The console's forms: floors, placements, the product feed, suspensions and competitor rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfspace.catalog.enums import DeliveryStatus, Pacing
from shelfspace.catalog.models import Campaign
from shelfspace.dashboard.console.health import Pace, pace
from tests.dashboard.pages import focused, make_user, post_form, sign_in, token_of
from tests.support import BANNER, Api


def _signed_in(client: TestClient, engine: Engine) -> None:
    make_user(engine, "ops@network.example")
    sign_in(client, "ops@network.example")


def test_a_floor_is_changed_or_the_mistake_named(client: TestClient, operator: Api, engine: Engine) -> None:
    operator.post("/v1/placements", BANNER)
    _signed_in(client, engine)
    bad = post_form(
        client, "/console/inventory", "/console/inventory/home-hero", {"floor_cpm": "-3", "blocked_categories": ""}
    )
    assert bad.status_code == 400 and "field-error" in bad.text and 'value="-3"' in bad.text
    assert focused(bad.text) == ["floor_cpm"]  # in the placement's row, scrolled to
    assert operator.get("/v1/placements/home-hero")["floor_cpm"] == 2.5
    good = post_form(
        client,
        "/console/inventory",
        "/console/inventory/home-hero",
        {"floor_cpm": "3.75", "blocked_categories": "media/streaming"},
    )
    assert good.status_code == 303
    placement = operator.get("/v1/placements/home-hero")
    assert placement["floor_cpm"] == 3.75 and placement["blocked_categories"] == ["media/streaming"]


def test_a_placement_is_added_with_its_mistakes_beside_the_fields(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    _signed_in(client, engine)
    form = {
        "id": "Bad Id!",
        "name": "Checkout banner",
        "channel": "web",
        "format": "banner",
        "sizes": "728x90",
        "floor_cpm": "2",
        "max_ads": "1",
    }
    bad = post_form(client, "/console/inventory", "/console/inventory", form)
    assert bad.status_code == 400 and 'id="id-error"' in bad.text and focused(bad.text) == ["id"]
    assert operator.get("/v1/placements")["data"] == []
    assert (
        post_form(client, "/console/inventory", "/console/inventory", form | {"id": "checkout-banner"}).status_code
        == 303
    )
    assert operator.get("/v1/placements/checkout-banner")["sizes"] == ["728x90"]


def test_a_product_feed_is_imported_and_bad_rows_listed(client: TestClient, operator: Api, engine: Engine) -> None:
    _signed_in(client, engine)
    feed = (
        "sku,title,brand,category,price,available\n"
        "TEA-1,Green tea 20 bags,Harbor,beverages/tea,2.49,true\n"
        "TEA-2,,Harbor,beverages/tea,2.49,true\n"
    )
    token = token_of(client.get("/console/products").text)
    answer = client.post(
        "/console/products/feed",
        data={"csrf_token": token, "on_error": "skip"},
        files={"feed": ("feed.csv", feed.encode(), "text/csv")},
    )
    assert answer.status_code == 200
    assert "Imported 1 of 2 rows" in answer.text and "<td>3</td>" in answer.text  # line 3 is listed
    assert [p["sku"] for p in operator.get("/v1/products")["data"]] == ["TEA-1"]
    found = client.get("/console/products", params={"q": "green"}).text
    assert "Green tea 20 bags" in found
    refused = client.post(
        "/console/products/feed",
        data={"csrf_token": token, "on_error": "reject"},
        files={"feed": ("feed.csv", feed.replace("TEA-1", "TEA-9").encode(), "text/csv")},
    )
    assert refused.status_code == 400 and "Nothing was imported" in refused.text
    assert [p["sku"] for p in operator.get("/v1/products")["data"]] == ["TEA-1"]


def test_suspending_and_competitor_rules(client: TestClient, operator: Api, engine: Engine) -> None:
    a = operator.post("/v1/advertisers", {"name": "Fizzwell", "domain": "fizzwell.example"})
    b = operator.post("/v1/advertisers", {"name": "Brightbean", "domain": "brightbean.example"})
    _signed_in(client, engine)
    assert "Fizzwell" in client.get("/console/advertisers").text
    post_form(client, "/console/advertisers", f"/console/advertisers/{a['id']}/status", {"action": "suspend"})
    assert operator.get(f"/v1/advertisers/{a['id']}")["status"] == "suspended"
    post_form(client, "/console/advertisers", f"/console/advertisers/{a['id']}/status", {"action": "reactivate"})
    assert operator.get(f"/v1/advertisers/{a['id']}")["status"] == "active"
    itself = post_form(client, "/console/rules", "/console/rules/pairs", {"first": a["id"], "second": a["id"]})
    assert itself.status_code == 400 and 'id="second-error"' in itself.text
    added = post_form(client, "/console/rules", "/console/rules/pairs", {"first": a["id"], "second": b["id"]})
    assert added.status_code == 303
    assert operator.get(f"/v1/advertisers/{a['id']}")["competitors"] == [b["id"]]
    assert operator.get(f"/v1/advertisers/{b['id']}")["competitors"] == [a["id"]]  # a pair: both sides
    assert 'data-pair="Brightbean ↔ Fizzwell"' in client.get("/console/rules").text


def test_the_health_page_lists_live_campaigns(
    client: TestClient, operator: Api, engine: Engine, advertiser_api: Api
) -> None:
    operator.post(
        "/v1/campaigns",
        {
            "advertiser_id": advertiser_api.advertiser_id,
            "name": "Tents",  # type: ignore[attr-defined]
            "budget_total": 100,
            "budget_daily": 10,
            "start": "2026-01-01T00:00:00Z",
        },
    )
    _signed_in(client, engine)
    html = client.get("/console/health").text
    assert "Tents" in html and "Acme Outdoor" in html
    # Its state is the status function's: no line item yet is a draft, with no pace, never "on pace".
    assert 'data-state="draft"' in html and "no line item yet" in html and "data-pace" not in html


def _campaign(**fields: object) -> Campaign:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    values: dict[str, object] = {
        "status": DeliveryStatus.LIVE,
        "start": now - timedelta(days=1),
        "end": None,
        "budget_total_micros": 1_000_000_000,
        "budget_daily_micros": 100_000_000,
        "pacing": Pacing.EVEN,
    }
    return Campaign(**(values | fields))


def test_a_live_campaigns_pace_is_named_by_its_spend_against_the_day() -> None:
    daily = 100_000_000
    assert pace(_campaign(), 0.5, 50_000_000, daily) is Pace.ON_PACE
    assert pace(_campaign(), 0.5, 20_000_000, daily) is Pace.UNDER_PACING
    assert pace(_campaign(), 0.5, 80_000_000, daily) is Pace.OVER_PACING
    assert pace(_campaign(pacing=Pacing.ASAP), 0.5, 0, daily) is Pace.NO_TARGET  # not "on pace" with nothing spent
    assert pace(_campaign(), 0.5, 0, None) is Pace.NO_TARGET
    assert pace(_campaign(), 0.01, 0, daily) is Pace.TOO_EARLY  # too early in the day to say
