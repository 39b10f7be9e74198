"""Money round-trips exactly between decimals and micros."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from shelfspace.core.jsonbody import dumps
from shelfspace.core.money import MAX_MONEY, from_micros, to_micros

amounts = st.decimals(min_value=0, max_value=MAX_MONEY, places=6, allow_nan=False, allow_infinity=False)


@given(amounts)
def test_micros_round_trip(amount: Decimal) -> None:
    assert from_micros(to_micros(amount)) == amount


@given(amounts)
def test_json_writes_the_exact_number(amount: Decimal) -> None:
    written = dumps({"bid": from_micros(to_micros(amount))}).decode()
    assert Decimal(written.removeprefix('{"bid":').removesuffix("}")) == amount
    assert "E" not in written and '"' not in written.removeprefix('{"bid"')
