"""The brand behind a user, a key or an invitation, as accounts needs to know it: whether
it exists, its name and its standing (approval status).

The advertisers table is the catalogue's (`catalog/models.py` `Advertiser`), and the
catalogue stands above this package: its services take a `Principal` from here. So
accounts reads the three columns it needs through a lightweight table clause rather than
the ORM class; `tests/accounts/test_tenants.py` holds the clause to the model.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import String, column, select, table
from sqlalchemy.orm import Session

from shelfspace.accounts.approval import AdvertiserStatus

ADVERTISERS = table(
    "advertisers",
    column("id", String),
    column("name", String),
    column("status", String),
)


class Brand(Protocol):
    """What a verification e-mail names: an `Advertiser` row is one."""

    @property
    def name(self) -> str: ...


def advertiser_exists(db: Session, advertiser_id: str) -> bool:
    return db.scalar(select(ADVERTISERS.c.id).where(ADVERTISERS.c.id == advertiser_id)) is not None


def advertiser_name(db: Session, advertiser_id: str) -> str | None:
    name: str | None = db.scalar(select(ADVERTISERS.c.name).where(ADVERTISERS.c.id == advertiser_id))
    return name


def advertiser_status(db: Session, advertiser_id: str) -> AdvertiserStatus | None:
    """None when there is no such advertiser."""
    status = db.scalar(select(ADVERTISERS.c.status).where(ADVERTISERS.c.id == advertiser_id))
    return AdvertiserStatus(status) if status is not None else None
