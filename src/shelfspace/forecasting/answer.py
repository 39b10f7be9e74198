"""A forecast as the API answers it: the figures rounded, the method in words, and the
competitors as the caller may see them.

Who sees what: the operator sees the network, so each competitor comes with its line
item's and advertiser's ids and names. An advertiser's key sees that it meets other line
items and how often it would rank above them, never whose they are: each is "competitor
N" (numbered in the order shown, most auctions first), with no id or name, so the answer
cannot be joined with anything else to name a rival. (The replay leaves out the caller's
own line items: its own better line item keeps the advertiser's one ad, not a rival.)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfspace.accounts.roles import Principal
from shelfspace.catalog.models import Advertiser, LineItem
from shelfspace.forecasting.baseline import Baseline
from shelfspace.forecasting.forecaster import Answer
from shelfspace.forecasting.replay import OPEN_ENDED_DAYS
from shelfspace.forecasting.replay_types import DayForecast, Forecast, Proposal
from shelfspace.forecasting.schemas import (
    AnonymousCompetitor,
    Competitor,
    ForecastDay,
    ForecastFunnel,
    ForecastHistory,
    ForecastLimit,
    ForecastOut,
    ForecastTotal,
)

CLICK_DECIMALS = 2  # expected clicks: a few hundred impressions make a fraction of one
SHARE_DECIMALS = 4
FREQUENCY_DECIMALS = 2
CTR_DECIMALS = 6

Names = Mapping[str, str]  # line item or advertiser id -> its name


def forecast_out(answer: Answer, by: Principal, names: Names | None = None) -> ForecastOut:
    """The answer for `by`; `names` (ids to names, `competitor_names`) for an operator."""
    baseline, proposal, found = answer.baseline, answer.proposal, answer.forecast
    history = _history(baseline, proposal, found)
    if found is None:
        return ForecastOut(
            has_history=False,
            method=no_history_words(history),
            days=[],
            total=None,
            funnel=None,
            limits=[],
            limited_by=[],
            ecpm=None,
            predicted_ctr=None,
            competition=[],
            history=history,
        )
    return ForecastOut(
        has_history=True,
        method=method_words(history, found.open_ended),
        days=[_day(d) for d in found.days],
        total=_total(found),
        funnel=ForecastFunnel(**{name: getattr(found.funnel, name) for name in ForecastFunnel.model_fields}),
        limits=[
            ForecastLimit(limit=f.limit, lost_share=round(f.lost_share, SHARE_DECIMALS), message=f.message)
            for f in found.limits
        ],
        limited_by=[f.limit for f in found.limits],
        ecpm=found.ecpm_micros,
        predicted_ctr=round(found.predicted_ctr, CTR_DECIMALS),
        competition=_competition(found, by, names or {}),
        history=history,
    )


def competitor_names(db: Session, answer: Answer) -> dict[str, str]:
    """The names of the line items and advertisers met (the operator's view)."""
    if answer.forecast is None or not answer.forecast.rivals:
        return {}
    rivals = answer.forecast.rivals
    line_items = db.execute(select(LineItem.id, LineItem.name).where(LineItem.id.in_({r.line_item_id for r in rivals})))
    advertisers = db.execute(
        select(Advertiser.id, Advertiser.name).where(Advertiser.id.in_({r.advertiser_id for r in rivals}))
    )
    return {str(i): str(n) for i, n in [*line_items, *advertisers]}


def method_words(history: ForecastHistory, open_ended: bool) -> str:
    percent = _percent(history.sample_percent)
    words = (
        f"Replayed {history.sampled_requests:,} sampled requests ({percent}% of all requests) of "
        f"{history.from_}..{history.to} on these placements against the auctions the live line items ran on them "
        f"(catalogue version {history.catalogue_version}, replayed at {history.replayed_at:%Y-%m-%d %H:%M:%S %Z}); "
        "each forecast day replays a sampled day of the same weekday; caps applied per user; budgets and pacing "
        f"simulated; figures scaled by 100/{percent} = {100 / history.sample_percent:g}. What the proposal would "
        "take from the live line items is not fed back into their budgets."
    )
    if open_ended:
        words += f" No end date: the next {OPEN_ENDED_DAYS} days are forecast."
    return words


def no_history_words(history: ForecastHistory) -> str:
    days = (history.to - history.from_).days + 1
    return (
        f"No sampled request on these placements in the last {days} days ({history.from_}..{history.to}; "
        f"{_percent(history.sample_percent)}% of all requests are sampled), so nothing is forecast."
    )


def _percent(value: float) -> str:
    return f"{value:g}"


def _history(baseline: Baseline, proposal: Proposal, found: Forecast | None) -> ForecastHistory:
    placements = proposal.line_item.placements
    sampled = sum(day.requests for (_, pid), day in baseline.placements.items() if pid in placements)
    return ForecastHistory(
        sampled_days=len(found.sampled_days) if found is not None else 0,
        sampled_requests=sampled,
        sample_percent=round(100 / baseline.weight, 2),
        from_=baseline.start,
        to=baseline.end,
        catalogue_version=baseline.version,
        replayed_at=baseline.built_at,
    )


def _frequency(impressions: int, reach: int) -> float | None:
    return round(impressions / reach, FREQUENCY_DECIMALS) if reach else None


def _day(day: DayForecast) -> ForecastDay:
    return ForecastDay(
        date=day.day,
        sampled_day=day.sampled_day,
        requests=day.requests,
        avails=day.avails,
        impressions=day.impressions,
        clicks=round(day.clicks, CLICK_DECIMALS),
        spend=day.spend_micros,
        reach=day.reach,
        frequency=_frequency(day.impressions, day.reach),
    )


def _total(found: Forecast) -> ForecastTotal:
    days = found.days
    first: date | None = days[0].day if days else None
    last: date | None = days[-1].day if days else None
    return ForecastTotal(
        days=len(days),
        from_=first,
        to=last,
        open_ended=found.open_ended,
        requests=sum(d.requests for d in days),
        avails=sum(d.avails for d in days),
        impressions=found.impressions,
        clicks=round(found.clicks, CLICK_DECIMALS),
        spend=found.spend_micros,
        reach=found.reach,
        frequency=_frequency(found.impressions, found.reach),
    )


def _competition(found: Forecast, by: Principal, names: Names) -> list[Competitor | AnonymousCompetitor]:
    if not by.is_operator:
        return [
            AnonymousCompetitor(
                competitor=f"competitor {n}", auctions=r.auctions, share=round(r.won_share, SHARE_DECIMALS)
            )
            for n, r in enumerate(found.rivals, start=1)
        ]
    return [
        Competitor(
            line_item_id=r.line_item_id,
            line_item_name=names.get(r.line_item_id, ""),
            advertiser_id=r.advertiser_id,
            advertiser_name=names.get(r.advertiser_id, ""),
            auctions=r.auctions,
            share=round(r.won_share, SHARE_DECIMALS),
        )
        for r in found.rivals
    ]
