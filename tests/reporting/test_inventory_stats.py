"""Per-placement and per-channel inventory figures, checked against numbers worked by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from shelfspace.catalog.enums import AdFormat, Channel
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.delivery.models import PlacementRequests
from shelfspace.reporting.inventory_stats import channel_stats, format_ctr, network_reach, placement_stats
from shelfspace.reporting.models import RollupDay, RollupInteraction
from tests.support import BANNER, SEARCH, VIDEO, Api, decide_until, runtime

DAY = "2026-06-01"


def _delivery(placement: str, channel: str, impressions: int, clicks: int, spend: int, day: str = DAY) -> RollupDay:
    return RollupDay(
        day=day,
        advertiser_id="a",
        campaign_id="c",
        line_item_id="l",
        creative_id="cr",
        placement_id=placement,
        channel=channel,
        sku="",
        impressions=impressions,
        viewable_impressions=impressions // 2,
        clicks=clicks,
        spend_micros=spend,
        invalid_impressions=99,
        invalid_viewable_impressions=0,
        invalid_clicks=7,
    )


def _view(ad: str, placement: str, channel: str, user: str, day: str = DAY) -> RollupInteraction:
    return RollupInteraction(
        ad_id=ad,
        kind="view",
        day=day,
        hour=10,
        time=0.0,
        user_id=user,
        advertiser_id="a",
        campaign_id="c",
        line_item_id="l",
        creative_id="cr",
        placement_id=placement,
        channel=channel,
        sku="",
    )


def test_figures_per_placement_channel_and_format(operator: Api, engine: Engine) -> None:
    for placement in (BANNER, SEARCH, VIDEO):
        operator.post("/v1/placements", placement)
    with session_scope(make_sessionmaker(engine)) as db:
        db.add_all(
            [
                _delivery("home-hero", "web", 1000, 3, 5_000_000),
                _delivery("home-hero", "web", 1000, 1, 3_000_000),
                _delivery("search-top", "search", 400, 12, 6_000_000),
                _delivery("home-hero", "web", 5000, 50, 9_000_000, day="2026-06-03"),  # outside the window
                PlacementRequests(day=DAY, hour=9, placement_id="home-hero", requests=2500, filled=2000),
                PlacementRequests(day=DAY, hour=10, placement_id="home-hero", requests=1500, filled=0),
                PlacementRequests(day=DAY, hour=10, placement_id="search-top", requests=300, filled=300),
                _view("ad1", "home-hero", "web", "u1"),
                _view("ad2", "home-hero", "web", "u1"),
                _view("ad3", "home-hero", "web", "u2"),
                _view("ad4", "search-top", "search", "u2"),
                _view("ad5", "search-top", "search", "u3"),
            ]
        )
    window = {"start": date(2026, 5, 31), "end": date(2026, 6, 2)}
    with session_scope(make_sessionmaker(engine)) as db:
        by_id = {p.placement_id: p for p in placement_stats(db, **window)}
        hero, search, video = by_id["home-hero"], by_id["search-top"], by_id["ctv-preroll"]
        assert (hero.requests, hero.filled, hero.fill_rate) == (4000, 2000, 0.5)
        assert (hero.impressions, hero.viewable_impressions, hero.clicks) == (2000, 1000, 4)  # invalid left out
        assert hero.ctr == 0.002 and hero.revenue_micros == 8_000_000
        assert hero.ecpm_micros == 4_000_000  # 8.00 for 2,000 impressions is 4.00 a thousand
        assert hero.reach == 2 and hero.floor_cpm_micros == 2_500_000
        assert (search.fill_rate, search.ctr, search.reach) == (1.0, 0.03, 2)
        assert (video.requests, video.fill_rate, video.ctr, video.ecpm_micros, video.reach) == (0, None, None, None, 0)
        channels = {c.channel: c for c in channel_stats(db, **window)}
        assert channels[Channel.WEB].revenue_micros == 8_000_000 and channels[Channel.WEB].reach == 2
        assert channels[Channel.CTV].impressions == 0
        ctr = format_ctr(db, **window)
        assert ctr[AdFormat.BANNER] == 0.002 and ctr[AdFormat.SPONSORED_PRODUCT] == 0.03
        assert ctr[AdFormat.NATIVE] is None
        assert network_reach(db, **window) == 3


def test_the_decision_route_counts_slots_asked_for_and_filled(
    operator: Api, client: TestClient, engine: Engine
) -> None:
    operator.post("/v1/placements", BANNER)
    ask = {"placements": [{"id": "home-hero", "count": 1}], "context": {"country": "GB"}}
    decide_until(operator, ask, "home-hero", 0)  # the snapshot knows the placement; nothing runs there
    for _ in range(4):
        operator.post("/v1/decisions", ask, status=200)
    runtime(client).opportunities.flush()
    runtime(client).opportunities.flush()  # a second flush adds nothing
    with session_scope(make_sessionmaker(engine)) as db:
        rows = db.execute(select(PlacementRequests.day, PlacementRequests.requests, PlacementRequests.filled)).all()
    assert len(rows) == 1
    day, requests, filled = rows[0]
    assert day == datetime.now(UTC).date().isoformat()
    assert requests >= 5 and filled == 0  # nothing is live there
