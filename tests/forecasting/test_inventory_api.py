"""`GET /v1/forecasts/inventory` through the app, on SQLite and PostgreSQL.

A week of decisions is made through `/v1/decisions` on a clock the test moves, with the
request sample at 100%: Bolt bids 3.00 on tent searches, Acme 2.60 on everything until
its campaign ends in five days. Then, "today", the operator reads the inventory forecast,
and every figure is recomputed here from the requests made on the sampled day each
future day replays.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from shelfspace.accounts.roles import Role
from shelfspace.config import Settings
from shelfspace.core.clock import SteppedClock
from tests.conftest import new_key
from tests.dashboard.pages import make_user, sign_in
from tests.support import BANNER, Api, banner_creative, field_errors, runtime
from tests.waiting import wait_for

MIDNIGHT = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
TODAY = MIDNIGHT.date()
WEEK = [TODAY - timedelta(days=n) for n in range(7, 0, -1)]  # the days with decisions
SIDE = {
    "id": "home-side",
    "name": "Home side",
    "channel": "web",
    "format": "banner",
    "sizes": ["300x250"],
    "floor_cpm": 1,
}
BOLT_PRICE = 2_610  # micros an impression: Acme's 2.60 below it, and the increment
ACME_PRICE = 2_510  # the floor, 2.50, and the increment


@pytest.fixture
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Every request sampled: each figure is a count of the requests made, scaled by 1."""
    return Settings(
        data_dir=tmp_path_factory.mktemp("data"), public_url="http://shelfspace.test", request_sample_percent=100
    )


@pytest.fixture
def app_clock() -> SteppedClock:
    """The app's clock, from a day before the 14 days a forecast replays; the test moves it."""
    return SteppedClock(MIDNIGHT - timedelta(days=15) + timedelta(hours=1))


@dataclass
class Network:
    operator: Api
    acme: Api
    bolt_campaign: str
    acme_campaign: str
    asks: dict[date, list[str]]  # each day's keywords, one a request

    def tents(self, day: date) -> int:
        return sum(1 for k in self.asks[day] if k == "Tents")


def _ask(keyword: str, user: str) -> dict[str, Any]:
    return {
        "placements": [{"id": "home-hero"}],
        "user": {"id": user},
        "context": {"keywords": [keyword], "country": "VN", "device": "mobile"},
        "consent": {"targeting": True},
    }


def _decide(api: Api, keyword: str, user: str) -> Any:
    return api.post("/v1/decisions", _ask(keyword, user), status=200)


def _served(api: Api, keyword: str) -> str | None:
    """The campaign served on a request, once the snapshot knows the placement (422 until then)."""
    response = api.call("POST", "/v1/decisions", _ask(keyword, "warm-up"))
    ads = response.json()["decisions"]["home-hero"] if response.status_code == 200 else []
    return ads[0]["campaign_id"] if ads else None


def _network(operator: Api, engine: Engine, clock: SteppedClock, with_history: bool = True) -> Network:
    operator.post("/v1/placements", BANNER)
    operator.post("/v1/placements", SIDE)
    acme_id = operator.post("/v1/advertisers", {"name": "Acme Outdoor", "domain": "acme.example"})["id"]
    bolt_id = operator.post("/v1/advertisers", {"name": "Bolt Gear", "domain": "bolt.example"})["id"]
    campaigns = {}
    for advertiser, name, end_in, total, daily, bid, targeting in (
        (bolt_id, "Bolt tents", 60, 10000, 500, 3.0, {"keywords": ["tent"]}),
        (acme_id, "Acme last week", 5, 1000, 100, 2.6, {}),
    ):
        campaign = operator.post(
            "/v1/campaigns",
            {
                "advertiser_id": advertiser,
                "name": name,
                "start": (MIDNIGHT - timedelta(days=20)).isoformat(),
                "end": (MIDNIGHT + timedelta(days=end_in)).isoformat(),
                "budget_total": total,
                "budget_daily": daily,
                "pacing": "asap",
            },
        )
        line_item = operator.post(
            "/v1/line-items",
            {
                "campaign_id": campaign["id"],
                "name": name,
                "bid": bid,
                "placements": ["home-hero"],
                "targeting": targeting,
            },
        )
        operator.post("/v1/creatives", banner_creative(advertiser, line_item["id"]))
        campaigns[advertiser] = campaign["id"]
    acme = Api(operator.client, new_key(engine, Role.ADVERTISER, acme_id))
    acme.advertiser_id = acme_id
    # The day before the window (not replayed): until the snapshot serves both campaigns.
    wait_for(
        lambda: _served(operator, "Tents") == campaigns[bolt_id] and _served(operator, "stove") == campaigns[acme_id],
        10,
        "both campaigns in the snapshot",
        interval=0.05,
    )
    asks: dict[date, list[str]] = {}
    if with_history:
        for day in WEEK:
            count = 6 + 2 * day.weekday()  # a different number each weekday
            asks[day] = ["Tents" if i % 3 == 0 else "stove" for i in range(count)]
            for i, keyword in enumerate(asks[day]):
                clock.advance_to(datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=1, minutes=40 * i))
                _decide(operator, keyword, f"shopper-{i % 4}")
        runtime(operator.client).opportunities.flush()
    clock.advance_to(MIDNIGHT + timedelta(hours=1))
    return Network(operator, acme, campaigns[bolt_id], campaigns[acme_id], asks)


