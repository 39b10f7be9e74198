"""Demand partners: operator-only, with the catalogue services' five verbs (so
`catalog.api.resource_router` generates their routes) and the live list for serving.

Every write bumps the catalogue version in its own transaction: the decision path's
`PartnerDirectory` reloads the live partners when the snapshot's version moves, so a
change serves within a snapshot poll (0.5 s) and a rolled-back one never does.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.roles import Principal
from shelfspace.catalog.enums import DeliveryStatus
from shelfspace.catalog.models import Placement
from shelfspace.catalog.ownership import apply, archive_status, changed_fields, refuse_if_archived, require_present
from shelfspace.catalog.version import bump_catalogue_version
from shelfspace.core.errors import InvalidInput, NotFound
from shelfspace.core.ids import new_id
from shelfspace.core.money import to_micros
from shelfspace.core.outbound import OutboundPolicy, refusal_of_url
from shelfspace.demand.models import DemandPartner
from shelfspace.demand.schemas import PartnerCreate, PartnerFilters, PartnerUpdate

KIND = "demand_partner"
ID_PREFIX = "dp"


def _check_placements(db: Session, placement_ids: list[str]) -> None:
    if len(set(placement_ids)) != len(placement_ids):
        raise InvalidInput.on("placements", "a placement is listed twice")
    if not placement_ids:
        return
    known = set(db.scalars(select(Placement.id).where(Placement.id.in_(placement_ids))))
    missing = [p for p in placement_ids if p not in known]
    if missing:
        raise InvalidInput.on("placements", f"no placement {missing[0]!r}")


def _check_endpoint(endpoint: str, outbound: OutboundPolicy) -> None:
    """A partner whose endpoint is a private address is refused now, with the field named,
    rather than found out by its first bid request (which core/outbound.py refuses too)."""
    refused = refusal_of_url(endpoint, outbound)
    if refused is not None:
        raise InvalidInput.on("endpoint", f"Shelfspace does not call {refused.explanation}")


def create(db: Session, by: Principal, spec: PartnerCreate, outbound: OutboundPolicy) -> DemandPartner:
    by.require_operator("add demand partners")
    _check_placements(db, spec.placements)
    _check_endpoint(spec.endpoint, outbound)
    partner = DemandPartner(
        id=new_id(ID_PREFIX),
        name=spec.name,
        endpoint=spec.endpoint,
        timeout_ms=spec.timeout_ms,
        floor_cpm_micros=to_micros(spec.floor_cpm),
        placements=spec.placements,
        notice_domains=spec.notice_domains,
        status=spec.status,
    )
    db.add(partner)
    record(db, by, AuditAction.CREATE, KIND, partner.id, spec.model_dump())
    db.flush()
    bump_catalogue_version(db)
    return partner


def get(db: Session, by: Principal, partner_id: str) -> DemandPartner:
    by.require_operator("see demand partners")
    partner = db.get(DemandPartner, partner_id)
    if partner is None:
        raise NotFound(f"no demand partner {partner_id!r}")
    return partner


def update(db: Session, by: Principal, partner_id: str, spec: PartnerUpdate, outbound: OutboundPolicy) -> DemandPartner:
    by.require_operator("change demand partners")
    partner = get(db, by, partner_id)
    refuse_if_archived(partner.status is DeliveryStatus.ARCHIVED, KIND, partner_id)
    changes = changed_fields(spec)
    require_present(changes, "name", "endpoint", "timeout_ms", "floor_cpm", "status")
    if "endpoint" in changes:
        _check_endpoint(changes["endpoint"], outbound)
    if "notice_domains" in changes:
        changes["notice_domains"] = changes["notice_domains"] or []
    if "floor_cpm" in changes:
        changes["floor_cpm_micros"] = to_micros(changes.pop("floor_cpm"))
    if "placements" in changes:
        changes["placements"] = changes["placements"] or []
        _check_placements(db, changes["placements"])
    diff = apply(partner, changes)
    if diff:
        record(db, by, AuditAction.UPDATE, KIND, partner.id, diff)
        db.flush()
        bump_catalogue_version(db)
    return partner


def archive(db: Session, by: Principal, partner_id: str) -> DemandPartner:
    by.require_operator("archive demand partners")
    partner = get(db, by, partner_id)
    if partner.status is not DeliveryStatus.ARCHIVED:
        archive_status(db, by, partner, KIND, DeliveryStatus.ARCHIVED)
        bump_catalogue_version(db)
    return partner


def query(by: Principal, filters: PartnerFilters) -> Select[DemandPartner]:
    by.require_operator("list demand partners")
    stmt = select(DemandPartner)
    if not filters.include_archived:
        stmt = stmt.where(DemandPartner.status != DeliveryStatus.ARCHIVED)
    if filters.status:
        stmt = stmt.where(DemandPartner.status == filters.status)
    return stmt


def live_partners(db: Session) -> list[DemandPartner]:
    """The partners that bid now, oldest first."""
    return list(
        db.scalars(select(DemandPartner).where(DemandPartner.status == DeliveryStatus.LIVE).order_by(DemandPartner.id))
    )
