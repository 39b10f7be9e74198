"""What rollups and attribution read from the catalogue: one load per run, so a run
credits and caps with one consistent view of brands, budgets, channels and funds."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfspace.billing import ledger
from shelfspace.catalog.brand_claims import brand_key, claimed_brands
from shelfspace.catalog.models import Advertiser, Campaign, LineItem, Placement, Product
from shelfspace.reporting.rollup import Budget


@dataclass(frozen=True, slots=True)
class Catalogue:
    """What rollups and attribution need from the catalogue, read once per run."""

    channels: dict[str, str]
    budgets: dict[str, Budget]
    brands_of_advertiser: dict[str, frozenset[str]]
    promoted: dict[str, frozenset[str]]  # line item → SKUs
    product_brands: dict[str, str]
    funds: dict[str, int]  # advertisers paying from limited funds: what all their charges may reach
    formats: dict[str, str] = field(default_factory=dict)  # placement → format: its expected click rate

    @classmethod
    def load(cls, db: Session) -> Catalogue:
        products = {sku: brand_key(brand) for sku, brand in db.execute(select(Product.sku, Product.brand)) if brand}
        promoted = {li: frozenset(skus) for li, skus in db.execute(select(LineItem.id, LineItem.products))}
        brands: dict[str, set[str]] = defaultdict(set)
        for advertiser_id, name, owned in db.execute(select(Advertiser.id, Advertiser.name, Advertiser.brands)):
            brands[advertiser_id].update(claimed_brands(name, owned))
        for advertiser_id, skus in db.execute(select(LineItem.advertiser_id, LineItem.products)):
            brands[advertiser_id].update(products[s] for s in skus if s in products)
        return cls(
            channels={p: str(c) for p, c in db.execute(select(Placement.id, Placement.channel))},
            budgets={
                c: Budget(total, daily)
                for c, total, daily in db.execute(
                    select(Campaign.id, Campaign.budget_total_micros, Campaign.budget_daily_micros)
                )
            },
            brands_of_advertiser={a: frozenset(b) for a, b in brands.items()},
            promoted=promoted,
            product_brands=products,
            funds=ledger.funds(db),
            formats={p: str(f) for p, f in db.execute(select(Placement.id, Placement.format))},
        )
