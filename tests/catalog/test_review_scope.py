"""An approval covers a creative where the operator saw it would run (catalog/review_scope.py):
through the API, an advertiser adding a placement to a line item, or moving a creative to a
line item buying other placements, sends the approved creatives back to review; removing a
placement, any other change, or the operator's own change keeps the approval."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from shelfspace.accounts.models import AuditEntry
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.support import BANNER, Api, banner_creative, campaign_body, line_item_body, live_dates

SIDE = {
    "id": "side-banner",
    "name": "Side banner",
    "channel": "web",
    "format": "banner",
    "sizes": ["300x250"],
    "floor_cpm": 1,
    "max_ads": 1,
}


def _network(operator: Api, advertiser_api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    """A line item on the hero, its banner made by the brand and approved by the operator."""
    operator.post("/v1/placements", BANNER)
    operator.post("/v1/placements", SIDE)
    campaign = advertiser_api.post("/v1/campaigns", campaign_body(None, **live_dates()))
    line_item = advertiser_api.post("/v1/line-items", line_item_body(campaign["id"]))
    creative = advertiser_api.post("/v1/creatives", banner_creative(None, line_item["id"]))
    assert creative["status"] == "pending"
    operator.patch(f"/v1/creatives/{creative['id']}", {"status": "approved"})
    return line_item, creative


def _status(api: Api, creative: dict[str, Any]) -> str:
    return str(api.get(f"/v1/creatives/{creative['id']}")["status"])


def test_a_placement_added_by_the_brand_sends_its_approved_creatives_back(
    operator: Api, advertiser_api: Api, engine: Engine
) -> None:
    line_item, creative = _network(operator, advertiser_api)
    # Bid, targeting and the cap change how much and to whom: the approval stays.
    advertiser_api.patch(
        f"/v1/line-items/{line_item['id']}",
        {"bid": 4, "targeting": {"keywords": ["stove"]}, "frequency_cap": {"count": 1, "period": "week"}},
    )
    assert _status(advertiser_api, creative) == "approved"

    advertiser_api.patch(f"/v1/line-items/{line_item['id']}", {"placements": ["home-hero", "side-banner"]})
    assert _status(advertiser_api, creative) == "pending"
    with session_scope(make_sessionmaker(engine)) as db:
        entry = db.scalars(
            select(AuditEntry).where(AuditEntry.object_id == creative["id"], AuditEntry.action == "update")
        ).one()
        assert entry.changes == {"status": ["approved", "pending"], "placements_added": ["side-banner"]}
        assert entry.actor.startswith("key:")

    # Approved again for both; removing one keeps it.
    operator.patch(f"/v1/creatives/{creative['id']}", {"status": "approved"})
    advertiser_api.patch(f"/v1/line-items/{line_item['id']}", {"placements": ["side-banner"]})
    assert _status(advertiser_api, creative) == "approved"


def test_the_operator_adding_a_placement_keeps_the_approval(operator: Api, advertiser_api: Api) -> None:
    line_item, creative = _network(operator, advertiser_api)
    operator.patch(f"/v1/line-items/{line_item['id']}", {"placements": ["home-hero", "side-banner"]})
    assert _status(operator, creative) == "approved"


def test_a_creative_moved_to_other_placements_goes_back_to_review(operator: Api, advertiser_api: Api) -> None:
    line_item, creative = _network(operator, advertiser_api)
    same = advertiser_api.post("/v1/line-items", line_item_body(line_item["campaign_id"], name="Same place"))
    elsewhere = advertiser_api.post(
        "/v1/line-items", line_item_body(line_item["campaign_id"], name="Elsewhere", placements=["side-banner"])
    )
    advertiser_api.patch(f"/v1/creatives/{creative['id']}", {"line_item_id": same["id"]})
    assert _status(advertiser_api, creative) == "approved"  # the placements it was approved for
    advertiser_api.patch(f"/v1/creatives/{creative['id']}", {"line_item_id": elsewhere["id"]})
    assert _status(advertiser_api, creative) == "pending"
