"""Money in a currency's minor unit (core/minor_units.py): invoices are in whole cents,
pence, yen or fils, their lines adding up to their total to the unit.

How the numbers are written is core/money_words.py's; `display` stays as the name the
ledger, the invoices and their tests use.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from shelfspace.core.minor_units import decimals, minor_unit_micros, round_micros
from shelfspace.core.money_words import plain_number

__all__ = ["allocate", "decimals", "display", "round_micros", "share_of"]


def allocate(amounts: list[int], currency: str) -> list[int]:
    """Each amount in whole minor units, adding up to their exact sum rounded: each is
    rounded down, then the units left go to the largest remainders (ties to the first).
    So a document's total is the report's to the cent, and each line is within a cent
    of its own exact amount."""
    step = minor_unit_micros(currency)
    floors = [amount // step * step for amount in amounts]
    left = (round_micros(sum(amounts), currency) - sum(floors)) // step
    by_remainder = sorted(range(len(amounts)), key=lambda i: -(amounts[i] - floors[i]))
    for index in by_remainder[:left]:
        floors[index] += step
    return floors


def share_of(micros: int, percent: Decimal, currency: str) -> int:
    """`percent` of an amount, rounded to the minor unit: a tax on a subtotal."""
    share = int((Decimal(micros) * percent / 100).to_integral_value(rounding=ROUND_HALF_UP))
    return round_micros(share, currency)


def display(micros: int, currency: str) -> str:
    """1234567890 micros in USD -> "1,234.57": the ledger's and the invoices' numbers."""
    return plain_number(micros, currency)
