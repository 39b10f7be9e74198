"""`POST /v1/forecasts` through the app, on SQLite and PostgreSQL.

Two weeks of decisions are made through `/v1/decisions` on a clock the test moves (each
day's shoppers: keywords, countries, devices, users with and without consent, pages
without a user), with the request sample at 100%; then, "today", forecasts. Every figure
the answer gives for a day is recomputed here from the requests made on the sampled day
it replays: what the targeting matches, what a bid above or below the rival wins and what
it pays, what a cap or a daily budget leaves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from shelfspace.accounts.models import AuditEntry
from shelfspace.accounts.roles import Role
from shelfspace.catalog.models import Campaign, LineItem
from shelfspace.catalog.version import catalogue_version
from shelfspace.config import Settings
from shelfspace.core.clock import SteppedClock
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.conftest import new_key
from tests.support import BANNER, Api, banner_creative, field_errors, runtime
from tests.waiting import wait_for

MIDNIGHT = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
TODAY = MIDNIGHT.date()
WINDOW = [TODAY - timedelta(days=n) for n in range(14, 0, -1)]  # the 14 days a forecast replays
FLOOR_MICROS = 2_510  # alone: home-hero's floor, 2.50, and the increment, per impression
RIVAL_PRICE_MICROS = 3_010  # the rival's 3.00 and the increment, per impression
SIDE = {
    "id": "home-side",
    "name": "Home side",
    "channel": "web",
    "format": "banner",
    "sizes": ["300x250"],
    "floor_cpm": 1,
}
TIMINGS: list[float] = []  # seconds per forecast, printed at the end (pytest -s)


@pytest.fixture
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Every request sampled: each figure is a count of the requests made, scaled by 1."""
    return Settings(
        data_dir=tmp_path_factory.mktemp("data"), public_url="http://shelfspace.test", request_sample_percent=100
    )


@pytest.fixture
def app_clock() -> SteppedClock:
    """The app's clock, from the day before the window replayed; the test moves it."""
    return SteppedClock(MIDNIGHT - timedelta(days=15) + timedelta(hours=1))


@dataclass(frozen=True)
class Ask:
    """One decision request made, as the test remembers it."""

    day: date
    user: str | None
    consent: bool
    country: str
    device: str
    keyword: str


@dataclass
class Network:
    operator: Api
    acme: Api  # the brand forecasting, with its own key
    bolt: str  # the rival advertiser
    rival_campaign: str
    rival_line_item: str
    asks: dict[date, list[Ask]]

    def matching(self, day: date, test: Callable[[Ask], bool]) -> list[Ask]:
        return [a for a in self.asks[day] if test(a)]


def _asks_of(day: date, week: int) -> list[Ask]:
    """A day's shoppers: a different number each weekday and each week; five users (one in
    four requests without consent), every sixth page without a user."""
    count = 12 + 2 * day.weekday() + week
    return [
        Ask(
            day,
            None if i % 6 == 5 else f"shopper-{i % 5}",
            i % 4 != 3,
            "IE" if i % 3 == 2 else "VN",
            "mobile" if i % 2 == 0 else "desktop",
            "Tents" if i % 3 == 0 else "stove",
        )
        for i in range(count)
    ]


def _decide(api: Api, ask: Ask) -> None:
    body: dict[str, Any] = {
        "placements": [{"id": "home-hero"}],
        "context": {"keywords": [ask.keyword], "country": ask.country, "device": ask.device},
        "consent": {"targeting": ask.consent},
    }
    if ask.user is not None:
        body["user"] = {"id": ask.user}
    api.post("/v1/decisions", body, status=200)


