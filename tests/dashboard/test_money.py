"""Money written by Babel in the network's currency and locale, and flight times in its zone."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from shelfspace.config import Settings
from shelfspace.core.money_words import amount, network_locale, price
from shelfspace.dashboard.local_times import end_text, start_text, when_text

GB, DE, US = network_locale(None, "GB"), network_locale("de_DE", "GB"), network_locale(None, "US")


def test_amounts_have_the_currency_and_its_minor_unit() -> None:
    assert amount(Decimal("1234.565"), "GBP", GB) == "£1,234.57"  # half up, as invoices round
    assert amount(Decimal("1234.5"), "EUR", DE) == "1.234,50\xa0€"
    assert amount(Decimal("1234.5"), "JPY", US) == "¥1,235"  # no minor unit
    assert amount(Decimal("-3.5"), "USD", US) == "-$3.50"
    assert amount(0, "GBP", GB) == "£0.00"
    assert amount(None, "GBP", GB) == amount("", "GBP", GB) == amount("nonsense", "GBP", GB) == "–"


def test_prices_keep_three_significant_digits_below_one_unit() -> None:
    assert price(Decimal("5.23456"), "GBP", GB) == "£5.23"
    assert price(Decimal("0.3456"), "GBP", GB) == "£0.346"
    assert price(Decimal("0.012345"), "GBP", GB) == "£0.0123"
    assert price(Decimal("0.000012"), "GBP", GB) == "£0.0000"  # at most two decimals more than pence
    assert price(Decimal("0"), "GBP", GB) == "£0.00"
    assert price(Decimal("0.40"), "GBP", GB) == "£0.40"  # no trailing zero beyond the pence
    assert price(None, "GBP", GB) == "–"


def test_the_locale_is_the_setting_else_english_as_the_country_writes_it() -> None:
    assert str(network_locale(None, "DE")) == "en_DE" and str(network_locale(None, "BR")) == "en_US"
    assert str(network_locale("fr_FR", "GB")) == "fr_FR"
    assert Settings(locale="en_GB").locale == "en_GB"
    with pytest.raises(ValueError, match="unknown locale"):
        Settings(locale="xx_YY")


def test_a_flight_ending_at_local_midnight_ends_the_day_before() -> None:
    london = ZoneInfo("Europe/London")
    assert end_text(datetime(2026, 12, 31, 0, 0, tzinfo=UTC), london) == "30 Dec 2026"  # GMT: midnight
    assert end_text(datetime(2026, 7, 31, 23, 0, tzinfo=UTC), london) == "31 Jul 2026"  # BST: midnight 1 Aug
    assert end_text(datetime(2026, 7, 31, 15, 30, tzinfo=UTC), london) == "31 Jul 2026 16:30"
    assert end_text(None, london) == "no end date"
    assert start_text(datetime(2026, 9, 30, 23, 0, tzinfo=UTC), london) == "01 Oct 2026"
    assert start_text(datetime(2026, 10, 1, 0, 0, tzinfo=UTC), london) == "01 Oct 2026 01:00"
    assert when_text(datetime(2026, 12, 1, 9, 0), london) == "01 Dec 2026 09:00"  # naive is UTC
