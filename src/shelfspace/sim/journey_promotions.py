"""The Complete Journey's in-store displays and mailers as the history of the network's
checkout screens and weekly offers e-mail.

The rule: for each week of the window and each advertiser, the products of its that stood
on display in any store that week are the products of a campaign on the in-store screen
(`instore-screen`) flighted that week only; those featured in that week's mailer are the
products of one on the e-mail placement (`newsletter-banner`). So a brand is on the
screens and in the e-mail exactly in the weeks it was on display or in the mailer, and
its bid grows with how much it was (a cent per product and store a week, over the floor):
the replay's decisions and impressions on those placements follow the real promotion weeks.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from shelfspace.catalog.enums import Pacing
from shelfspace.sim.demo_brands import CampaignPlan, LinePlan
from shelfspace.sim.journey_data import Display, Mailer
from shelfspace.sim.journey_network import JourneyBrand, brand_of, sku_of
from shelfspace.sim.journey_window import JourneyData, week_start

INSTORE = "instore-screen"
EMAIL = "newsletter-banner"
INSTORE_BID = (Decimal("8.50"), Decimal("20.00"))  # over the screen's 8.00 floor; at most
EMAIL_BID = (Decimal("2.20"), Decimal("6.00"))  # over the e-mail's 2.00 floor; at most
PER_DISPLAY = Decimal("0.01")  # the bid rises a cent per product and store on display that week
PROMOTED_PER_WEEK = 100  # the line item's products: the most displayed first


@dataclass(frozen=True, slots=True)
class PromotionWeek:
    """One advertiser's display (or mailer) week: the campaign that replays it."""

    brand: str  # advertiser name
    placement: str
    week: int
    starts: datetime  # moved to now
    skus: list[str]  # most displayed first
    displays: int  # product-store rows that week

    def plan(self, now: datetime) -> CampaignPlan:
        """The week as a campaign, dated relative to `now` (the seeding's anchor, a midnight)."""
        low, high = INSTORE_BID if self.placement == INSTORE else EMAIL_BID
        bid = min(high, low + PER_DISPLAY * self.displays)
        what = "in-store display" if self.placement == INSTORE else "mailer"
        ends = self.starts + timedelta(days=7)
        return CampaignPlan(
            name=f"{self.brand}: {what}, week of {self.starts:%d %b}",
            budget_total="500",
            lines=(LinePlan(f"{what.capitalize()} products", (self.placement,), str(bid), promote_brand=True),),
            pacing=Pacing.ASAP,
            started_days_ago=(now - self.starts).days,
            days_left=(ends - now).days,
        )


def promotion_weeks(data: JourneyData, brands: list[JourneyBrand]) -> list[PromotionWeek]:
    """Every advertiser's display and mailer weeks in the window, by week then brand."""
    advertiser_of = {b.brand: b.name for b in brands}
    shown: defaultdict[tuple[str, str, int], Counter[str]] = defaultdict(Counter)
    for promotion in data.promotions:
        product = data.products.get(promotion.product_id)
        if product is None or brand_of(product) not in advertiser_of:
            continue
        name = advertiser_of[brand_of(product)]
        if promotion.display is not Display.NONE:
            shown[(name, INSTORE, promotion.week)][sku_of(promotion.product_id)] += 1
        if promotion.mailer is not Mailer.NONE:
            shown[(name, EMAIL, promotion.week)][sku_of(promotion.product_id)] += 1
    order = {b.name: n for n, b in enumerate(brands)}
    weeks = []
    for (name, placement, week), counts in sorted(shown.items(), key=lambda kv: (kv[0][2], order[kv[0][0]], kv[0][1])):
        skus = [sku for sku, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:PROMOTED_PER_WEEK]
        weeks.append(PromotionWeek(name, placement, week, data.moved(week_start(week)), skus, sum(counts.values())))
    return weeks
