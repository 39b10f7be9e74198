"""The forecasting backtest: days of the demo's shoppers, each forecast at its first instant
from the days before it, then compared with what the shoppers were served.

A short history (Monday to Thursday, 600 visits a day) runs once for the module; the full
one is `shelfspace backtest-forecasts` (docs/forecasting.md)."""

from __future__ import annotations

import itertools
import random
import statistics
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from shelfspace.audiences.membership import AudienceIndex
from shelfspace.core import ids
from shelfspace.core.clock import SteppedClock
from shelfspace.counters.memory import MemoryCounters
from shelfspace.db.session import make_sessionmaker
from shelfspace.decisioning.inventory import (
    Inventory,
    LiveAdvertiser,
    LiveCampaign,
    LiveLineItem,
    LivePlacement,
    Pacing,
    Pricing,
)
from shelfspace.forecasting.forecaster import Forecaster
from shelfspace.forecasting.request_log import RequestLog
from shelfspace.forecasting.sample import RequestSampler
from shelfspace.sim.backtest import (
    Compared,
    Figures,
    LineForecast,
    LookAhead,
    Metric,
    accuracy,
    backtest_settings,
    compare,
    forecast_day,
    live_proposal,
    run_backtest,
    seed_network,
)
from shelfspace.sim.runs import Audience
from tests.databases import migrated_engine, sqlite_url

UTC_ZONE = ZoneInfo("UTC")
UNTIL = datetime(2026, 11, 20, tzinfo=UTC)  # the history is Monday 16 to Thursday 19 November
DAYS = 4
WARM_UP = 1  # Tuesday, Wednesday and Thursday are forecast
AUDIENCE = Audience(shoppers=1500, visits_per_day=600, seed=11)
# Impressions per campaign-day: see test_each_day_is_forecast_within_the_bound for why 30%.
BOUND = 0.30


