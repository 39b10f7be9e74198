"""Dashboard sign-ins for the demo: the operator and one person per brand, one known password.

A demo is for looking around, so the password is printed; a real network creates its
users with `shelfspace users create`, which asks for one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfspace.accounts.models import User
from shelfspace.accounts.rights import TeamRole
from shelfspace.accounts.roles import SYSTEM, Role
from shelfspace.accounts.schemas import UserCreate
from shelfspace.accounts.service import create_user
from shelfspace.catalog.models import Advertiser

# Passes the password rule (accounts/passwords.py) as any password must: a demo shows the real thing.
DEMO_PASSWORD = "juicy-pear-basket-42"
OPERATOR_EMAIL = "operator@freshmart.example"


@dataclass(frozen=True, slots=True)
class Login:
    email: str
    who: str  # "operator" or the brand's name


def brand_email(domain: str) -> str:
    """`dairyland.example` → `dairyland@brands.example`."""
    return f"{domain.split('.', 1)[0]}@brands.example"


def ensure_demo_logins(db: Session) -> list[Login]:
    """Create the demo's users if missing; the operator first, then the brands by name."""
    existing = set(db.scalars(select(User.email)))
    logins = [Login(OPERATOR_EMAIL, "operator")]
    if OPERATOR_EMAIL not in existing:
        create_user(db, SYSTEM, UserCreate(email=OPERATOR_EMAIL, password=DEMO_PASSWORD, role=Role.OPERATOR))
    for advertiser in db.scalars(select(Advertiser).order_by(Advertiser.name)):
        email = brand_email(advertiser.domain)
        if email not in existing:
            create_user(
                db,
                SYSTEM,
                UserCreate(email=email, password=DEMO_PASSWORD, role=Role.ADVERTISER, advertiser_id=advertiser.id),
            )
        logins.append(Login(email, advertiser.name))
    return logins


FINANCE_EMAIL = "finance@freshmart.example"


def ensure_team_logins(db: Session) -> list[Login]:
    """Two more people, to show what a team role changes: the operator's finance person
    (billing only) and a reporting-only person of the first brand by name (reads only)."""
    existing = set(db.scalars(select(User.email)))
    logins = [Login(FINANCE_EMAIL, "operator, finance")]
    if FINANCE_EMAIL not in existing:
        create_user(
            db,
            SYSTEM,
            UserCreate(email=FINANCE_EMAIL, password=DEMO_PASSWORD, role=Role.OPERATOR, team_role=TeamRole.FINANCE),
        )
    brand = db.scalars(select(Advertiser).order_by(Advertiser.name).limit(1)).first()
    if brand is not None:
        email = "reports." + brand_email(brand.domain)
        if email not in existing:
            create_user(
                db,
                SYSTEM,
                UserCreate(
                    email=email,
                    password=DEMO_PASSWORD,
                    role=Role.ADVERTISER,
                    advertiser_id=brand.id,
                    team_role=TeamRole.REPORTING,
                ),
            )
        logins.append(Login(email, f"{brand.name}, reporting only"))
    return logins
