"""The auction's arithmetic: eCPM, the ranking order, and the price a winner pays.

- A CPM bid is its own eCPM; a CPC bid's eCPM is bid × predicted CTR × 1000.
- Ranking: higher eCPM first; on a tie, the CPM bid first (its revenue is certain), then
  the older line item (smaller id; ids are time-ordered), so the order is stable.
- Slot k's winner pays the larger of the floor and the eCPM ranked just below it, plus
  the increment (0.01), never more than its own eCPM. A CPC winner pays that eCPM turned
  back into a price per click, never more than its bid.
"""

from __future__ import annotations

from shelfspace.core.buying import MICROS_PER_MILLE, Pricing, unit_cost_micros

__all__ = [
    "INCREMENT_MICROS",
    "MICROS_PER_MILLE",
    "clearing_ecpm",
    "cost_of_one",
    "ecpm_micros",
    "price_micros",
    "rank_key",
]

INCREMENT_MICROS = 10_000  # 0.01 in the network currency


def ecpm_micros(pricing: Pricing, bid_micros: int, predicted_ctr: float) -> int:
    if pricing is Pricing.CPM:
        return bid_micros
    return round(bid_micros * predicted_ctr * MICROS_PER_MILLE)


def rank_key(ecpm: int, pricing: Pricing, line_item_id: str) -> tuple[int, int, str]:
    return (-ecpm, 0 if pricing is Pricing.CPM else 1, line_item_id)


def clearing_ecpm(own_ecpm: int, next_ecpm: int | None, floor_micros: int) -> int:
    """What a winner pays per thousand impressions."""
    return min(own_ecpm, max(floor_micros, next_ecpm or 0) + INCREMENT_MICROS)


def price_micros(pricing: Pricing, bid_micros: int, clearing: int, predicted_ctr: float) -> int:
    """The price in the line item's own unit: per thousand impressions, or per click."""
    if pricing is Pricing.CPM:
        return clearing
    return min(bid_micros, round(clearing / (predicted_ctr * MICROS_PER_MILLE)))


def cost_of_one(pricing: Pricing, price: int, predicted_ctr: float) -> int:
    """What one served ad is expected to cost: reserved from the budget when it is served.

    A CPM ad costs its impression's cost (`core/buying.py` unit_cost_micros: price / 1000,
    what the recorder then charges); a CPC ad costs its price only if clicked, so its
    expected cost is price × predicted CTR (at least one micro).
    """
    if pricing is Pricing.CPM:
        return unit_cost_micros(pricing, price)
    return max(1, round(price * predicted_ctr))
