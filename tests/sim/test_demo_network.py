"""The demo network is a real network: everything in it passes the API's own rules, and it
has something of every kind for the later issues (engine, tracking, dashboard) to run on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.sim.demo_network import DemoAlreadySeeded, DemoNetwork, seed_demo_network
from tests.support import Api

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def seed(engine: Engine) -> DemoNetwork:
    with session_scope(make_sessionmaker(engine)) as db:
        return seed_demo_network(db, NOW)


def everything(api: Api, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of a list."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = api.get(path, params={"limit": 200, **params} | ({"cursor": cursor} if cursor else {}))
        found += page["data"]
        cursor = page.get("next_cursor")
        if not cursor:
            return found


def test_the_demo_network_has_every_kind_of_thing(engine: Engine, operator: Api) -> None:
    network = seed(engine)

    placements = everything(operator, "/v1/placements")
    assert {p["channel"] for p in placements} == {"web", "app", "search", "video", "ctv", "email", "instore"}
    assert {p["format"] for p in placements} == {"banner", "native", "sponsored_product", "video"}
    assert sorted(p["id"] for p in placements) == sorted(network.placement_ids)

    products = everything(operator, "/v1/products")
    assert len(products) == network.products >= 150
    assert len({p["category"].split("/")[0] for p in products}) >= 10
    assert any(not p["available"] for p in products)

    advertisers = everything(operator, "/v1/advertisers")
    assert len(advertisers) == len(network.advertiser_ids) >= 10
    assert {"Northwind Bank", "Skyway Air", "Streamly"} <= {a["name"] for a in advertisers}

    campaigns = everything(operator, "/v1/campaigns")
    assert len(campaigns) == network.campaigns
    assert {c["pacing"] for c in campaigns} == {"even", "asap"}
    assert {c["status"] for c in campaigns} == {"live", "paused"}
    assert any(c["holdout_percent"] > 0 for c in campaigns)

    line_items = everything(operator, "/v1/line-items")
    assert len(line_items) == network.line_items
    assert {li["pricing"] for li in line_items} == {"cpm", "cpc"}
    assert any(li["frequency_cap"] for li in line_items)
    assert any(li["targeting"]["dayparts"] for li in line_items)
    sponsored = [li for li in line_items if set(li["placements"]) & {"search-sponsored"}]
    assert sponsored and all(li["products"] for li in sponsored)

    creatives = everything(operator, "/v1/creatives")
    assert len(creatives) == network.creatives
    assert {c["format"] for c in creatives} == {"banner", "native", "sponsored_product", "video"}
    queue = everything(operator, "/v1/creatives", status="pending")
    assert len(queue) == 2
    rejected = everything(operator, "/v1/creatives", status="rejected")
    assert len(rejected) == 1 and rejected[0]["review_note"]


def test_the_demo_never_seeds_into_a_network(engine: Engine, operator: Api) -> None:
    operator.post("/v1/placements", {"id": "mine", "name": "Mine", "channel": "web", "format": "native"})
    with pytest.raises(DemoAlreadySeeded):
        seed(engine)
    assert [p["id"] for p in everything(operator, "/v1/placements")] == ["mine"]
