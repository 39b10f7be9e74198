"""What a creative's approval covers: its content, on the placements the operator saw.

The review card shows each creative with the placements its line item buys ("Will run on:
Home hero, Search results"), so an approval covers that content there. When an advertiser
makes a creative run where the operator never saw it, the creative goes back to review
(`pending`, and it stops serving until approved again):

- a placement added to its line item (`services/line_items.py` update): every approved
  creative of the line item goes back, the operator sees the new list of placements;
- the creative moved to another line item buying a placement its old one did not
  (`services/creatives.py` update).

Everything else keeps the approval: a placement removed, the bid, pricing, budgets,
dates, pacing, targeting, day-parts, the frequency cap, names and statuses change how
much and to whom the approved ads show, not what shows or where. A product added to a
sponsored-products line item needs an approved creative of its own (one per SKU, the
decision engine serves nothing else), so it is reviewed through that creative, and the
other products keep serving. A rejected or pending creative is left as it is. A change
the operator's reviewers make keeps approvals, as their creatives are approved when made (`reviews`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.rights import Right
from shelfspace.accounts.roles import Principal
from shelfspace.catalog.enums import ReviewStatus
from shelfspace.catalog.models import Creative

KIND = "creative"  # services/creatives.py's audit kind


def reviews(by: Principal) -> bool:
    """Whether the caller's changes carry a reviewer's approval: operator staff holding
    `Right.REVIEW` (an operator without it changes content as a brand does)."""
    return by.is_operator and by.may(Right.REVIEW)


def review_again(db: Session, by: Principal, creative: Creative, because: dict[str, object]) -> bool:
    """Send an approved creative back to review, audited with why; False if it was not approved."""
    if reviews(by) or creative.status is not ReviewStatus.APPROVED or creative.archived_at is not None:
        return False
    creative.status = ReviewStatus.PENDING
    creative.reviewed_at = None
    record(
        db,
        by,
        AuditAction.UPDATE,
        KIND,
        creative.id,
        {"status": [ReviewStatus.APPROVED, ReviewStatus.PENDING]} | because,
        advertiser_id=creative.advertiser_id,
    )
    return True


def placements_added(
    db: Session, by: Principal, line_item_id: str, old: Iterable[str], new: Sequence[str]
) -> list[str]:
    """After a line item's placements changed from `old` to `new`: the ids of its creatives
    sent back to review (none when nothing was added, or the operator changed them)."""
    added = sorted(set(new) - set(old))
    if reviews(by) or not added:
        return []
    approved = db.scalars(
        select(Creative)
        .where(
            Creative.line_item_id == line_item_id,
            Creative.archived_at.is_(None),
            Creative.status == ReviewStatus.APPROVED,
        )
        .order_by(Creative.id)
    )
    return [c.id for c in approved if review_again(db, by, c, {"placements_added": added})]


def moved(db: Session, by: Principal, creative: Creative, old: Iterable[str], new: Iterable[str]) -> bool:
    """A creative moved from a line item buying `old` placements to one buying `new`: back
    to review if it would run somewhere its approval did not cover."""
    added = sorted(set(new) - set(old))
    return bool(added) and review_again(db, by, creative, {"placements_added": added})
