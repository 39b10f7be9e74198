"""Which catalogue brands an advertiser answers for: the one rule for halo sales credit.

An advertiser's claim is its `brands`, or its name when it lists none. A claim decides
whose sales an advertiser's ads are credited with (attribution's brand match), so it is
the operator's to grant: an advertiser cannot widen its own, and no two advertisers may
hold the same brand, compared without regard to case and surrounding spaces. Renaming an
account does not move its claim (see `catalog/services/advertisers.py`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfspace.catalog.enums import AdvertiserStatus
from shelfspace.catalog.models import Advertiser
from shelfspace.core.errors import InvalidInput


def brand_key(brand: str) -> str:
    """The form brands are compared and matched in (products' `brand` is matched the same way)."""
    return brand.strip().lower()


def claimed_brands(name: str, brands: Iterable[str] | None) -> frozenset[str]:
    """The brands an advertiser answers for: its list, or its name when the list is empty."""
    listed = [b for b in brands or () if b.strip()]
    return frozenset(brand_key(b) for b in listed or [name])


def refuse_taken(db: Session, advertiser_id: str, name: str, brands: Iterable[str] | None, field: str) -> None:
    """A brand another live advertiser holds cannot be claimed again: its sales are that
    advertiser's. Archived advertisers hold nothing (their brands may be handed on)."""
    wanted = claimed_brands(name, brands)
    rows = db.execute(
        select(Advertiser.id, Advertiser.name, Advertiser.brands).where(
            Advertiser.id != advertiser_id, Advertiser.status != AdvertiserStatus.ARCHIVED
        )
    )
    for _, other_name, other_brands in rows:
        taken = sorted(wanted & claimed_brands(other_name, other_brands))
        if taken:  # which advertiser holds it is not said: the caller may be a brand signing up
            raise InvalidInput.on(
                field,
                f"the brand {', '.join(map(repr, taken))} is held by another advertiser; "
                "the operator must release it there first",
            )
