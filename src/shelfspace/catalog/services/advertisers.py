"""Advertisers: the brands buying on the network.

Operators create and manage them; an advertiser key reads its own and may correct its
name and domain, but not its status (approval and suspension are the operator's), nor
its brands or category: the brands decide whose sales it is credited with, the category
which placements may show it (`catalog/brand_claims.py`); nor whether it is a reseller,
which lets it promote other brands' products (`catalog/promotable.py`). Among the
operator's staff, those are the reviewers' (`Right.REVIEW`), and how it pays is finance's
(`Right.BILLING`; billing/terms.py sets terms with a reason, and a pending brand has none).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.rights import Right
from shelfspace.accounts.roles import Principal
from shelfspace.catalog.brand_claims import refuse_taken
from shelfspace.catalog.enums import AdvertiserStatus, BillingMode
from shelfspace.catalog.models import Advertiser
from shelfspace.catalog.ownership import apply, archive_status, changed_fields, refuse_if_archived, require_present
from shelfspace.catalog.schemas import AdvertiserCreate, AdvertiserFilters, AdvertiserUpdate
from shelfspace.core.errors import InvalidInput, NotFound
from shelfspace.core.ids import new_id
from shelfspace.core.money import from_micros, to_micros

KIND = "advertiser"
PENDING_HAS_NO_CREDIT = "a brand waiting for approval has no credit: approve it first, then give it credit"


def refuse_credit_while_pending(status: AdvertiserStatus, mode: BillingMode) -> None:
    """Credit is given to approved brands only: a sign-up is not yet someone to trust. The
    catalogue's rule, since an advertiser's status and terms are its columns; billing's
    `set_terms` (billing/terms.py) applies it too."""
    if status is AdvertiserStatus.PENDING and mode is BillingMode.CREDIT:
        raise InvalidInput.on("billing_mode", PENDING_HAS_NO_CREDIT)


def _check_competitors(db: Session, advertiser_id: str, competitors: list[str]) -> None:
    """Competitors must be other, existing advertisers, each named once."""
    if len(set(competitors)) != len(competitors):
        raise InvalidInput.on("competitors", "an advertiser is listed twice")
    if advertiser_id in competitors:
        raise InvalidInput.on("competitors", "an advertiser cannot be its own competitor")
    known = set(db.scalars(select(Advertiser.id).where(Advertiser.id.in_(competitors))))
    unknown = [c for c in competitors if c not in known]
    if unknown:
        raise InvalidInput.on("competitors", f"no advertiser {', '.join(map(repr, unknown))}")


def _credit_limit(mode: BillingMode, limit: Decimal | None) -> int | None:
    """A prepaid wallet has no credit: a limit given with it is a mistake, not ignored."""
    if mode is BillingMode.PREPAID and limit:
        raise InvalidInput.on("credit_limit", "a prepaid advertiser has no credit limit; use billing_mode credit")
    return None if limit is None or mode is BillingMode.PREPAID else to_micros(limit)


def create(db: Session, by: Principal, spec: AdvertiserCreate) -> Advertiser:
    by.require_operator("create advertisers")
    mode = spec.billing_mode
    if {"billing_mode", "credit_limit"} & spec.model_fields_set:
        by.require(Right.BILLING, "set how an advertiser pays")
    elif spec.status is AdvertiserStatus.PENDING:
        mode = BillingMode.PREPAID  # a brand waiting for approval has no credit (billing/terms.py)
    refuse_credit_while_pending(spec.status, mode)
    advertiser_id = new_id("adv")
    _check_competitors(db, advertiser_id, spec.competitors)
    refuse_taken(db, advertiser_id, spec.name, spec.brands, "brands" if spec.brands else "name")
    advertiser = Advertiser(
        id=advertiser_id,
        name=spec.name,
        domain=spec.domain,
        status=spec.status,
        category=spec.category,
        competitors=spec.competitors,
        brands=spec.brands,
        billing_mode=mode,
        credit_limit_micros=_credit_limit(mode, spec.credit_limit),
        reseller=spec.reseller,
    )
    db.add(advertiser)
    record(db, by, AuditAction.CREATE, KIND, advertiser.id, spec.model_dump(), advertiser_id=advertiser.id)
    db.flush()
    return advertiser


def get(db: Session, by: Principal, advertiser_id: str) -> Advertiser:
    advertiser = db.get(Advertiser, advertiser_id)
    if advertiser is None or not by.owns(advertiser.id):
        raise NotFound(f"no advertiser {advertiser_id!r}")
    return advertiser


def update(db: Session, by: Principal, advertiser_id: str, spec: AdvertiserUpdate) -> Advertiser:
    advertiser = get(db, by, advertiser_id)
    refuse_if_archived(advertiser.status is AdvertiserStatus.ARCHIVED, KIND, advertiser_id)
    changes = changed_fields(spec)
    require_present(changes, "name", "domain", "status", "billing_mode", "reseller")
    if "reseller" in changes and changes["reseller"] != advertiser.reseller:  # sent back as read: not refused
        by.require_operator("let an advertiser promote other brands' products")
        by.require(Right.REVIEW, "let an advertiser promote other brands' products")
    if "status" in changes:
        by.require_operator("change an advertiser's status")
        by.require(Right.REVIEW, "change an advertiser's status")
    if "brands" in changes:
        changes["brands"] = changes["brands"] or []
        if changes["brands"] != advertiser.brands:  # a client sending back what it read is not refused
            by.require_operator("set the brands an advertiser answers for")
            by.require(Right.REVIEW, "set the brands an advertiser answers for")
    if "category" in changes and changes["category"] != advertiser.category:
        by.require_operator("set an advertiser's category")
        by.require(Right.REVIEW, "set an advertiser's category")
    if changes.get("name", advertiser.name) != advertiser.name and not by.is_operator and not advertiser.brands:
        changes["brands"] = [advertiser.name]  # the claim was the old name: renaming does not move it
    if "brands" in changes or "name" in changes:
        refuse_taken(
            db,
            advertiser.id,
            changes.get("name", advertiser.name),
            changes.get("brands", advertiser.brands),
            "brands" if "brands" in changes else "name",
        )
    if "billing_mode" in changes or "credit_limit" in changes:
        by.require_operator("set how an advertiser pays")
        by.require(Right.BILLING, "set how an advertiser pays")
        mode = changes.get("billing_mode") or advertiser.billing_mode
        changes["billing_mode"] = mode
        refuse_credit_while_pending(changes.get("status") or advertiser.status, mode)
        if "credit_limit" in changes:
            limit = changes.pop("credit_limit")
        elif mode is BillingMode.CREDIT and advertiser.credit_limit_micros is not None:
            limit = from_micros(advertiser.credit_limit_micros)  # kept when only the mode is named
        else:
            limit = None
        changes["credit_limit_micros"] = _credit_limit(mode, limit)
    if changes.get("status") == AdvertiserStatus.PENDING and advertiser.status != AdvertiserStatus.PENDING:
        if (changes.get("billing_mode") or advertiser.billing_mode) == BillingMode.CREDIT:
            raise InvalidInput.on("status", "a brand on credit cannot go back to pending: make it prepaid first")
    if "competitors" in changes:
        by.require_operator("set an advertiser's competitors")
        by.require(Right.REVIEW, "set an advertiser's competitors")
        changes["competitors"] = changes["competitors"] or []
        _check_competitors(db, advertiser.id, changes["competitors"])
    diff = apply(advertiser, changes)
    if diff:
        record(db, by, AuditAction.UPDATE, KIND, advertiser.id, diff, advertiser_id=advertiser.id)
    db.flush()
    return advertiser


def archive(db: Session, by: Principal, advertiser_id: str) -> Advertiser:
    advertiser = get(db, by, advertiser_id)
    by.require_operator("archive advertisers")
    archive_status(db, by, advertiser, KIND, AdvertiserStatus.ARCHIVED, advertiser_id=advertiser.id)
    return advertiser


def query(by: Principal, filters: AdvertiserFilters) -> Select[Advertiser]:
    stmt = select(Advertiser)
    if not by.is_operator:
        stmt = stmt.where(Advertiser.id == by.advertiser_id)
    if not filters.include_archived:
        stmt = stmt.where(Advertiser.status != AdvertiserStatus.ARCHIVED)
    if filters.status:
        stmt = stmt.where(Advertiser.status == filters.status)
    return stmt
