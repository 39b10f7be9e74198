"""Money as people read it: in the network's currency, written the way its locale writes it.

Babel (CLDR data) places the symbol, the separators and the minus sign, so a British
network reads "£1,234.50", a German one "1.234,50 €". Amounts (budgets, spend, revenue)
have the currency's own minor unit: two decimals for pounds, none for yen. Prices (a
CPM, a CPC, a bid) may be below a cent, so they keep three significant digits, at most
two decimals more than the currency's: a CPC of 0.0123 stays 0.0123, a CPM of 5.2345 is 5.23.

Reports and exports keep their exact decimals; this is only how a person reads them. It is
the one place money becomes text: the pages (dashboard/money.py, their Jinja filters) and the
e-mails (notifications/runner.py) in Babel's form; the API's words, the ledger and invoices,
the forecasts' reasons and the logs in the plain form, "1,234.50 USD". Both round half away
from zero to the minor unit of core/minor_units.py (the invoices' table) in exact decimals:
micros never pass through a float.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError

from shelfspace.core.minor_units import DEFAULT_DECIMALS, decimals
from shelfspace.core.money import from_micros

DASH = "–"
FALLBACK_LOCALE = "en_US"
PRICE_EXTRA_PLACES = 2  # a price's decimals beyond the currency's, at most
PRICE_SIGNIFICANT = 3

MoneyWords = Callable[[int], str]
"""Micros to words, for text that names amounts (a campaign's state, an e-mail)."""


@lru_cache(maxsize=32)
def network_locale(locale: str | None, country: str) -> Locale:
    """The configured locale; unset, English as written in the network's country (en_GB,
    en_DE: the pages are in English, the numbers as that country writes them); else en_US."""
    for name in (locale, f"en_{country}", FALLBACK_LOCALE):
        if not name:
            continue
        try:
            return Locale.parse(name)
        except (ValueError, UnknownLocaleError):
            continue
    return Locale.parse(FALLBACK_LOCALE)


def _decimal(value: Decimal | int | float | str | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _rounded(value: Decimal, places: int) -> Decimal:
    """Half away from zero (ROUND_HALF_UP is that, for Decimal), never the context's half-even;
    a negative amount that rounds to nothing is 0.00, not "-0.00"."""
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return rounded if rounded else rounded.copy_abs()


def _format(value: Decimal, currency: str, locale: Locale, places: int) -> str:
    pattern = copy.copy(locale.currency_formats["standard"])
    pattern.frac_prec = (places, places)
    text: str = pattern.apply(_rounded(value, places), locale, currency=currency, currency_digits=False)
    return text


def amount(value: Decimal | int | float | str | None, currency: str, locale: Locale) -> str:
    """A sum of money in currency units, to the currency's minor unit; a dash for none."""
    number = _decimal(value)
    if number is None:
        return DASH
    return _format(number, currency, locale, decimals(currency))


def price_places(value: Decimal, currency: str) -> int:
    """Decimals for a unit price: the currency's, or more below one unit (three significant
    digits), never more than PRICE_EXTRA_PLACES beyond the currency's."""
    places = decimals(currency)
    if value == 0 or abs(value) >= 1:
        return places
    significant = min(places + PRICE_EXTRA_PLACES, -value.adjusted() + PRICE_SIGNIFICANT - 1)
    shown = value.quantize(Decimal(1).scaleb(-significant)).normalize()  # 0.400 is 0.40, not 0.400
    if shown == 0:  # below what may be shown: every place allowed, so it reads as tiny, not as zero
        return significant
    return max(places, -int(shown.as_tuple().exponent))


def price(value: Decimal | int | float | str | None, currency: str, locale: Locale) -> str:
    """A price per click or per thousand impressions, in currency units; a dash for none."""
    number = _decimal(value)
    if number is None:
        return DASH
    return _format(number, currency, locale, price_places(number, currency))


def micros_amount(micros: int | None, currency: str, locale: Locale) -> str:
    """`amount` of stored micros: 1234500000 in USD, en_US -> "$1,234.50"."""
    return amount(None if micros is None else from_micros(micros), currency, locale)


def micros_price(micros: int | None, currency: str, locale: Locale) -> str:
    """`price` of stored micros: 12300 in USD, en_US -> "$0.0123"."""
    return price(None if micros is None else from_micros(micros), currency, locale)


def _plain(value: Decimal, places: int) -> str:
    return f"{_rounded(value, places):,.{places}f}"


def plain_number(micros: int, currency: str | None = None) -> str:
    """The number alone, to the currency's minor unit: 1234567890 in USD -> "1,234.57", in
    JPY "1,235". No currency (a forecast's reasons, which know none): two decimals."""
    places = DEFAULT_DECIMALS if currency is None else decimals(currency)
    return _plain(from_micros(micros), places)


def plain_amount(micros: int, currency: str) -> str:
    """ "1,234.50 USD": how the API's words and the logs write money, whatever the locale."""
    return f"{plain_number(micros, currency)} {currency}"


def typed_amount(micros: int | None) -> str:
    """Money as a person types it into a form: `500`, `0.45` (no separators, no trailing
    zeros, exact); empty for none. The forms that show a stored amount again use it."""
    return "" if micros is None else format(from_micros(micros).normalize(), "f")


def plain_units(value: Decimal | int | str | None, currency: str) -> str:
    """`plain_amount` of a report's decimal in currency units ("1234.5" -> "1,234.50 USD");
    a dash for none."""
    number = _decimal(value)
    return DASH if number is None else f"{_plain(number, decimals(currency))} {currency}"


def page_words(currency: str, locale: Locale) -> MoneyWords:
    """Money as the pages and e-mails write it (Babel, the network's currency and locale)."""
    return lambda micros: micros_amount(micros, currency, locale)


def plain_words(currency: str) -> MoneyWords:
    """Money as the API words it: "1,234.50 USD"."""
    return lambda micros: plain_amount(micros, currency)