def _read(api: Api, query: str = "", status: int = 200) -> Any:
    response = api.call("GET", f"/v1/forecasts/inventory{query}")
    assert response.status_code == status, response.text
    return json.loads(response.text, parse_float=Decimal)  # money as the exact decimals sent


def _money(micros: int) -> Decimal:
    return Decimal(micros) / 1_000_000


def test_each_day_is_the_requests_made_on_the_sampled_day_it_replays(
    operator: Api, engine: Engine, app_clock: SteppedClock
) -> None:
    net = _network(operator, engine, app_clock)
    answer = _read(operator)
    assert answer["has_history"] is True and answer["from"] == TODAY.isoformat() and answer["days"] == 30
    assert answer["history"] == {
        "from": (TODAY - timedelta(days=14)).isoformat(),
        "to": (TODAY - timedelta(days=1)).isoformat(),
        "sampled_days": 7,
        "sampled_requests": sum(len(a) for a in net.asks.values()),
        "sample_percent": 100,
        "message": None,
    }
    assert "same weekday" in answer["method"]
    hero, side = answer["placements"]
    assert (hero["id"], hero["name"], side["id"], side["name"]) == ("home-hero", "Home hero", "home-side", "Home side")
    bolt_spend = acme_spend = 0
    for n, day in enumerate(hero["days"]):
        assert day["date"] == (TODAY + timedelta(days=n)).isoformat()
        sampled = date.fromisoformat(day["sampled_day"])
        assert sampled in WEEK and sampled.weekday() == (TODAY + timedelta(days=n)).weekday()
        asked, tents = len(net.asks[sampled]), net.tents(sampled)
        acme_sells = n < 5  # its flight ends in five days
        sold = tents + (asked - tents if acme_sells else 0)
        assert (day["requests"], day["slots"], day["sold"], day["left"]) == (asked, asked, sold, asked - sold)
        assert day["fill"] == round(Decimal(sold) / asked, 4)
        bolt_spend += tents * BOLT_PRICE
        acme_spend += (asked - tents) * ACME_PRICE if acme_sells else 0
    assert hero["sold"] == sum(d["sold"] for d in hero["days"]) and hero["slots"] == sum(
        d["slots"] for d in hero["days"]
    )
    by_id = {c["id"]: c for c in hero["campaigns"]}
    bolt, acme = by_id[net.bolt_campaign], by_id[net.acme_campaign]
    assert (bolt["name"], bolt["expected_spend"], bolt["budget_left"]) == ("Bolt tents", _money(bolt_spend), 10000)
    assert (acme["name"], acme["expected_spend"], acme["budget_left"]) == ("Acme last week", _money(acme_spend), 1000)
    assert bolt["share"] == round(Decimal(bolt["impressions"]) / hero["slots"], 4)
    assert (bolt["verdict"], bolt["reason"], acme["verdict"], acme["reason"]) == (
        "will_under_deliver",
        "targeting",
        "will_under_deliver",
        "bid",
    )
    assert side["campaigns"] == [] and side["sampled_days"] == 0
    assert all(d["sampled_day"] is None and d["requests"] == d["sold"] == 0 for d in side["days"])

    campaigns = {c["id"]: c for c in answer["campaigns"]}
    acme_out = campaigns[net.acme_campaign]
    assert (acme_out["flight_days"], acme_out["open_ended"], acme_out["to_spend"]) == (5, False, 500)  # 5 days of 100
    assert acme_out["projected_spend"] == _money(acme_spend) and acme_out["shortfall"] == 500 - _money(acme_spend)
    assert "Other line items rank above it" in acme_out["message"]
    bolt_out = campaigns[net.bolt_campaign]
    assert (bolt_out["flight_days"], bolt_out["to_spend"]) == (60, 10000)  # to its end; its total is less than 60 x 500
    flight = [TODAY + timedelta(days=n) for n in range(60)]
    assert bolt_out["projected_spend"] == _money(
        sum(net.tents(WEEK[(d - WEEK[0]).days % 7]) * BOLT_PRICE for d in flight)
    )
    assert bolt_out["expected_spend"] == round(bolt_out["projected_spend"] / 60, 6)
    assert [c["shortfall"] for c in answer["campaigns"]] == sorted(
        (c["shortfall"] for c in answer["campaigns"]), reverse=True
    )


