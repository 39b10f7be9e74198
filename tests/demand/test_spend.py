"""A partner's ad shown: one durable programmatic event per ad, the partner's billing
notice fired with its price, and the partner's report built from the event log."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from shelfspace.events.model import EventType
from tests.demand.conftest import BOTH, SHOPPER, add_partner, settled_notices
from tests.demand.fake_partner import FakePartner
from tests.support import Api, decide, runtime

BASE = "http://shelfspace.test"


def programmatic_events(operator: Api) -> list[Any]:
    log = runtime(operator.client).event_log
    return list(log.between(0, time.time() + 60, EventType.PROGRAMMATIC))


def test_the_impression_counts_once_bills_the_partner_and_shows_in_its_report(
    operator: Api, network: dict[str, Any], fake_partner: FakePartner
) -> None:
    partner = add_partner(operator, fake_partner.endpoint)
    public = Api(operator.client, None)
    [ad] = decide(public, BOTH)["decisions"]["side-banner"]
    path = ad["tracking"]["impression"].removeprefix(BASE)
    assert public.client.get(path, headers=SHOPPER).status_code == 204
    assert public.client.get(path + "?img=1", headers=SHOPPER).headers["content-type"] == "image/gif"  # counts once
    [event] = programmatic_events(operator)
    assert event.counted and event.ad is None and event.key == f"programmatic:{ad['ad_id']}"
    assert event.data["partner_id"] == partner["id"] and event.data["placement_id"] == "side-banner"
    assert event.data["price_micros"] == 3_000_000 and event.data["bid_id"] == "b-1"
    notices = settled_notices(operator, fake_partner)
    assert notices == [f"{fake_partner.base}/bill?price=3&imp=side-banner", f"{fake_partner.base}/win?price=3"]

    today = datetime.now(UTC).date().isoformat()
    report = operator.get(f"/v1/demand-partners/{partner['id']}/report?from={today}&to={today}")
    assert report["currency"] == "USD"
    assert report["rows"] == [
        {
            "day": today,
            "placement_id": "side-banner",
            "impressions": 1,
            "revenue": 0.003,
            "ecpm": 3.0,
            "bid_requests": 1,
            "bids": 1,
            "wins": 1,
            "timeouts": 0,
        }
    ]


def test_bots_forgeries_and_campaign_links_bill_nobody(
    operator: Api, network: dict[str, Any], fake_partner: FakePartner
) -> None:
    add_partner(operator, fake_partner.endpoint)
    public = Api(operator.client, None)
    answer = decide(public, BOTH)
    [theirs], [ours] = answer["decisions"]["side-banner"], answer["decisions"]["home-hero"]
    path = theirs["tracking"]["impression"].removeprefix(BASE)
    bot = {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}
    assert public.client.get(path, headers=bot).status_code == 204
    [event] = programmatic_events(operator)
    assert not event.counted and str(event.invalid) == "bot"
    assert public.client.get(path[:-3] + "AAA").status_code == 204  # altered
    campaign_token = ours["tracking"]["impression"].rsplit("/", 1)[-1]
    assert public.client.get(f"/track/programmatic/{campaign_token}").status_code == 204  # another kind
    assert len(programmatic_events(operator)) == 1
    assert settled_notices(operator, fake_partner) == []
