"""Minor units of currencies (ISO 4217): invoices are in whole cents, pence, yen or fils.

Only the exceptions are listed; every other currency has two decimals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from shelfspace.core.money import MICROS_PER_UNIT

_DECIMALS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
                     "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    "CLF": 4, "UYW": 4,
}


def decimals(currency: str) -> int:
    return _DECIMALS.get(currency, 2)


def round_micros(micros: int, currency: str) -> int:
    """Micros rounded half away from zero to the currency's minor unit (still in micros)."""
    step: int = MICROS_PER_UNIT // 10 ** decimals(currency)
    units = (Decimal(micros) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(units) * step


def allocate(amounts: list[int], currency: str) -> list[int]:
    """Each amount in whole minor units, adding up to their exact sum rounded: each is
    rounded down, then the units left go to the largest remainders (ties to the first).
    So a document's total is the report's to the cent, and each line is within a cent
    of its own exact amount."""
    step: int = MICROS_PER_UNIT // 10 ** decimals(currency)
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
    """1234567890 micros in USD -> "1,234.57"."""
    places = decimals(currency)
    value = (Decimal(round_micros(micros, currency)) / MICROS_PER_UNIT).quantize(Decimal(1).scaleb(-places))
    return f"{value:,.{places}f}"
