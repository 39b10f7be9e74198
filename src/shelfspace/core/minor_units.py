"""Minor units of currencies (ISO 4217): invoices are in whole cents, pence, yen or fils,
and money written for people (core/money_words.py) shows the same places.

One table for both, so a page, an e-mail and an invoice agree on how many decimals a
currency has. Only the exceptions are listed; every other currency has two decimals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from shelfspace.core.money import MICROS_PER_UNIT

DEFAULT_DECIMALS = 2
_DECIMALS = {
    **dict.fromkeys(
        (
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    "CLF": 4,
    "UYW": 4,
}


def decimals(currency: str) -> int:
    return _DECIMALS.get(currency, DEFAULT_DECIMALS)


def minor_unit_micros(currency: str) -> int:
    """One cent, penny, yen or fils, in micros."""
    step: int = MICROS_PER_UNIT // 10 ** decimals(currency)  # int ** int is typed Any
    return step


def funds_used_up(available_micros: int | None, currency: str) -> bool:
    """Whether delivery has stopped for want of funds: less than one minor unit available
    (None, credit without a limit, never runs out). Billing's low-balance warnings and the
    catalogue's campaign states (below billing) both decide by it, so it lives here."""
    return available_micros is not None and available_micros < minor_unit_micros(currency)


def round_micros(micros: int, currency: str) -> int:
    """Micros rounded half away from zero to the currency's minor unit (still in micros)."""
    step = minor_unit_micros(currency)
    units = (Decimal(micros) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(units) * step
