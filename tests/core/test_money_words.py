"""Money written for people (core/money_words.py), the one place micros become text: half away
from zero at the currency's minor unit, in exact decimals, for pages (Babel) and plain text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shelfspace.billing.currency import display
from shelfspace.core.minor_units import decimals, round_micros
from shelfspace.core.money import MAX_MONEY, MICROS_PER_UNIT
from shelfspace.core.money_words import (
    DASH,
    micros_amount,
    micros_price,
    network_locale,
    page_words,
    plain_amount,
    plain_number,
    plain_units,
    plain_words,
)

US, DE = network_locale(None, "US"), network_locale("de_DE", "DE")
CURRENCIES = ("USD", "JPY", "BHD", "CLF", "EUR")
MAX_MICROS = int(MAX_MONEY) * MICROS_PER_UNIT  # 10**18: far past where a float keeps every micro


def rounded_by_integers(micros: int, places: int) -> Decimal:
    """The expected value worked out with integers alone: half away from zero to `places`."""
    step = MICROS_PER_UNIT // 10**places
    units, rest = divmod(abs(micros), step)
    if 2 * rest >= step:
        units += 1
    return Decimal(-units if micros < 0 else units).scaleb(-places)


@given(st.integers(min_value=-MAX_MICROS, max_value=MAX_MICROS), st.sampled_from(CURRENCIES))
def test_plain_numbers_are_the_exact_decimal_rounded(micros: int, currency: str) -> None:
    places = decimals(currency)
    text = plain_number(micros, currency)
    assert Decimal(text.replace(",", "")) == rounded_by_integers(micros, places)
    assert len(text.partition(".")[2]) == places
    assert plain_amount(micros, currency) == f"{text} {currency}" == plain_words(currency)(micros)
    assert display(micros, currency) == text  # the ledger's and invoices' name for it
    assert Decimal(round_micros(micros, currency)) / MICROS_PER_UNIT == rounded_by_integers(micros, places)


@given(st.integers(min_value=-MAX_MICROS, max_value=MAX_MICROS), st.sampled_from(CURRENCIES))
def test_page_amounts_carry_the_same_exact_number(micros: int, currency: str) -> None:
    text = micros_amount(micros, currency, US)
    digits = "".join(c for c in text if c.isdigit() or c == ".")
    assert Decimal(digits) == abs(rounded_by_integers(micros, decimals(currency)))
    assert text.startswith("-") == (rounded_by_integers(micros, decimals(currency)) < 0)
    assert page_words(currency, US)(micros) == text


@pytest.mark.parametrize(
    ("micros", "currency", "plain", "page"),
    [
        (1_234_565_000, "USD", "1,234.57", "$1,234.57"),  # half away from zero at the cent
        (1_234_575_000, "USD", "1,234.58", "$1,234.58"),  # not half-even
        (-1_234_565_000, "USD", "-1,234.57", "-$1,234.57"),
        (-5_000, "USD", "-0.01", "-$0.01"),
        (4_999, "USD", "0.00", "$0.00"),
        (1_234_500_000, "JPY", "1,235", "¥1,235"),  # no minor unit
        (-500_000, "JPY", "-1", "-¥1"),
        (1_234_567_500, "BHD", "1,234.568", "BHD1,234.568"),  # fils: three decimals
        (0, "BHD", "0.000", "BHD0.000"),
    ],
)
def test_minor_units_and_rounding(micros: int, currency: str, plain: str, page: str) -> None:
    assert plain_number(micros, currency) == plain
    assert micros_amount(micros, currency, US) == page


def test_the_locale_writes_the_separators() -> None:
    assert micros_amount(1_234_500_000, "EUR", DE) == "1.234,50\xa0€"
    assert plain_amount(1_234_500_000, "EUR") == "1,234.50 EUR"  # the plain form ignores the locale


def test_prices_keep_their_sub_cent_digits() -> None:
    assert micros_price(12_345, "USD", US) == "$0.0123"
    assert micros_price(345_600, "USD", US) == "$0.346"  # three significant digits below one unit
    assert micros_price(5_234_560, "USD", US) == "$5.23"
    assert micros_price(400_000, "USD", US) == "$0.40"
    assert micros_price(-12_345, "USD", US) == "-$0.0123"
    assert micros_price(1_500_000, "JPY", US) == "¥2"
    assert micros_price(None, "USD", US) == micros_amount(None, "USD", US) == DASH


def test_report_decimals_in_the_plain_form() -> None:
    assert plain_units(Decimal("1234.565"), "USD") == "1,234.57 USD"
    assert plain_units("0.5", "JPY") == "1 JPY"
    assert plain_units(None, "USD") == plain_units("nonsense", "USD") == DASH


def test_no_currency_means_two_decimals() -> None:
    assert plain_number(1_234_565_000) == "1,234.57"
    assert plain_number(10**17 + 5_000) == "100,000,000,000.01"  # a float would lose the half cent


def test_an_amount_shown_again_in_a_form_is_as_a_person_types_it() -> None:
    from shelfspace.core.money_words import typed_amount

    assert [typed_amount(m) for m in (None, 500_000_000, 450_000, 1_234_567_890, 10, 0)] == [
        "",
        "500",
        "0.45",
        "1234.56789",
        "0.00001",
        "0",
    ]