def test_only_an_operator_reads_it_and_days_are_one_to_ninety(
    operator: Api, engine: Engine, app_clock: SteppedClock
) -> None:
    net = _network(operator, engine, app_clock)
    refused = _read(net.acme, status=403)
    assert refused["error"]["code"] == "forbidden" and "inventory forecast" in refused["error"]["message"]
    assert _read(Api(operator.client, None), status=401)["error"]["code"] == "unauthorized"
    for bad in ("0", "91", "a-week", "1.5"):
        assert set(field_errors(_read(operator, f"?days={bad}", status=422))) == {"days"}, bad
    for days in (1, 7, 90):
        answer = _read(operator, f"?days={days}")
        assert answer["days"] == days and all(len(p["days"]) == days for p in answer["placements"])


def test_without_history_it_says_so(operator: Api, engine: Engine, app_clock: SteppedClock) -> None:
    net = _network(operator, engine, app_clock, with_history=False)
    answer = _read(operator)
    assert answer["has_history"] is False and answer["history"]["sampled_days"] == 0
    assert "No request was sampled" in answer["history"]["message"]
    for placement in answer["placements"]:
        assert all(d["requests"] == d["sold"] == 0 and d["fill"] is None for d in placement["days"])
    campaigns = {c["id"]: c for c in answer["campaigns"]}
    assert campaigns[net.acme_campaign]["reason"] == "inventory"
    assert "No request was sampled on its placements" in campaigns[net.acme_campaign]["message"]


def test_the_console_page_shows_each_placement_and_the_campaigns_that_will_under_deliver(
    operator: Api, engine: Engine, app_clock: SteppedClock
) -> None:
    net = _network(operator, engine, app_clock)
    client = operator.client
    make_user(engine, "ops@network.example")
    sign_in(client, "ops@network.example")
    html = client.get("/console/forecast").text
    assert "<h1>Inventory forecast</h1>" in html
    assert '<a href="/console/forecast" aria-current="page">Forecast</a>' in html  # in the console's navigation
    assert "Home hero" in html and "Home side" in html and "replaying 7 sampled days" in html
    answer = _read(operator)
    hero = answer["placements"][0]
    assert f'data-figure="sold">{sum(p["sold"] for p in answer["placements"]):,}<' in html
    assert 'data-figure="under-delivering">2<' in html
    for reason, campaign in (("bid", net.acme_campaign), ("targeting", net.bolt_campaign)):
        row = html.split(f'data-campaign="{campaign}"', 1)[1].split("</tr>", 1)[0]
        assert f'data-reason="{reason}"' in row
    assert 'data-source="forecast-chart-home-hero"' in html and '"Expected requests"' in html
    chart = json.loads(html.split('id="forecast-chart-home-hero">', 1)[1].split("</script>", 1)[0])
    assert chart["x"][0] == TODAY.isoformat() and len(chart["x"]) == 30
    series = {s["name"]: s["values"] for s in chart["series"]}
    assert series["Expected requests"] == [d["requests"] for d in hero["days"]]
    assert series["Sold"] == [d["sold"] for d in hero["days"]]
    assert "No live campaign can serve here" in html.split('id="placement-home-side"', 1)[1]


def test_the_console_page_is_the_operators_alone_and_says_when_there_is_no_history(
    operator: Api, engine: Engine, app_clock: SteppedClock
) -> None:
    net = _network(operator, engine, app_clock, with_history=False)
    client = operator.client
    make_user(engine, "brand@acme.example", Role.ADVERTISER, net.acme.advertiser_id)
    sign_in(client, "brand@acme.example")
    refused = client.get("/console/forecast")
    assert refused.status_code == 404 and "Inventory forecast" not in refused.text
    client.cookies.clear()
    make_user(engine, "ops@network.example")
    sign_in(client, "ops@network.example")
    page = client.get("/console/forecast")
    assert page.status_code == 200 and 'id="no-history"' in page.text and "No request was sampled" in page.text