@pytest.fixture(scope="module")
def backtest(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The demo network seeded with ids from a fixed source (holdout groups hash the
    campaign id: the same ids, the same week), the history replayed and forecast."""
    folder = tmp_path_factory.mktemp("backtest")
    settings = backtest_settings(folder / "data")
    engine = migrated_engine(sqlite_url(folder))
    ticks = itertools.count(int(UNTIL.timestamp()) * 1000)
    with ids.drawn_from(ids.IdSource(lambda: next(ticks), random.Random(5))):
        key = seed_network(engine, DAYS, UNTIL)
    result = run_backtest(settings, engine, key, DAYS, AUDIENCE, UNTIL, WARM_UP)
    yield SimpleNamespace(result=result, engine=engine, settings=settings)
    engine.dispose()


def test_each_day_is_forecast_within_the_bound(backtest) -> None:  # type: ignore[no-untyped-def]
    """The median error of impressions per campaign-day, under 30%.

    Why 30% and not the issue's 15%: in four days of 600 visits the median campaign-day
    has a few dozen impressions, and a forecast from one sampled day of the same shop is a
    second draw of the same chance. Two independent Poisson counts around n differ by
    about sqrt(2n), so for n = 40 the median absolute error of a forecast exactly right
    in expectation is about 0.674 * sqrt(2 / 40) = 15% already (measured below). The
    forecaster's remaining known errors (docs/forecasting.md: caps longer than a day start
    from zero, ads served counted as impressions) add to it: 21.1% measured (27.6% before
    funds and holdouts were replayed). Budgets scaled twice by a sample, a line item's own
    bids left against it, or a forecast of twice or half the traffic land far outside
    (halving every forecast: over 30%)."""
    result = backtest.result
    measured = result.accuracy(Metric.IMPRESSIONS)
    assert measured.measured >= 3 * 10, measured  # three days of at least ten delivering campaigns
    noise = statistics.median(
        0.674 * (2 / row.actual.impressions) ** 0.5 for row in result.campaigns if row.actual.impressions
    )
    assert noise < BOUND / 1.5, noise  # the history is big enough for the bound to mean something
    assert measured.mdape is not None and measured.mdape < BOUND, measured
    halved = [
        Compared(r.day, r.campaign_id, r.campaign, None, Figures(r.forecast.impressions / 2, 0, 0), r.actual)
        for r in result.campaigns
    ]
    assert accuracy(halved, Metric.IMPRESSIONS).mdape > BOUND  # type: ignore[operator]


def test_each_forecast_was_made_at_its_days_first_instant_from_the_days_before(backtest) -> None:  # type: ignore[no-untyped-def]
    result = backtest.result
    days = {made.day for made in result.made}
    assert days == {date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19)}
    for made in result.made:
        assert made.made_at == datetime.combine(made.day, datetime.min.time(), UTC)
        assert made.baseline_end == made.day - timedelta(days=1)
        if made.detail is not None:
            assert made.detail.day == made.day and made.detail.sampled_day < made.day
    # Compared with the same day's delivery, not the day the baseline replayed.
    assert {row.day for row in result.campaigns} == days
    assert sum(row.actual.impressions for row in result.campaigns) > 0


def test_a_day_that_has_begun_is_refused(backtest) -> None:  # type: ignore[no-untyped-def]
    """After the replay, the counters and the request log hold the days forecast: a
    forecast of one of them now could see it, and is refused."""
    sessions = make_sessionmaker(backtest.engine)
    clock = SteppedClock(UNTIL)
    counters = MemoryCounters()
    counters.restore([])
    forecaster = Forecaster(
        sessions,
        RequestLog(sessions, RequestSampler(100, str), UTC_ZONE, clock.now),
        counters,
        AudienceIndex(10),
        str,
        clock,
        UTC_ZONE,
    )
    with pytest.raises(LookAhead):
        forecast_day(forecaster, counters, clock, date(2026, 11, 19), UTC_ZONE)
    with pytest.raises(LookAhead):  # a second into the day is too late as well
        forecast_day(
            forecaster,
            counters,
            SteppedClock(datetime(2026, 11, 19, 0, 0, 1, tzinfo=UTC)),
            date(2026, 11, 19),
            UTC_ZONE,
        )
    made = forecast_day(
        forecaster, counters, SteppedClock(datetime(2026, 11, 20, tzinfo=UTC)), date(2026, 11, 20), UTC_ZONE
    )  # the day after the history, at its first instant: allowed
    assert made and all(m.baseline_end == date(2026, 11, 19) for m in made)


# --- the comparison, by hand -------------------------------------------------------------

D1, D2 = date(2026, 11, 17), date(2026, 11, 18)


def _made(day: date, campaign: str, line_item: str, impressions: int) -> LineForecast:
    return LineForecast(
        day,
        campaign,
        line_item,
        Figures(impressions, 1.0, impressions * 1000),
        datetime.combine(day, datetime.min.time(), UTC),
        day - timedelta(days=1),
        None,
    )


def test_campaign_days_sum_their_line_items_and_the_naive_forecast_is_the_day_before() -> None:
    made = [_made(D2, "c1", "a", 60), _made(D2, "c1", "b", 40), _made(D2, "c2", "x", 10)]
    actual = {
        (D1, "a"): Figures(50, 0, 0),
        (D1, "b"): Figures(30, 0, 0),
        (D2, "a"): Figures(70, 2, 0),
        (D2, "b"): Figures(50, 0, 0),
        (D1, "x"): Figures(5, 0, 0),
        (D2, "y-not-forecast"): Figures(9, 0, 0),
        (D2 - timedelta(days=7), "b"): Figures(90, 0, 0),
    }
    line_items, campaigns, naive, week = compare(made, actual, {"c1": "One", "c2": "Two"}, D2 - timedelta(days=7))
    assert [(r.line_item_id, r.forecast.impressions, r.actual.impressions) for r in line_items] == [
        ("a", 60, 70),
        ("b", 40, 50),
        ("x", 10, 0),
    ]
    assert [(r.campaign, r.forecast.impressions, r.actual.impressions) for r in campaigns] == [
        ("One", 100, 120),
        ("Two", 10, 0),
    ]
    assert [(r.forecast.impressions, r.actual.impressions) for r in naive] == [(80, 120), (5, 0)]
    assert [(r.forecast.impressions, r.actual.impressions) for r in week] == [(90, 120), (0, 0)]
    assert compare(made, actual, {}, D1)[3] == []  # a week before the history: no naive forecast
    found = accuracy(campaigns, Metric.IMPRESSIONS)
    assert found.mdape == pytest.approx(20 / 120)
    assert (found.measured, found.zero_actual, found.zero_both) == (1, 1, 0)  # no percentage of nothing
    assert found.bias == pytest.approx(110 / 120 - 1)


def test_a_live_line_item_is_proposed_as_it_is_replacing_itself() -> None:
    campaign = LiveCampaign(
        "c1",
        "adv",
        datetime(2026, 11, 1, tzinfo=UTC),
        None,
        100_000_000,
        5_000_000,
        Pacing.EVEN,
        0,
        funds_micros=20_000_000,
    )
    line_item = LiveLineItem(
        id="li1",
        campaign_id="c1",
        advertiser_id="adv",
        pricing=Pricing.CPM,
        bid_micros=3_000_000,
        placements=frozenset({"hero"}),
    )
    inventory = Inventory(
        {"hero": LivePlacement("hero", "web", "banner", ("300x250",), 1_000_000, 1)},
        {"adv": LiveAdvertiser("adv")},
        {"c1": campaign},
        (line_item,),
        {},
    )
    counters = MemoryCounters()
    counters.restore([("c1", "2026-11-16", 4_000_000), ("c1", "2026-11-17", 3_000_000)], [("adv", 12_000_000)])
    proposal = live_proposal(inventory, "li1", counters, D2)
    assert proposal.line_item is line_item and proposal.replaces == "li1"
    assert proposal.campaign is campaign and proposal.advertiser.id == "adv"
    assert proposal.spent_micros == 7_000_000  # the campaign's spend before the day
    assert proposal.funds_left_micros == 8_000_000
    with pytest.raises(KeyError):
        live_proposal(inventory, "li-gone", counters, D2)