def _network(operator: Api, engine: Engine, clock: SteppedClock, with_history: bool = True) -> Network:
    """Placements, the rival Bolt (3.00 CPM on tent searches, ASAP, no cap: it bids on
    every such request), Acme with its own key; then two weeks of decisions, day by day."""
    operator.post("/v1/placements", BANNER)
    operator.post("/v1/placements", SIDE)
    acme_id = operator.post("/v1/advertisers", {"name": "Acme Outdoor", "domain": "acme.example"})["id"]
    bolt = operator.post("/v1/advertisers", {"name": "Bolt Gear", "domain": "bolt.example"})["id"]
    campaign = operator.post(
        "/v1/campaigns",
        {
            "advertiser_id": bolt,
            "name": "Bolt tents",
            "start": (MIDNIGHT - timedelta(days=20)).isoformat(),
            "end": (MIDNIGHT + timedelta(days=60)).isoformat(),
            "budget_total": 10000,
            "budget_daily": 500,
            "pacing": "asap",
        },
    )
    line_item = operator.post(
        "/v1/line-items",
        {
            "campaign_id": campaign["id"],
            "name": "Bolt tent searches",
            "bid": 3.0,
            "placements": ["home-hero"],
            "targeting": {"keywords": ["tent"]},
        },
    )
    operator.post("/v1/creatives", banner_creative(bolt, line_item["id"]))
    acme = Api(operator.client, new_key(engine, Role.ADVERTISER, acme_id))
    acme.advertiser_id = acme_id
    asks: dict[date, list[Ask]] = {}
    wait_for(
        lambda: operator.call("POST", "/v1/decisions", {"placements": [{"id": "home-side"}]}).status_code == 200,
        5,
        "the placements in the snapshot",
    )  # the day before the window: not replayed
    if with_history:
        for n, day in enumerate(WINDOW):
            asks[day] = _asks_of(day, n // 7)
            for i, ask in enumerate(asks[day]):
                start = datetime.combine(day, datetime.min.time(), UTC)
                clock.advance_to(start + timedelta(minutes=30 + i * 22 * 60 // len(asks[day])))
                _decide(operator, ask)
        runtime(operator.client).opportunities.flush()
    clock.advance_to(MIDNIGHT + timedelta(hours=1))
    return Network(operator, acme, bolt, campaign["id"], line_item["id"], asks)


def _campaign(**overrides: Any) -> dict[str, Any]:
    return {
        "start": MIDNIGHT.isoformat(),
        "end": (MIDNIGHT + timedelta(days=14)).isoformat(),
        "budget_total": 10000,
        "budget_daily": 1000,
        "pacing": "asap",
    } | overrides


def _line_item(**overrides: Any) -> dict[str, Any]:
    return {
        "pricing": "cpm",
        "bid": 10,
        "placements": ["home-hero"],
        "targeting": {"countries": ["VN"], "devices": ["mobile"]},
    } | overrides


def forecast(api: Api, body: dict[str, Any], status: int = 200) -> Any:
    started = time.monotonic()
    answer = api.post("/v1/forecasts", body, status=status)
    TIMINGS.append(time.monotonic() - started)
    return answer


def _micros(amount: Any) -> int:
    return int(Decimal(str(amount)) * 1_000_000)


def _consenting_users(asks: list[Ask]) -> set[str]:
    return {a.user for a in asks if a.user is not None and a.consent}


VN_MOBILE: Callable[[Ask], bool] = lambda a: a.country == "VN" and a.device == "mobile"  # noqa: E731


def test_the_figures_are_the_requests_made_on_each_replayed_day(
    operator: Api, engine: Engine, app_clock: SteppedClock
) -> None:
    """Bid 10.00 on VN mobile: it wins every request its targeting matches, paying the
    rival's 3.00 and a cent where the rival bids (tent searches), the floor elsewhere."""
    net = _network(operator, engine, app_clock)
    TIMINGS.clear()
    answer = forecast(net.acme, {"campaign": _campaign(), "line_item": _line_item()})
    assert answer["has_history"] is True
    days = answer["days"]
    assert [d["date"] for d in days] == [(TODAY + timedelta(days=n)).isoformat() for n in range(14)]
    # Each weekday twice: the first replays the first week's day, the second the second's.
    replayed = [date.fromisoformat(d["sampled_day"]) for d in days]
    assert sorted(replayed) == WINDOW
    for d, sampled in zip(days, replayed, strict=True):
        assert sampled.weekday() == date.fromisoformat(d["date"]).weekday()
        matched = net.matching(sampled, VN_MOBILE)
        assert d["requests"] == len(net.asks[sampled])
        assert d["avails"] == d["impressions"] == len(matched) > 0
        assert _micros(d["spend"]) == sum(RIVAL_PRICE_MICROS if a.keyword == "Tents" else FLOOR_MICROS for a in matched)
        assert d["reach"] == len(_consenting_users(matched))
    total = answer["total"]
    assert total["impressions"] == sum(d["impressions"] for d in days)
    assert _micros(total["spend"]) == sum(_micros(d["spend"]) for d in days)
    assert total["reach"] == len(_consenting_users([a for day in WINDOW for a in net.matching(day, VN_MOBILE)]))
    assert (total["days"], total["from"], total["to"], total["open_ended"]) == (
        14,
        TODAY.isoformat(),
        (TODAY + timedelta(days=13)).isoformat(),
        False,
    )
    assert answer["funnel"]["requests"] == total["requests"] and answer["funnel"]["served"] == total["impressions"]
    assert answer["limited_by"][0] == "targeting" == answer["limits"][0]["limit"]
    every = [a for day in WINDOW for a in net.asks[day]]
    mobile = len([a for a in every if a.device == "mobile"]) / len(every)  # narrower than VN's two in three
    assert answer["limits"][0]["message"] == (
        f"Your targeting matches {len([a for a in every if VN_MOBILE(a)]) / len(every):.1%} of the requests on "
        f"these placements; your devices match {mobile:.1%} of them."
    )
    assert answer["ecpm"] == 10
    tent_auctions = sum(len(net.matching(s, lambda a: VN_MOBILE(a) and a.keyword == "Tents")) for s in replayed)
    [rival] = answer["competition"]
    assert rival == {"line_item_id": None, "competitor": "competitor 1", "auctions": tent_auctions, "share": 1.0}
    history = answer["history"]
    assert (history["sampled_days"], history["sample_percent"], history["from"], history["to"]) == (
        14,
        100,
        WINDOW[0].isoformat(),
        WINDOW[-1].isoformat(),
    )
    assert history["sampled_requests"] == sum(len(net.asks[d]) for d in WINDOW)
    assert answer["method"].startswith(
        f"Replayed {history['sampled_requests']:,} sampled requests (100% of all "
        f"requests) of {WINDOW[0]}..{WINDOW[-1]} on these placements"
    )
    assert f"catalogue version {history['catalogue_version']}" in answer["method"]

    def avails(**line_item: Any) -> list[int]:
        return [
            d["avails"]
            for d in forecast(net.acme, {"campaign": _campaign(), "line_item": _line_item(**line_item)})["days"]
        ]

    # Targeting moves the avails: each day's count of the requests that match.
    for targeting, test in (
        ({"countries": ["IE"], "devices": ["mobile"]}, lambda a: a.country == "IE" and a.device == "mobile"),
        ({"countries": ["VN"], "devices": ["desktop"]}, lambda a: a.country == "VN" and a.device == "desktop"),
        ({"keywords": ["tent"]}, lambda a: a.keyword == "Tents"),
        ({}, lambda a: True),
    ):
        assert avails(targeting=targeting) == [len(net.matching(s, test)) for s in replayed], targeting
    # A keyword nobody searches: nothing, and the answer says why.
    nobody = forecast(net.acme, {"campaign": _campaign(), "line_item": _line_item(targeting={"keywords": ["kayak"]})})
    assert [d["avails"] for d in nobody["days"]] == [0] * 14 and nobody["total"]["impressions"] == 0
    assert nobody["limited_by"][0] == "targeting"
    assert nobody["limits"][0]["message"] == (
        "Your targeting matches 0.0% of the requests on these placements; your keywords match 0.0% of them."
    )
    assert nobody["limits"][0]["lost_share"] == 1.0

    # Under the rival's bid: it loses every tent search and wins the rest at the floor.
    low = forecast(net.acme, {"campaign": _campaign(), "line_item": _line_item(bid=2.8)})
    for d, sampled in zip(low["days"], replayed, strict=True):
        won = net.matching(sampled, lambda a: VN_MOBILE(a) and a.keyword != "Tents")
        assert d["impressions"] == len(won) and _micros(d["spend"]) == FLOOR_MICROS * len(won)
    assert "bid" in [limit["limit"] for limit in low["limits"]]
    assert low["competition"][0]["share"] == 0.0

    # A cap of one a day: one ad per consenting user a day; a user without consent is never counted, never shown.
    capped = forecast(
        net.acme, {"campaign": _campaign(), "line_item": _line_item(frequency_cap={"count": 1, "period": "day"})}
    )
    for d, sampled in zip(capped["days"], replayed, strict=True):
        assert d["impressions"] == d["reach"] == len(_consenting_users(net.matching(sampled, VN_MOBILE)))
    assert capped["total"]["impressions"] < total["impressions"]
    assert "cap" in [limit["limit"] for limit in capped["limits"]]

    # A daily budget of 0.01: ASAP, in time order, until the next ad no longer fits.
    poor = forecast(net.acme, {"campaign": _campaign(budget_daily=0.01), "line_item": _line_item()})
    for d, sampled in zip(poor["days"], replayed, strict=True):
        spent, shown = 0, 0
        for a in net.matching(sampled, VN_MOBILE):
            cost = RIVAL_PRICE_MICROS if a.keyword == "Tents" else FLOOR_MICROS
            if spent + cost > 10_000:
                break
            spent, shown = spent + cost, shown + 1
        assert (d["impressions"], _micros(d["spend"])) == (shown, spent)
    assert "budget" in [limit["limit"] for limit in poor["limits"]]

    # No end date: the next 30 days, said so.
    open_ended = forecast(net.acme, {"campaign": _campaign(end=None), "line_item": _line_item()})
    assert open_ended["total"]["open_ended"] is True and len(open_ended["days"]) == 30
    assert "the next 30 days are forecast" in open_ended["method"]
    # A prepaid account with 0.02 left: the funds end the flight, whatever the budgets.
    operator.patch(f"/v1/advertisers/{net.acme.advertiser_id}", {"billing_mode": "prepaid"})
    operator.post(f"/v1/advertisers/{net.acme.advertiser_id}/top-ups", {"amount": "0.02", "reference": "BANK-1"})
    broke = forecast(net.acme, {"campaign": _campaign(), "line_item": _line_item()})
    assert 0 < _micros(broke["total"]["spend"]) <= 20_000 and broke["total"]["impressions"] < total["impressions"]
    assert "funds" in [limit["limit"] for limit in broke["limits"]]
    print(
        f"\nforecasts: first (baseline built) {TIMINGS[0] * 1000:.0f} ms, then median "
        f"{sorted(TIMINGS[1:])[len(TIMINGS[1:]) // 2] * 1000:.0f} ms over {len(TIMINGS) - 1}"
    )


def test_an_advertiser_forecasts_for_itself_and_sees_no_competitor_by_name(
    operator: Api, engine: Engine, app_clock: SteppedClock
) -> None:
    net = _network(operator, engine, app_clock)
    body = {"campaign": _campaign(), "line_item": _line_item(targeting={"keywords": ["tent"]})}
    answer = forecast(net.acme, body)
    [rival] = answer["competition"]
    assert set(rival) == {"line_item_id", "competitor", "auctions", "share"} and rival["competitor"] == "competitor 1"
    sent = str(answer)
    for secret in (net.bolt, net.rival_line_item, net.rival_campaign, "Bolt"):
        assert secret not in sent
    # The operator, forecasting the same for Acme, sees whom it meets.
    seen = forecast(
        net.operator, {"campaign": _campaign(advertiser_id=net.acme.advertiser_id), "line_item": body["line_item"]}
    )
    assert seen["competition"] == [
        {
            "line_item_id": net.rival_line_item,
            "line_item_name": "Bolt tent searches",
            "advertiser_id": net.bolt,
            "advertiser_name": "Bolt Gear",
            "auctions": rival["auctions"],
            "share": 1.0,
        }
    ]
    assert seen["days"] == answer["days"]

    # Another advertiser's objects: refused as POST /v1/campaigns and /v1/line-items refuse them.
    as_bolt = net.acme.post(
        "/v1/forecasts", {"campaign": _campaign(advertiser_id=net.bolt), "line_item": _line_item()}, status=422
    )
    assert "campaign.advertiser_id" in field_errors(as_bolt)
    assert "advertiser_id" in field_errors(
        net.acme.post("/v1/campaigns", _campaign(advertiser_id=net.bolt, name="x"), status=422)
    )
    into_bolts = net.acme.post("/v1/forecasts", {"line_item": _line_item(campaign_id=net.rival_campaign)}, status=422)
    refused = net.acme.post("/v1/line-items", _line_item(campaign_id=net.rival_campaign, name="x"), status=422)
    assert field_errors(into_bolts) == {f"line_item.{k}": v for k, v in field_errors(refused).items()}
    replacing = net.acme.post(
        "/v1/forecasts",
        {"campaign": _campaign(), "line_item": _line_item(), "replaces": net.rival_line_item},
        status=422,
    )
    assert field_errors(replacing) == {"replaces": f"no line item {net.rival_line_item!r}"}

    # Its own live line item at 10.00 keeps the one ad from a new one of its own at 5.00,
    # unless the new one replaces it (the live one at new settings): then it wins as the old did.
    own = net.acme.post("/v1/campaigns", _campaign(name="Acme tents"))
    mine = net.acme.post("/v1/line-items", _line_item(campaign_id=own["id"], name="Acme tents"))
    operator.post("/v1/creatives", banner_creative(net.acme.advertiser_id, mine["id"]))
    app_clock.advance_to(MIDNIGHT + timedelta(hours=1, minutes=2))  # the baseline is rebuilt with it
    beside_body = {"campaign": _campaign(), "line_item": _line_item(bid=5)}
    wait_for(
        lambda: (
            forecast(net.acme, beside_body)["history"]["catalogue_version"] > answer["history"]["catalogue_version"]
        ),
        10,
        "the baseline rebuilt (in the background) with Acme's",
    )
    beside = forecast(net.acme, beside_body)
    assert beside["total"]["impressions"] == 0 and beside["limited_by"][0] == "bid"
    instead = forecast(net.acme, {"campaign": _campaign(), "line_item": _line_item(bid=5), "replaces": mine["id"]})
    assert [d["impressions"] for d in instead["days"]] == [d["avails"] for d in instead["days"]]
    assert instead["total"]["impressions"] == answer_total_vn_mobile(net, instead)
    in_place = forecast(net.acme, {"line_item": _line_item(campaign_id=own["id"]), "replaces": mine["id"]})
    assert (
        in_place["days"]
        == forecast(net.acme, {"campaign": _campaign(), "line_item": _line_item(), "replaces": mine["id"]})["days"]
    )
    assert all(c["competitor"] == "competitor 1" for c in in_place["competition"])  # its own is no rival


def answer_total_vn_mobile(net: Network, answer: dict[str, Any]) -> int:
    return sum(len(net.matching(date.fromisoformat(d["sampled_day"]), VN_MOBILE)) for d in answer["days"])


def _counts(engine: Engine) -> tuple[int, int, int, int]:
    with session_scope(make_sessionmaker(engine)) as db:
        return (
            db.scalar(select(func.count()).select_from(Campaign)) or 0,
            db.scalar(select(func.count()).select_from(LineItem)) or 0,
            db.scalar(select(func.count()).select_from(AuditEntry)) or 0,
            catalogue_version(db),
        )


def test_a_proposal_is_validated_as_a_real_line_item_and_nothing_is_written(
    operator: Api, engine: Engine, app_clock: SteppedClock
) -> None:
    net = _network(operator, engine, app_clock, with_history=False)
    existing = operator.post("/v1/campaigns", _campaign(advertiser_id=net.acme.advertiser_id, name="Acme"))
    before = _counts(engine)
    for bad in (
        {"bid": 0},
        {"bid": 1.0},
        {"bid": "1.1234567"},
        {"placements": ["nowhere"]},
        {"placements": []},
        {"pricing": "cpc", "placements": ["home-hero"], "targeting": {"countries": ["XX"]}},
        {"frequency_cap": {"count": 0, "period": "day"}},
        {"colour": "red"},
        {"products": ["TENT-2P"]},
    ):
        line_item = _line_item(**bad)
        real = operator.post("/v1/line-items", line_item | {"campaign_id": existing["id"], "name": "x"}, status=422)
        proposed = operator.post(
            "/v1/forecasts", {"line_item": line_item | {"campaign_id": existing["id"]}}, status=422
        )
        assert field_errors(proposed) == {f"line_item.{k}": v for k, v in field_errors(real).items()}, bad
        assert field_errors(real), bad
    for bad in (
        {"end": MIDNIGHT.isoformat(), "start": (MIDNIGHT + timedelta(days=2)).isoformat()},
        {"budget_daily": 20000},
        {"pacing": "sometimes"},
        {"budget_total": -1},
    ):
        campaign = _campaign(advertiser_id=net.acme.advertiser_id) | bad
        real = operator.post("/v1/campaigns", campaign | {"name": "x"}, status=422)
        proposed = operator.post("/v1/forecasts", {"campaign": campaign, "line_item": _line_item()}, status=422)
        assert field_errors(proposed) == {f"campaign.{k}": v for k, v in field_errors(real).items()}, bad
        assert field_errors(real), bad
    # The body's own rules: a campaign (new or existing, not both), no unknown field.
    assert "campaign" in field_errors(operator.post("/v1/forecasts", {"line_item": _line_item()}, status=422))
    both = {
        "campaign": _campaign(advertiser_id=net.acme.advertiser_id),
        "line_item": _line_item(campaign_id=existing["id"]),
    }
    assert "line_item.campaign_id" in field_errors(operator.post("/v1/forecasts", both, status=422))
    unknown = {"line_item": _line_item(campaign_id=existing["id"]), "budget": 5}
    assert "budget" in field_errors(operator.post("/v1/forecasts", unknown, status=422))
    assert "line_item" in field_errors(operator.post("/v1/forecasts", {}, status=422))
    # Valid ones, in a new campaign and in the existing one, write nothing either.
    forecast(operator, {"campaign": _campaign(advertiser_id=net.acme.advertiser_id), "line_item": _line_item()})
    forecast(net.acme, {"line_item": _line_item(campaign_id=existing["id"])})
    assert _counts(engine) == before
    assert len(operator.get("/v1/line-items")["data"]) == 1  # the rival's


def test_without_history_nothing_is_forecast(operator: Api, engine: Engine, app_clock: SteppedClock) -> None:
    """No sampled request on the proposal's placements in the window: said so, no figure.
    Requests on another placement do not count."""
    net = _network(operator, engine, app_clock, with_history=False)
    body = {"campaign": _campaign(), "line_item": _line_item()}
    empty = forecast(net.acme, body)
    assert (
        empty["has_history"],
        empty["days"],
        empty["total"],
        empty["limits"],
        empty["competition"],
        empty["limited_by"],
        empty["funnel"],
    ) == (False, [], None, [], [], [], None)
    assert empty["method"].startswith(
        f"No sampled request on these placements in the last 14 days ({WINDOW[0]}.."
        f"{WINDOW[-1]}; 100% of all requests are sampled), so nothing is forecast."
    )
    assert empty["history"]["sampled_requests"] == 0
    # A day of requests on home-hero: the side placement still has none; home-hero has one day.
    app_clock.advance_to(MIDNIGHT + timedelta(hours=2))
    _decide(operator, Ask(TODAY, "shopper-1", True, "VN", "mobile", "tent"))
    side = forecast(net.acme, {"campaign": _campaign(), "line_item": _line_item(placements=["home-side"])})
    assert side["has_history"] is False  # today's request is not in the window either
    app_clock.advance_to(MIDNIGHT + timedelta(days=1, hours=1))
    runtime(operator.client).opportunities.flush()
    side = forecast(net.acme, {"campaign": _campaign(), "line_item": _line_item(placements=["home-side"])})
    hero = forecast(net.acme, body)
    assert side["has_history"] is False and side["days"] == []
    assert hero["has_history"] is True and hero["history"]["sampled_days"] == 1
    assert hero["history"]["sampled_requests"] == 1
