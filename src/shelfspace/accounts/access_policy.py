"""The network's sign-in policy: whether the operator's staff must use two-factor sign-in.

One row (id 1) that only an operator admin changes (`Right.SECURITY`), audited. Until it
is first set there is no row and the policy is the default (not required), so a fresh
install needs no seeding. The rule it drives lives elsewhere: the pages send staff without
a second factor to set one up (dashboard/approval_gate.py), and staff may not turn theirs
off while it holds (accounts/two_factor.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.models import AccessPolicy, User
from shelfspace.accounts.rights import Right, Role
from shelfspace.accounts.roles import Principal

POLICY_ID = 1
OBJECT_TYPE = "access_policy"


def read_policy(db: Session) -> AccessPolicy:
    """The policy row, or the default one (not stored) when nobody has set it yet."""
    row = db.get(AccessPolicy, POLICY_ID)
    if row is None:
        return AccessPolicy(id=POLICY_ID, staff_two_factor_required=False, updated_at=None, updated_by=None)
    return row


def staff_two_factor_required(db: Session) -> bool:
    row = db.get(AccessPolicy, POLICY_ID)
    return row is not None and row.staff_two_factor_required


def set_staff_two_factor(db: Session, by: Principal, required: bool, now: datetime) -> AccessPolicy:
    """An operator admin requires (or stops requiring) two-factor sign-in for staff."""
    by.require_operator("set the network's sign-in policy")
    by.require(Right.SECURITY, "set the network's sign-in policy")
    row = db.get(AccessPolicy, POLICY_ID)
    if row is None:
        row = AccessPolicy(id=POLICY_ID, staff_two_factor_required=False)
        db.add(row)
    before = row.staff_two_factor_required
    if before != required:
        row.staff_two_factor_required = required
        row.updated_at, row.updated_by = now, by.actor
        record(
            db, by, AuditAction.UPDATE, OBJECT_TYPE, str(POLICY_ID), {"staff_two_factor_required": [before, required]}
        )
    db.flush()
    return row


def staff_without_two_factor(db: Session) -> int:
    """How many enabled staff accounts have no second factor: whom the policy would stop."""
    return int(
        db.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.OPERATOR, User.disabled_at.is_(None), User.totp_enabled_at.is_(None))
        )
        or 0
    )
