"""The network's segments on real purchases: rules in the audiences' own language
(`audiences/rules.py`), built from the window's catalogue, created through the audiences
service and sized by the app's refresher from the orders the replay sent.

- "Own-label cereal only": bought the store's own cold cereal and no national brand's. The
  rule language compares brands for equality only, so "no national brand" is a `not` of
  every national cereal brand the window sold (a handful: eight makers in three weeks),
  in `any` groups of at most the language's twenty.
- "Baby products": bought anything in a baby category (baby food, formula, nappies...).
- "Soft drinks twice": two purchases of soft drinks or more (an order's item is one purchase).
- "Big spenders": at least $150 of purchases in the window.
All look back over the whole window (`within_days`), so the sizes at the end of the replay
are the households of the window's data that meet them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from shelfspace.audiences.rule_limits import MAX_LIST_ITEMS
from shelfspace.sim.demo_catalogue import STORE_BRAND
from shelfspace.sim.demo_network import seed_audiences
from shelfspace.sim.journey_data import BrandKind
from shelfspace.sim.journey_network import brand_of, category_path, path_of
from shelfspace.sim.journey_window import JourneyData

CEREAL = ("GROCERY", "COLD CEREAL")
BABY_CATEGORIES = frozenset(
    {"BABY FOODS", "BABYFOOD", "BABY HBC", "INFANT FORMULA", "INFANT CARE PRODUCTS", "DIAPERS & DISPOSABLES"}
)
SOFT_DRINKS = ("GROCERY", "SOFT DRINKS")
SOFT_DRINKS_TIMES = 2
BIG_SPEND = 150  # dollars in the window


class Segment(StrEnum):
    OWN_LABEL_CEREAL = "Own-label cereal only"
    BABY = "Baby products"
    SOFT_DRINKS = "Soft drinks twice"
    BIG_SPENDERS = "Big spenders"


@dataclass(frozen=True, slots=True)
class SegmentPlan:
    name: str
    iab_segment: str  # IAB Audience Taxonomy 1.1
    rule: dict[str, Any]


def _chunks(rules: list[dict[str, Any]]) -> dict[str, Any]:
    """`any` of the rules, nested in groups the rule language allows."""
    if len(rules) <= MAX_LIST_ITEMS:
        return {"any": rules}
    return {"any": [{"any": rules[n : n + MAX_LIST_ITEMS]} for n in range(0, len(rules), MAX_LIST_ITEMS)]}


def segment_plans(data: JourneyData) -> list[SegmentPlan]:
    """The segments, their rules made from what the window's catalogue holds."""
    days = data.window.days + 1  # the whole window, today included
    cereal = path_of(*CEREAL)
    national_cereal = sorted(
        {
            brand_of(p)
            for p in data.products.values()
            if (p.department, p.category) == CEREAL and p.brand is BrandKind.NATIONAL
        }
    )
    own_cereal: dict[str, Any] = {"event": "purchase", "category": cereal, "brand": STORE_BRAND, "within_days": days}
    others = [{"event": "purchase", "category": cereal, "brand": b, "within_days": days} for b in national_cereal]
    baby = sorted({category_path(p, depth=2) for p in data.products.values() if p.category in BABY_CATEGORIES})
    return [
        SegmentPlan(
            Segment.OWN_LABEL_CEREAL,
            "1068",
            {"all": [own_cereal, {"not": _chunks(others)}]} if others else own_cereal,
        ),
        SegmentPlan(
            Segment.BABY,
            "354",
            _chunks([{"event": "purchase", "category": c, "within_days": days} for c in baby])
            if baby
            else {"event": "purchase", "category": "baby", "within_days": days},
        ),
        SegmentPlan(
            Segment.SOFT_DRINKS,
            "975",
            {
                "event": "purchase",
                "category": path_of(*SOFT_DRINKS),
                "within_days": days,
                "min_count": SOFT_DRINKS_TIMES,
            },
        ),
        SegmentPlan(Segment.BIG_SPENDERS, "606", {"event": "purchase", "within_days": days, "min_spend": BIG_SPEND}),
    ]


def seed_segments(db: Session, plans: Iterable[SegmentPlan]) -> None:
    seed_audiences(db, [(p.name, p.iab_segment, p.rule) for p in plans])
