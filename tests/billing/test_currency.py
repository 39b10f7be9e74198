"""Documents in whole minor units: rounding half away from zero, and lines that add up."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from shelfspace.billing.currency import allocate, decimals, display, round_micros, share_of


def test_minor_units_follow_iso_4217() -> None:
    assert (decimals("USD"), decimals("JPY"), decimals("KWD"), decimals("GBP")) == (2, 0, 3, 2)
    assert round_micros(4_005_000, "USD") == 4_010_000 and round_micros(-4_005_000, "USD") == -4_010_000
    assert round_micros(1_499_999, "JPY") == 1_000_000 and round_micros(1_000_500, "KWD") == 1_001_000
    assert display(1_234_567_890, "USD") == "1,234.57" and display(1_500_000, "JPY") == "2"
    assert share_of(18_500_000, Decimal(20), "USD") == 3_700_000  # 20 % VAT on 18.50
    assert share_of(10_050_000, Decimal("7.5"), "USD") == 750_000  # 0.75375 -> 0.75


@given(st.lists(st.integers(-(10**9), 10**10), min_size=1, max_size=12), st.sampled_from(["USD", "JPY", "KWD"]))
def test_lines_add_up_to_the_rounded_total_and_each_is_within_a_unit(amounts: list[int], currency: str) -> None:
    unit = 1_000_000 // 10 ** decimals(currency)
    lines = allocate(amounts, currency)
    assert sum(lines) == round_micros(sum(amounts), currency)
    assert all(line % unit == 0 and abs(line - amount) < unit for line, amount in zip(lines, amounts, strict=True))
