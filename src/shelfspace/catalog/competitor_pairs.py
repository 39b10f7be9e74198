"""Competitor separation as pairs: two brands that never show on the same page.

Each advertiser keeps its own list (`competitors`), and the auction reads a pair from
either side, so a pair written on one side only (the API's PATCH, older grids) still
separates them. People think of a pair, though: this module lists each pair once, adds
one by writing both sides and removes one by clearing both, each side through the
advertisers service (so audited on both advertisers, with the reviewer's right). Any save
here also completes the one-sided pairs it finds, so what is stored is what is shown.
Archived advertisers never serve: their pairs are neither listed nor written.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfspace.accounts.rights import Right
from shelfspace.accounts.roles import Principal
from shelfspace.catalog.enums import AdvertiserStatus
from shelfspace.catalog.models import Advertiser
from shelfspace.catalog.schemas import AdvertiserUpdate
from shelfspace.catalog.services import advertisers
from shelfspace.core.errors import InvalidInput

FIRST, SECOND = "first", "second"  # the add form's fields, named in its errors


@dataclass(frozen=True, slots=True)
class Pair:
    first: Advertiser  # the one whose name sorts first
    second: Advertiser
    one_sided: bool  # stored on one side only (completed on the next save)

    @property
    def names(self) -> tuple[str, str]:
        return self.first.name, self.second.name


def _by_name(advertiser: Advertiser) -> tuple[str, str]:
    return advertiser.name.casefold(), advertiser.id


def _brands(db: Session) -> dict[str, Advertiser]:
    return {a.id: a for a in db.scalars(select(Advertiser).where(Advertiser.status != AdvertiserStatus.ARCHIVED))}


def _pairs(brands: dict[str, Advertiser]) -> list[Pair]:
    found: dict[frozenset[str], Pair] = {}
    for brand in brands.values():
        for other_id in brand.competitors:
            other = brands.get(other_id)
            key = frozenset((brand.id, other_id))
            if other is None or other_id == brand.id or key in found:
                continue
            a, b = sorted((brand, other), key=_by_name)
            found[key] = Pair(a, b, one_sided=brand.id not in other.competitors)
    return sorted(found.values(), key=lambda p: (p.first.name.casefold(), p.second.name.casefold()))


def pairs(db: Session) -> list[Pair]:
    """Every pair among advertisers not archived, once each, by name."""
    return _pairs(_brands(db))


def _set(db: Session, by: Principal, brand: Advertiser, competitors: list[str]) -> None:
    if competitors != brand.competitors:
        advertisers.update(db, by, brand.id, AdvertiserUpdate(competitors=competitors))


def _complete(db: Session, by: Principal, brands: dict[str, Advertiser]) -> None:
    """Write the missing side of every one-sided pair."""
    for pair in _pairs(brands):
        if pair.one_sided:
            for this, other in ((pair.first, pair.second), (pair.second, pair.first)):
                if other.id not in this.competitors:
                    _set(db, by, this, [*this.competitors, other.id])


def _two(
    db: Session, by: Principal, first_id: str, second_id: str
) -> tuple[Advertiser, Advertiser, dict[str, Advertiser]]:
    by.require_operator("set competitor separation")
    by.require(Right.REVIEW, "set competitor separation")
    brands = _brands(db)
    first, second = brands.get(first_id), brands.get(second_id)
    if first is None:
        raise InvalidInput.on(FIRST, "choose an advertiser")
    if second is None:
        raise InvalidInput.on(SECOND, "choose an advertiser")
    if first.id == second.id:
        raise InvalidInput.on(SECOND, f"choose another advertiser: {first.name} cannot be its own competitor")
    return first, second, brands


def add(db: Session, by: Principal, first_id: str, second_id: str) -> Pair:
    """Keep the two apart: each listed on the other's side."""
    first, second, brands = _two(db, by, first_id, second_id)
    if second.id in first.competitors and first.id in second.competitors:
        raise InvalidInput.on(SECOND, f"{first.name} and {second.name} are already a pair")
    _complete(db, by, brands)
    for this, other in ((first, second), (second, first)):
        if other.id not in this.competitors:
            _set(db, by, this, [*this.competitors, other.id])
    a, b = sorted((first, second), key=_by_name)
    return Pair(a, b, one_sided=False)


def remove(db: Session, by: Principal, first_id: str, second_id: str) -> tuple[str, str]:
    """Let the two meet again: cleared on both sides. Returns their names."""
    first, second, brands = _two(db, by, first_id, second_id)
    if second.id not in first.competitors and first.id not in second.competitors:
        raise InvalidInput.on(SECOND, f"{first.name} and {second.name} are not a pair")
    for this, other in ((first, second), (second, first)):
        _set(db, by, this, [c for c in this.competitors if c != other.id])
    _complete(db, by, brands)
    return first.name, second.name
