"""Brand claims are the operator's: an advertiser cannot take another's sales credit or
slip out of a placement's blocked categories, and attribution follows a moved claim."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.reporting.test_reports_api import hit, report, run_rollups
from tests.support import HERO_ASK, Api, build_network, decide, decide_until, field_errors


def test_an_advertiser_cannot_widen_its_claim_or_change_its_category(operator: Api, advertiser_api: Api) -> None:
    rival = operator.post("/v1/advertisers", {"name": "Rival Foods", "domain": "rival.example", "brands": ["Crunchy"]})
    own = f"/v1/advertisers/{advertiser_api.advertiser_id}"
    refused = advertiser_api.patch(own, {"brands": ["Crunchy"]}, status=403)
    assert "brands" in refused["error"]["message"]
    assert "category" in advertiser_api.patch(own, {"category": "finance/banking"}, status=403)["error"]["message"]
    mine = advertiser_api.get(own)
    advertiser_api.patch(own, {"brands": mine["brands"], "category": mine["category"]})  # sent back as read: fine

    # Renaming the account keeps what it answered for: its old name.
    renamed = advertiser_api.patch(own, {"name": "Crunchy"})
    assert renamed["name"] == "Crunchy" and renamed["brands"] == ["Acme Outdoor"]

    # Nobody, the operator included, gives a brand that another advertiser holds.
    taken = operator.patch(own, {"brands": ["crunchy "]}, status=422)
    assert "held by another advertiser" in field_errors(taken)["brands"]
    clash = operator.post("/v1/advertisers", {"name": "CRUNCHY", "domain": "c.example"}, status=422)
    assert "name" in field_errors(clash)
    operator.delete(f"/v1/advertisers/{rival['id']}")  # archived: its brand may be handed on
    assert operator.patch(own, {"brands": ["Crunchy"]})["brands"] == ["Crunchy"]


def test_attribution_follows_the_claim_when_the_operator_moves_it(operator: Api, advertiser_api: Api) -> None:
    """The audit's case: a claim added, sales credited, the claim removed, and the credit
    stayed. Now each change is credited again at the next rollup."""
    network = build_network(operator, advertiser_api.advertiser_id or "")
    client = operator.client
    decide_until(operator, HERO_ASK | {"user": {"id": "warm-up"}}, "home-hero", 1)
    ad = decide(Api(client, None), HERO_ASK | {"user": {"id": "shopper-0"}})["decisions"]["home-hero"][0]
    hit(client, ad["tracking"]["impression"])
    hit(client, ad["tracking"]["click"])
    order = {
        "id": "o-1",
        "user_id": "shopper-0",
        "time": datetime.now(UTC).isoformat(),
        "items": [{"sku": "TENT-2P", "quantity": 1, "price": 199.0}],
    }  # an Acme tent
    operator.post("/v1/events/conversions", {"events": [order]}, status=202)

    def revenue() -> float:
        run_rollups(operator)
        [row] = [
            r for r in report(operator, group_by="campaign")["rows"] if r["campaign_id"] == network["campaign"]["id"]
        ]
        return float(row["revenue"])

    assert revenue() == 0  # "Acme Outdoor" answers for its name only: not the brand Acme
    operator.patch(f"/v1/advertisers/{advertiser_api.advertiser_id}", {"brands": ["Acme"]})
    assert revenue() == 199.0
    operator.patch(f"/v1/advertisers/{advertiser_api.advertiser_id}", {"brands": []})
    assert revenue() == 0
