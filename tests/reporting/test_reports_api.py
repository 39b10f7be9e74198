"""Reports end to end: decisions, tracking calls and orders in; numbers anyone can
recompute by hand out, with their disclosure."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from tests.support import HERO_ASK, Api, build_network, decide, decide_until, runtime

BROWSER = {
    "User-Agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15"
}
BOT = {"User-Agent": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"}


def hit(client: TestClient, url: str, headers: dict[str, str] = BROWSER) -> None:
    answer = client.get(urlsplit(url).path, headers=headers, follow_redirects=False)
    assert answer.status_code in (204, 302), answer.text


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def report(api: Api, status: int = 200, **params: str) -> Any:
    query = {"from": today(), "to": today()} | params
    return api.get("/v1/reports?" + "&".join(f"{k}={v}" for k, v in query.items()), status=status)


def run_rollups(api: Api) -> None:
    runtime(api.client).rollups.run()


def test_a_campaign_report_adds_up_by_hand(operator: Api, advertiser_api: Api) -> None:
    network = build_network(operator, advertiser_api.advertiser_id or "")
    operator.patch(f"/v1/advertisers/{advertiser_api.advertiser_id}", {"brands": ["Acme"]})  # the tent's brand
    client = operator.client
    decide_until(operator, HERO_ASK | {"user": {"id": "warm-up"}}, "home-hero", 1)
    ads = [
        decide(Api(client, None), HERO_ASK | {"user": {"id": f"shopper-{n}"}})["decisions"]["home-hero"][0]
        for n in range(4)
    ]
    for ad in ads:  # 4 impressions (one sent twice), 2 viewable, 1 click; a bot adds invalid traffic
        hit(client, ad["tracking"]["impression"])
    hit(client, ads[0]["tracking"]["impression"])
    hit(client, ads[1]["tracking"]["impression"], BOT)
    for ad in ads[:2]:
        hit(client, ad["tracking"]["viewable"])
    hit(client, ads[0]["tracking"]["click"])
    hit(client, ads[3]["tracking"]["click"], BOT)
    # shopper-0 clicked, then bought the promoted brand's tent and something else; shopper-1
    # only saw the ad and bought two days later (outside the 1-day post-view window).
    now = datetime.now(UTC)
    orders = [
        {
            "id": "o-1",
            "user_id": "shopper-0",
            "time": now.isoformat(),
            "items": [{"sku": "TENT-2P", "quantity": 1, "price": 199.0}, {"sku": "OTHER", "quantity": 3, "price": 2}],
        },
        {
            "id": "o-2",
            "user_id": "shopper-1",
            "time": (now - timedelta(days=2)).isoformat(),
            "items": [{"sku": "TENT-2P", "quantity": 1, "price": 199.0}],
        },
    ]
    assert operator.post("/v1/events/conversions", {"events": orders}, status=202)["accepted"] == 2
    run_rollups(operator)

    body = report(operator, group_by="campaign")
    [row] = [r for r in body["rows"] if r["campaign_id"] == network["campaign"]["id"]]
    assert row["impressions"] == 4 and row["invalid_impressions"] == 1 and row["gross_impressions"] == 5
    assert row["viewable_impressions"] == 2 and row["clicks"] == 1 and row["invalid_clicks"] == 1
    assert row["spend"] == 4 * 0.00251  # 2.51 CPM, four counted impressions
    assert row["ctr"] == 0.25 and row["cpm"] == 2.51 and row["cpc"] == 0.01004
    assert row["reach"] == 4 and row["frequency"] == 1
    assert row["conversions"] == 1 and row["revenue"] == 199.0  # the tent: same brand; OTHER has none
    assert row["roas"] == round(199.0 / 0.01004, 6) and row["cpa"] == 0.01004
    assert row["promoted_revenue"] == 0 and row["halo_revenue"] == 199.0  # the banner promotes no SKU
    assert row["click_conversions"] == 1 and row["new_to_brand_conversions"] == 1
    disclosure = body["disclosure"]
    assert disclosure["attribution"]["post_click_days"] == 14 and disclosure["attribution"]["post_view_days"] == 1
    assert disclosure["invalid_traffic"]["impressions"] == {"gross": 5, "invalid": 1, "net": 4}
    assert disclosure["time_zone"] == "UTC" and "50%" in disclosure["viewability"]


def test_csv_groupings_tenancy_and_errors(operator: Api, advertiser_api: Api) -> None:
    network = build_network(operator, advertiser_api.advertiser_id or "")
    client = operator.client
    decide_until(operator, HERO_ASK | {"user": {"id": "warm-up"}}, "home-hero", 1)
    ad = decide(Api(client, None), HERO_ASK | {"user": {"id": "s-1"}})["decisions"]["home-hero"][0]
    hit(client, ad["tracking"]["impression"])
    run_rollups(operator)
    text = client.get(
        f"/v1/reports?from={today()}&to={today()}&group_by=day,hour,placement,channel&format=csv",
        headers=operator.headers,
    ).text
    rows = list(csv.DictReader(io.StringIO(text)))
    [row] = rows
    assert row["day"] == today() and row["hour"].startswith(today() + "T") and row["channel"] == "web"
    assert row["impressions"] == "1" and row["cpc"] == "" and row["conversions"] == "0"
    assert text.startswith("day,hour,placement_id,channel,impressions,")  # the header first: a spreadsheet opens it
    own = report(advertiser_api, group_by="advertiser")
    assert [r["advertiser_id"] for r in own["rows"]] == [network["campaign"]["advertiser_id"]]
    for bad, field in (({"group_by": "week"}, "group_by"), ({"from": "2026-02-01", "to": "2026-01-01"}, "to")):
        assert field in report(operator, status=422, **bad)["error"]["message"]
    empty = report(operator, **{"from": "2020-01-01", "to": "2020-01-01"})
    assert empty["rows"] == [] and empty["totals"]["ctr"] is None and empty["totals"]["impressions"] == 0
