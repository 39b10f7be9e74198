"""The report's metrics, as the industry defines them, from summed counts.

CTR = clicks / impressions; CPM = spend / impressions × 1000; CPC = spend / clicks;
CPA = spend / conversions; ROAS = attributed revenue / spend; frequency = impressions /
reach. A division by zero is null (no data), never an error and never zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from shelfspace.core.money import MICROS_PER_UNIT
from shelfspace.reporting.rollup import Delivery

SIX_PLACES = Decimal("0.000001")


def ratio(numerator: Decimal | int, denominator: Decimal | int, scale: int = 1) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * scale / Decimal(denominator)).quantize(SIX_PLACES, rounding=ROUND_HALF_EVEN)


def money(micros: int) -> Decimal:
    return (Decimal(micros) / MICROS_PER_UNIT).quantize(SIX_PLACES)


@dataclass(slots=True)
class Sums(Delivery):
    """What rollups add up for one row of a report: delivery, then reach and sales."""

    reach: int = 0
    conversions: int = 0
    revenue_micros: int = 0
    promoted_revenue_micros: int = 0
    halo_revenue_micros: int = 0
    new_to_brand_conversions: int = 0
    click_conversions: int = 0
    view_conversions: int = 0

    def metrics(self) -> dict[str, int | Decimal | None]:
        spend, revenue = money(self.spend_micros), money(self.revenue_micros)
        return {
            "impressions": self.impressions,
            "viewable_impressions": self.viewable_impressions,
            "clicks": self.clicks,
            "ctr": ratio(self.clicks, self.impressions),
            "spend": spend,
            "cpm": ratio(spend, self.impressions, 1000),
            "cpc": ratio(spend, self.clicks),
            "conversions": self.conversions,
            "revenue": revenue,
            "cpa": ratio(spend, self.conversions),
            "roas": ratio(revenue, spend),
            "reach": self.reach,
            "frequency": ratio(self.impressions, self.reach),
            "viewability": ratio(self.viewable_impressions, self.impressions),
            "gross_impressions": self.impressions + self.invalid_impressions,
            "invalid_impressions": self.invalid_impressions,
            "gross_clicks": self.clicks + self.invalid_clicks,
            "invalid_clicks": self.invalid_clicks,
            "promoted_revenue": money(self.promoted_revenue_micros),
            "halo_revenue": money(self.halo_revenue_micros),
            "new_to_brand_conversions": self.new_to_brand_conversions,
            "click_conversions": self.click_conversions,
            "view_conversions": self.view_conversions,
            "video_starts": self.video_starts,
            "video_first_quartiles": self.video_first_quartiles,
            "video_midpoints": self.video_midpoints,
            "video_third_quartiles": self.video_third_quartiles,
            "video_completes": self.video_completes,
            "video_completion_rate": ratio(self.video_completes, self.video_starts),
        }


METRICS = tuple(Sums().metrics())
