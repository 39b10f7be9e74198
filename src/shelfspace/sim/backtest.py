"""The forecasting backtest: each day of a simulated history forecast from the days before
it, then compared with what the simulated shoppers were served that day.

The demo network (`sim/demo_network.py`) is seeded in a fresh database and its history
replayed through the real app (`sim/runs.py replay_history`) with every request sampled.
At the first instant of each day after a warm-up (`DailyForecasts`, the replay's
`on_day`), before any of that day's traffic exists, every live line item is forecast for
the day exactly as a brand would forecast it at its current settings: the forecaster's
baseline of the days before (`Forecaster.baseline(today=day)`), the line item proposed as
it is and replacing itself (its own bids leave the auctions it is replayed against), its
campaign's spend so far and its advertiser's funds left as the counters hold them then.
The clock, the counters, the click-rate estimates, the audiences and the catalogue are
the app's own at that instant: nothing of the day or after it can reach the forecast, and
`forecast_day` refuses a day that has begun (`LookAhead`).

When the replay ends, the forecasts are compared with the rollups (`reporting/report.py`
`build_report`, what `GET /v1/reports` answers) of the same day: impressions, clicks and
spend per line item and per campaign (its line items summed), each error as an absolute
percentage of the actual, and their median (MdAPE). A day with no actual delivery has no
percentage error: such days are counted apart. Beside it, the errors of two naive
forecasts on the same campaign-days, "the same as the day before" and "the same as the
same weekday last week", so the table says what the replay adds over copying the past.

It lives in `sim/` beside the replay it drives: it stands on the whole app, which the
forecasting package (below the app) cannot import.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from shelfspace.accounts.roles import SYSTEM, Role
from shelfspace.accounts.schemas import ApiKeyCreate
from shelfspace.accounts.service import create_key
from shelfspace.catalog.models import Campaign
from shelfspace.config import Settings
from shelfspace.core.attribution import Windows
from shelfspace.core.clock import Clock
from shelfspace.core.money import MICROS_PER_UNIT
from shelfspace.counters.protocol import Counters
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.decisioning.inventory import Inventory, LiveCampaign
from shelfspace.forecasting.forecaster import Forecaster
from shelfspace.forecasting.replay_types import DayForecast, Proposal
from shelfspace.forecasting.request_log import RequestLog
from shelfspace.reporting.report import Grouping, ReportQuery, build_report
from shelfspace.runtime import runtime_of
from shelfspace.sim.demo_brands import BRANDS
from shelfspace.sim.demo_network import seed_demo_network
from shelfspace.sim.runs import Audience, replay_history

WARM_UP_DAYS = 7  # a day is forecast from a sampled day of the same weekday: a week of history first
TARGET_MDAPE = 0.15  # issue 20: impressions per campaign and day


class LookAhead(ValueError):
    """A forecast that could see the day it forecasts: refused."""


class Metric(StrEnum):
    IMPRESSIONS = "impressions"
    CLICKS = "clicks"
    SPEND = "spend"


@dataclass(frozen=True, slots=True)
class Figures:
    impressions: float
    clicks: float
    spend_micros: float

    def of(self, metric: Metric) -> float:
        if metric is Metric.IMPRESSIONS:
            return self.impressions
        if metric is Metric.CLICKS:
            return self.clicks
        return self.spend_micros

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.impressions + other.impressions, self.clicks + other.clicks, self.spend_micros + other.spend_micros
        )


NOTHING = Figures(0, 0.0, 0)


@dataclass(frozen=True, slots=True)
class LineForecast:
    """One live line item forecast for one day, and when and from what it was made."""

    day: date
    campaign_id: str
    line_item_id: str
    figures: Figures
    made_at: datetime  # the replay's clock when the forecast was made: the day's first instant
    baseline_end: date  # the last day the baseline replayed: always before `day`
    detail: DayForecast | None  # the forecast's day: requests, avails, the sampled day replayed (None: no
    # sampled request on its placements, or the campaign starts later)


@dataclass(frozen=True, slots=True)
class Compared:
    """A forecast beside what happened: one line item's day, or one campaign's (`line_item_id` None)."""

    day: date
    campaign_id: str
    campaign: str
    line_item_id: str | None
    forecast: Figures
    actual: Figures

    def error(self, metric: Metric) -> float | None:
        """|forecast - actual| / actual; None when nothing was delivered (no percentage to take)."""
        actual = self.actual.of(metric)
        return abs(self.forecast.of(metric) - actual) / actual if actual else None


@dataclass(frozen=True, slots=True)
class Accuracy:
    metric: Metric
    mdape: float | None
    measured: int  # rows with an actual above zero
    zero_actual: int  # rows with no delivery: no percentage error
    zero_both: int  # of those, forecast zero as well
    forecast_total: float
    actual_total: float

    @property
    def bias(self) -> float | None:
        """Sum of the forecasts over the sum of the actuals, less one: above zero, too high."""
        return self.forecast_total / self.actual_total - 1 if self.actual_total else None


def accuracy(rows: Iterable[Compared], metric: Metric) -> Accuracy:
    errors: list[float] = []
    zero = both = 0
    forecast_total = actual_total = 0.0
    for row in rows:
        forecast_total += row.forecast.of(metric)
        actual_total += row.actual.of(metric)
        found = row.error(metric)
        if found is None:
            zero += 1
            both += row.forecast.of(metric) == 0
        else:
            errors.append(found)
    return Accuracy(
        metric, statistics.median(errors) if errors else None, len(errors), zero, both, forecast_total, actual_total
    )


@dataclass(frozen=True, slots=True)
class BacktestResult:
    history: tuple[date, date]  # the simulated days
    forecast_days: tuple[date, date]  # the days forecast (each from the days before it)
    made: list[LineForecast]
    line_items: list[Compared]
    campaigns: list[Compared]
    naive_day: list[Compared]  # each campaign-day forecast as the campaign's actual of the day before
    naive_week: list[Compared]  # ... and of the same weekday a week before

    def accuracy(self, metric: Metric, rows: str = "campaigns") -> Accuracy:
        return accuracy(getattr(self, rows), metric)


def live_proposal(inventory: Inventory, line_item_id: str, counters: Counters, day: date) -> Proposal:
    """A live line item proposed as it is: replacing itself (its bids leave the auctions it
    is replayed against), its campaign's spend so far and its advertiser's funds left as the
    counters hold them on `day`. What `proposals.proposal_of` builds for a brand's
    `replaces`, from the inventory instead of a request."""
    line_item = next((li for li in inventory.line_items if li.id == line_item_id), None)
    if line_item is None:
        raise KeyError(f"no live line item {line_item_id}")
    campaign = inventory.campaigns[line_item.campaign_id]
    advertiser = inventory.advertisers[line_item.advertiser_id]
    spent = counters.budget_use(campaign.id, day.isoformat()).spent_total
    funds_left = (
        None if campaign.funds_micros is None else counters.account_use(advertiser.id).left(campaign.funds_micros)
    )
    return Proposal(
        line_item, campaign, advertiser, replaces=line_item.id, spent_micros=spent, funds_left_micros=funds_left
    )


def live_on(campaign: LiveCampaign, day: date, tz: ZoneInfo) -> bool:
    """Whether the campaign's flight overlaps the local `day`. The live inventory holds
    every campaign not yet ended, those that start later too (the journey network's
    promotion weeks begin each Monday): a line item of one is not forecast for a day
    before its start, so it is not counted as a day forecast and delivered at zero."""
    day_start = datetime.combine(day, time.min, tz)
    day_end = datetime.combine(day + timedelta(days=1), time.min, tz)
    return campaign.start < day_end and (campaign.end is None or campaign.end > day_start)


def forecast_day(
    forecaster: Forecaster, counters: Counters, clock: Clock, day: date, tz: ZoneInfo
) -> list[LineForecast]:
    """Every live line item forecast for `day`, from the days before it only. Refused
    (`LookAhead`) once the day has begun: the counters, click rates and request log would
    hold part of it."""
    now = clock.now()
    if now > datetime.combine(day, time.min, tz):
        raise LookAhead(f"{day} began before {now.isoformat()}: its forecast could see part of it")
    baseline = forecaster.baseline(today=day)
    if baseline.end >= day:
        raise LookAhead(f"the baseline for {day} replays up to {baseline.end}")
    made: list[LineForecast] = []
    for line_item in baseline.inventory.line_items:
        if not live_on(baseline.inventory.campaigns[line_item.campaign_id], day, tz):
            continue  # its campaign starts after the day: nothing of it to forecast or compare
        proposal = live_proposal(baseline.inventory, line_item.id, counters, day)
        forecast = forecaster.forecast_proposal(proposal, today=day)
        found = next((d for d in forecast.days if d.day == day), None) if forecast is not None else None
        figures = Figures(found.impressions, found.clicks, found.spend_micros) if found is not None else NOTHING
        made.append(LineForecast(day, line_item.campaign_id, line_item.id, figures, now, baseline.end, found))
    return made


class DailyForecasts:
    """The replay's `on_day`: at the first instant of each day from `first` to `last`,
    every live line item forecast for it by a forecaster on the app's own clock, counters,
    audiences and request log (as the app's forecaster is built; none is kept on the app)."""

    def __init__(self, first: date, last: date, tz: ZoneInfo) -> None:
        self.first, self.last, self.tz = first, last, tz
        self.made: list[LineForecast] = []
        self._forecaster: Forecaster | None = None

    def __call__(self, app: FastAPI, start: datetime) -> None:
        day = start.astimezone(self.tz).date()
        if not self.first <= day <= self.last:
            return
        rt = runtime_of(app)
        if self._forecaster is None:
            requests = rt.opportunities.requests
            assert isinstance(requests, RequestLog)  # the app's own, sampling
            self._forecaster = Forecaster(
                rt.db_sessions,
                requests,
                rt.counters,
                rt.audience_index,
                lambda text: rt.keys.signer.pseudonym(text),
                rt.clock,
                self.tz,
            )
        self.made.extend(forecast_day(self._forecaster, rt.counters, rt.clock, day, self.tz))


def actuals(db: Session, start: date, end: date, windows: Windows, timezone: str) -> dict[tuple[date, str], Figures]:
    """What the rollups say each line item got each day, as `GET /v1/reports` sums them:
    (day, line item) -> impressions, clicks, spend."""
    report = build_report(db, ReportQuery(start, end, (Grouping.DAY, Grouping.LINE_ITEM)), windows, timezone)
    found: dict[tuple[date, str], Figures] = {}
    for row in report.rows:
        spend: Decimal = row["spend"]
        found[(date.fromisoformat(row["day"]), row["line_item_id"])] = Figures(
            row["impressions"], row["clicks"], int(spend * MICROS_PER_UNIT)
        )
    return found


def compare(
    made: list[LineForecast], actual: dict[tuple[date, str], Figures], names: dict[str, str], history_start: date
) -> tuple[list[Compared], list[Compared], list[Compared], list[Compared]]:
    """Per line item-day, per campaign-day (its line items summed), and the naive forecasts
    on the same campaign-days: the campaign's actual of the day before, and of a week before
    (only where that day is in the history)."""
    line_items: list[Compared] = []
    forecasts: dict[tuple[date, str], Figures] = defaultdict(lambda: NOTHING)
    campaign_of: dict[str, str] = {}
    for made_one in made:
        got = actual.get((made_one.day, made_one.line_item_id), NOTHING)
        line_items.append(
            Compared(
                made_one.day,
                made_one.campaign_id,
                names.get(made_one.campaign_id, ""),
                made_one.line_item_id,
                made_one.figures,
                got,
            )
        )
        forecasts[(made_one.day, made_one.campaign_id)] += made_one.figures
        campaign_of[made_one.line_item_id] = made_one.campaign_id
    by_campaign: dict[tuple[date, str], Figures] = defaultdict(lambda: NOTHING)
    for (day, line_item_id), figures in actual.items():
        campaign_id = campaign_of.get(line_item_id)
        if campaign_id is not None:
            by_campaign[(day, campaign_id)] += figures
    campaigns = [
        Compared(day, cid, names.get(cid, ""), None, figures, by_campaign[(day, cid)])
        for (day, cid), figures in sorted(forecasts.items())
    ]

    def naive(lag: int) -> list[Compared]:
        return [
            Compared(
                c.day,
                c.campaign_id,
                c.campaign,
                None,
                by_campaign[(c.day - timedelta(days=lag), c.campaign_id)],
                c.actual,
            )
            for c in campaigns
            if c.day - timedelta(days=lag) >= history_start
        ]

    return line_items, campaigns, naive(1), naive(7)


def seed_network(engine: Engine, days: int, until: datetime) -> str:
    """The demo network, its campaigns started before the first simulated day (so every
    day of the history delivers, bar the two the demo starts late); an operator key."""
    started_before = max(plan.started_days_ago for brand in BRANDS for plan in brand.campaigns)
    first = until - timedelta(days=days)
    with session_scope(make_sessionmaker(engine)) as db:
        seed_demo_network(db, first + timedelta(days=started_before), read_at=until)
        _, key = create_key(db, SYSTEM, ApiKeyCreate(role=Role.OPERATOR, name="backtest"))
    return key


def backtest_settings(data_dir: Any) -> Settings:
    """A network of its own in `data_dir` (never the configured database), every request
    sampled, days in UTC as the replay steps them."""
    return Settings(
        data_dir=data_dir,
        database_url=None,
        redis_url=None,
        timezone="UTC",
        request_sample_percent=100,
        network_name="Freshmart backtest",
    )


def run_backtest(
    settings: Settings,
    engine: Engine,
    operator_key: str,
    days: int,
    audience: Audience,
    until: datetime,
    warm_up: int = WARM_UP_DAYS,
) -> BacktestResult:
    """Replay `days` whole days before `until` (a UTC midnight) on the seeded network,
    forecasting each day after the first `warm_up` at its first instant; then compare."""
    if until != until.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0):
        raise ValueError("the history ends at a UTC midnight")
    if not 1 <= warm_up < days:
        raise ValueError("at least one day of history before the first forecast, and one day to forecast")
    tz = ZoneInfo(settings.timezone)
    first = (until - timedelta(days=days)).astimezone(tz).date()
    last = (until - timedelta(days=1)).astimezone(tz).date()
    forecasts = DailyForecasts(first + timedelta(days=warm_up), last, tz)
    replay_history(settings, engine, operator_key, days, audience, until=until, on_day=forecasts)
    return result_of(settings, engine, forecasts, first)


