"""Which products an advertiser may promote as sponsored products: the one rule.

A brand promotes its own products: those whose `brand` is one of the brands it answers
for (`brand_claims.py`, matched as attribution matches them, without regard to case and
surrounding spaces). A reseller (the advertiser's `reseller` flag, the operator's to set)
may promote any product in the catalogue. A product without a brand is nobody's own.

The rule binds what an advertiser books itself (its API key, its dashboard pages): an
operator, who grants the exception, may book any product for any advertiser.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from shelfspace.accounts.roles import Principal
from shelfspace.catalog.brand_claims import brand_key, claimed_brands
from shelfspace.catalog.models import Advertiser, Product
from shelfspace.core.errors import InvalidInput

SHOWN = 10  # SKUs named in a refusal; the rest counted


def is_own(advertiser: Advertiser, brand: str | None) -> bool:
    """Whether a product of `brand` is one of the advertiser's own."""
    return brand is not None and brand_key(brand) in claimed_brands(advertiser.name, advertiser.brands)


def allowed(db: Session, advertiser: Advertiser) -> ColumnElement[bool]:
    """A condition on `Product` matching what the advertiser may promote (archived ones aside).

    The catalogue's brand names are compared in Python, as `brand_key` compares them (a
    database's `lower` differs from Python's beyond ASCII), then matched exactly."""
    if advertiser.reseller:
        return true()
    claims = claimed_brands(advertiser.name, advertiser.brands)
    names = [
        b
        for b in db.scalars(select(Product.brand).distinct().where(Product.brand.is_not(None)))
        if b is not None and brand_key(b) in claims
    ]
    return Product.brand.in_(names)


def refuse_others(db: Session, by: Principal, advertiser_id: str, skus: Sequence[str], field: str) -> None:
    """An advertiser booking another brand's products is refused (422 on `field`), naming
    the SKUs that are not its own. SKUs not in the catalogue are left to the caller's check."""
    if by.is_operator or not skus:
        return
    advertiser = db.get(Advertiser, advertiser_id)
    if advertiser is None or advertiser.reseller:
        return
    brands: dict[str, str | None] = {
        sku: brand for sku, brand in db.execute(select(Product.sku, Product.brand).where(Product.sku.in_(set(skus))))
    }
    others = [sku for sku in dict.fromkeys(skus) if sku in brands and not is_own(advertiser, brands[sku])]
    if not others:
        return
    named = ", ".join(f"{sku} ({brands[sku] or 'no brand'})" for sku in others[:SHOWN])
    more = f" and {len(others) - SHOWN} more" if len(others) > SHOWN else ""
    raise InvalidInput.on(
        field,
        f"not {advertiser.name}'s own products: {named}{more}. You can promote only "
        "your own brands' products; the network's operator can allow a reseller to "
        "promote others",
    )
