"""How ads are bought: a line item's pricing model, its campaign's pacing, and what one
billable event costs.

Defined once, here, because every layer speaks this vocabulary: the catalogue stores it
(`catalog/models.py`, `catalog/schemas.py`, re-exported by `catalog/enums.py`), the pure
engine prices and paces with it (`decisioning/inventory.py`, `decisioning/auction.py`),
a served ad's signed facts carry it (`events/model.py` AdFacts.pricing, its value), and
the recorder and the rollup charge by it (`tracking/counting.py`). `core` is the one
layer all of them import without reaching upward: the engine must never import the
catalogue (the storage), nor the catalogue the engine, for a word they share.
"""

from __future__ import annotations

from enum import StrEnum

MICROS_PER_MILLE = 1000  # a CPM price is per thousand impressions


class Pricing(StrEnum):
    """What a line item pays for: a thousand impressions (CPM) or one click (CPC)."""

    CPM = "cpm"
    CPC = "cpc"


class Pacing(StrEnum):
    """How a campaign spends its daily budget: spread across the day, or as fast as it can."""

    EVEN = "even"
    ASAP = "asap"


def unit_cost_micros(pricing: Pricing, price_micros: int) -> int:
    """What one billable event costs at `price_micros`: a CPM ad's impression one
    thousandth of its price (at least one micro, so no served impression is free), a CPC
    ad's click its price. The engine reserves it (`decisioning/auction.py` cost_of_one),
    the recorder charges it and the rollup reports it (`tracking/counting.py` cost_of)."""
    if pricing is Pricing.CPM:
        return max(1, price_micros // MICROS_PER_MILLE)
    return price_micros