def result_of(settings: Settings, engine: Engine, forecasts: DailyForecasts, first: date) -> BacktestResult:
    """The forecasts made during a replay whose history began on `first`, compared with
    the rollups of their days (the synthetic backtest's and the journey's alike)."""
    with session_scope(make_sessionmaker(engine)) as db:
        actual = actuals(db, first, forecasts.last, settings.attribution_windows(), settings.timezone)
        names = {cid: name for cid, name in db.execute(select(Campaign.id, Campaign.name))}
    return BacktestResult(
        (first, forecasts.last),
        (forecasts.first, forecasts.last),
        forecasts.made,
        *compare(forecasts.made, actual, names, first),
    )


@dataclass(slots=True)
class CampaignSummary:
    campaign: str
    days: int = 0
    forecast: Figures = NOTHING
    actual: Figures = NOTHING
    errors: dict[Metric, list[float]] = field(default_factory=lambda: defaultdict(list))

    def mdape(self, metric: Metric) -> float | None:
        found = self.errors[metric]
        return statistics.median(found) if found else None


def by_campaign(rows: Iterable[Compared]) -> list[CampaignSummary]:
    """Each campaign's days added up, and the median of its daily errors."""
    found: dict[str, CampaignSummary] = {}
    for row in rows:
        summary = found.setdefault(row.campaign_id, CampaignSummary(row.campaign))
        summary.days += 1
        summary.forecast += row.forecast
        summary.actual += row.actual
        for metric in Metric:
            error = row.error(metric)
            if error is not None:
                summary.errors[metric].append(error)
    return sorted(found.values(), key=lambda s: -s.actual.impressions)
