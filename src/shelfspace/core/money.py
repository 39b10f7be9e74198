"""Money: integer micros inside, decimal numbers at the edges, never floats.

One currency unit is 1,000,000 micros. JSON carries decimals with at most six places;
`Money` validates that on the way in and `MoneyFromMicros` turns stored micros back into
decimals on the way out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field

from shelfspace.core.jsonbody import SENT_AS_NUMBER

MICROS_PER_UNIT = 1_000_000
MONEY_DECIMALS = 6
# Large enough for any budget in any currency (a trillion dong), small enough for int64 micros.
MAX_MONEY = Decimal("1000000000000")

Money = Annotated[
    Decimal,
    Field(ge=0, le=MAX_MONEY, decimal_places=MONEY_DECIMALS, allow_inf_nan=False),
    SENT_AS_NUMBER,
]
PositiveMoney = Annotated[
    Decimal,
    Field(gt=0, le=MAX_MONEY, decimal_places=MONEY_DECIMALS, allow_inf_nan=False),
    SENT_AS_NUMBER,
]


def to_micros(amount: Decimal) -> int:
    """Exact: callers pass decimals already validated to six places."""
    return int(amount * MICROS_PER_UNIT)


def from_micros(micros: int) -> Decimal:
    return Decimal(micros) / MICROS_PER_UNIT


def _micros_to_decimal(value: object) -> object:
    return from_micros(value) if isinstance(value, int) else value


MoneyFromMicros = Annotated[Decimal, BeforeValidator(_micros_to_decimal), SENT_AS_NUMBER]
"""An output field whose ORM attribute holds micros (e.g. `floor_cpm_micros`)."""
