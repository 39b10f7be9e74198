"""An advertiser's terms: how it pays (prepaid or on credit) and how far its credit goes.

Terms decide when its delivery stops (billing/ledger.py `funds_of`: a prepaid wallet at
zero, credit at minus the limit), so they are a money decision: only someone holding
`Right.BILLING` sets them, always with a reason, and the audit log keeps the terms before
and after beside that reason, on the advertiser's own history.

A brand waiting for approval has no credit at all: sign-up makes it prepaid (migration
0030 moved the older ones), and credit is given when it is approved (the review queue) or
later, from its page. `PATCH /v1/advertisers/{id}` keeps its older contract (credit with
no limit means no limit) in services/advertisers.py, under the same right and the same
rule for pending brands (`refuse_credit_while_pending`, defined there).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.rights import Right
from shelfspace.accounts.roles import Principal
from shelfspace.catalog.enums import AdvertiserStatus, BillingMode
from shelfspace.catalog.models import Advertiser
from shelfspace.catalog.ownership import refuse_if_archived
from shelfspace.catalog.services.advertisers import refuse_credit_while_pending
from shelfspace.core.errors import InvalidInput, NotFound
from shelfspace.core.money import from_micros, to_micros

KIND = "advertiser"  # the audit entry is the advertiser's, as services/advertisers.py writes it
MAX_REASON = 500
ACTION = "set an advertiser's billing terms"


def _checked_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidInput.on("reason", "say why the terms change: the audit history keeps it")
    if len(reason) > MAX_REASON:
        raise InvalidInput.on("reason", f"at most {MAX_REASON} characters")
    return reason


def _checked_limit(mode: BillingMode, limit: Decimal | None) -> int | None:
    """On credit, a positive limit (an unlimited line is the API's older PATCH only)."""
    if mode is BillingMode.PREPAID:
        if limit:
            raise InvalidInput.on("credit_limit", "a prepaid advertiser has no credit limit: choose credit")
        return None
    if limit is None:
        raise InvalidInput.on("credit_limit", "required on credit: how far the balance may go below zero")
    if limit <= 0:
        raise InvalidInput.on("credit_limit", "must be more than zero (for no credit, choose prepaid)")
    return to_micros(limit)


def terms_of(advertiser: Advertiser) -> dict[str, object]:
    """The terms as the audit log and the pages name them."""
    limit = advertiser.credit_limit_micros
    return {
        "billing_mode": BillingMode(advertiser.billing_mode),
        "credit_limit": from_micros(limit) if limit is not None else None,
    }


def set_terms(
    db: Session, by: Principal, advertiser_id: str, mode: BillingMode, limit: Decimal | None, reason: str
) -> Advertiser:
    """Set how the advertiser pays; audited with the terms before and after and `reason`.
    Terms sent as they are change nothing and record nothing. The catalogue version moves
    with the advertiser (catalog/version.py), so delivery applies the new funds within a poll."""
    by.require_operator(ACTION)
    by.require(Right.BILLING, ACTION)
    why = _checked_reason(reason)
    advertiser = db.get(Advertiser, advertiser_id)
    if advertiser is None:
        raise NotFound(f"no advertiser {advertiser_id!r}")
    refuse_if_archived(advertiser.status is AdvertiserStatus.ARCHIVED, KIND, advertiser_id)
    micros = _checked_limit(mode, limit)
    refuse_credit_while_pending(advertiser.status, mode)
    before = terms_of(advertiser)
    advertiser.billing_mode = mode
    advertiser.credit_limit_micros = micros
    after = terms_of(advertiser)
    changed = {name: [before[name], after[name]] for name in before if before[name] != after[name]}
    if changed:
        record(db, by, AuditAction.UPDATE, KIND, advertiser.id, changed | {"reason": why}, advertiser_id=advertiser.id)
    db.flush()
    return advertiser
