"""The forecasting backtest on real baskets: `shelfspace backtest-forecasts --data complete-journey`.

The synthetic backtest (`sim/backtest.py`) forecasts a shop whose traffic it invents; this
one forecasts the Complete Journey's households, whose visits follow their real baskets
(`sim/journey_replay.py`): weeks unlike each other, households that come once a fortnight,
and a network whose in-store and e-mail campaigns are the data's display and mailer weeks,
each live for its week only. The journey network is seeded in the scratch database of
`backtest_settings` (as the journey demo seeds it, `sim/journey_demo.py seed_journey`) and
its window replayed with the synthetic backtest's `DailyForecasts` as the replay's
`on_day`: at the first instant of each day after the warm-up, every line item live that
day is forecast from the days before it only; then the same comparison and tables.

No effect is injected into the test campaign's households (`TestEffect`): its extra orders
would be the simulator's, and the point here is the real baskets' traffic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from shelfspace.accounts.roles import SYSTEM, Role
from shelfspace.accounts.schemas import ApiKeyCreate
from shelfspace.accounts.service import create_key
from shelfspace.config import Settings
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.sim import journey_data
from shelfspace.sim.backtest import WARM_UP_DAYS, BacktestResult, DailyForecasts, result_of
from shelfspace.sim.journey_demo import seed_journey
from shelfspace.sim.journey_replay import replay_journey
from shelfspace.sim.journey_window import JourneyData, Window, load
from shelfspace.sim.traffic import Tally

KEY_NAME = "journey backtest"


@dataclass(frozen=True, slots=True)
class JourneyBacktest:
    """The comparison, and what it was run on: for the command's lines and the tests."""

    result: BacktestResult
    data: JourneyData
    baskets: int  # the real baskets replayed
    campaigns: int  # seeded, the promotion weeks' included
    promotion_weeks: int


def run_journey_backtest(
    settings: Settings,
    engine: Engine,
    window: Window,
    until: datetime,
    warm_up: int = WARM_UP_DAYS,
    seed: int = 7,
    on_progress: Callable[[float, Tally], None] | None = None,
) -> JourneyBacktest:
    """Seed the journey network from `window` moved to end at `until` (a UTC midnight) in
    the empty, migrated database of `engine`, replay it, forecasting each day after the
    first `warm_up` at its first instant; then compare. Raises `JourneyDataMissing`
    without the data package."""
    if not journey_data.installed():
        raise journey_data.JourneyDataMissing()
    if until != until.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0):
        raise ValueError("the window ends at a UTC midnight")
    if not 1 <= warm_up < window.days:
        raise ValueError("at least one day of history before the first forecast, and one day to forecast")
    data = load(window, until)
    network, _, weeks = seed_journey(settings, engine, data)
    with session_scope(make_sessionmaker(engine)) as db:
        _, key = create_key(db, SYSTEM, ApiKeyCreate(role=Role.OPERATOR, name=KEY_NAME))
    tz = ZoneInfo(settings.timezone)
    first = data.first_instant.astimezone(tz).date()
    last = (until - timedelta(days=1)).astimezone(tz).date()
    forecasts = DailyForecasts(first + timedelta(days=warm_up), last, tz)
    replay = replay_journey(settings, engine, key, data, None, seed, on_progress, on_day=forecasts)
    return JourneyBacktest(
        result_of(settings, engine, forecasts, first), data, replay.baskets, network.campaigns, weeks
    )
