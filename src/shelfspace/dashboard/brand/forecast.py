"""What a bid would buy: a forecast from the chosen placements' last weeks.

The assumption, stated on the page: the bid wins a share of each placement's ad
requests by how it compares with what the placement clears at (its eCPM): about 60%
at or above it, 25% between the floor and it, none below the floor; the winner pays
about 80% of its bid (the second price); cost is capped by the daily budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from shelfspace.catalog.enums import Pricing
from shelfspace.reporting.inventory_stats import PlacementStats, placement_stats

LOOKBACK_DAYS = 14
WIN_SHARE_ABOVE_CLEARING = 0.6
WIN_SHARE_ABOVE_FLOOR = 0.25
SECOND_PRICE = 0.8
ASSUMED_CTR = 0.003  # for a placement without history yet
ASSUMPTION = ("Based on the last 14 days of these placements: a bid at or above what a placement clears at "
              "wins about 60% of its requests, between its floor and that about 25%; you pay about 80% of your bid.")


@dataclass(frozen=True, slots=True)
class Forecast:
    daily_impressions: int
    daily_clicks: int
    daily_cost_micros: int
    total_impressions: int
    total_clicks: int
    total_cost_micros: int
    below_floor: list[str]  # placements the bid cannot win


def _ecpm_of_bid(pricing: Pricing, bid_micros: int, p: PlacementStats) -> int:
    return bid_micros if pricing is Pricing.CPM else int(bid_micros * (p.ctr or ASSUMED_CTR) * 1000)


def forecast(db: Session, today: date, placement_ids: list[str], pricing: Pricing, bid_micros: int,
             days: int, daily_budget_micros: int | None, total_budget_micros: int | None) -> Forecast:
    start = today - timedelta(days=LOOKBACK_DAYS)
    stats = [p for p in placement_stats(db, start=start, end=today - timedelta(days=1)) if p.placement_id in placement_ids]
    impressions = clicks = cost = 0.0
    below: list[str] = []
    for p in stats:
        ecpm = _ecpm_of_bid(pricing, bid_micros, p)
        if ecpm < p.floor_cpm_micros:
            below.append(p.name)
            continue
        share = WIN_SHARE_ABOVE_CLEARING if ecpm >= (p.ecpm_micros or p.floor_cpm_micros) else WIN_SHARE_ABOVE_FLOOR
        won = p.requests / LOOKBACK_DAYS * share
        impressions += won
        clicks += won * (p.ctr or ASSUMED_CTR)
        cost += won * ecpm * SECOND_PRICE / 1000
    cap = daily_budget_micros or ((total_budget_micros // max(days, 1)) if total_budget_micros else None)
    if cap is not None and cost > cap:
        scale = cap / cost
        impressions, clicks, cost = impressions * scale, clicks * scale, float(cap)
    total_cost = cost * days
    if total_budget_micros is not None and total_cost > total_budget_micros:
        days_funded = total_budget_micros / cost if cost else days
        total = (impressions * days_funded, clicks * days_funded, float(total_budget_micros))
    else:
        total = (impressions * days, clicks * days, total_cost)
    return Forecast(int(impressions), int(clicks), int(cost), int(total[0]), int(total[1]), int(total[2]), below)
