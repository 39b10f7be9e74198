"""Placements: the operator's inventory. Everyone may read them; only operators change them."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.roles import Principal
from shelfspace.catalog.enums import FORMATS_BY_CHANNEL, SIZED_FORMATS, AdFormat, Channel, PlacementStatus
from shelfspace.catalog.models import Placement
from shelfspace.catalog.ownership import apply, archive_status, changed_fields, refuse_if_archived, require_present
from shelfspace.catalog.schemas import PlacementCreate, PlacementFilters, PlacementUpdate
from shelfspace.core.errors import Conflict, InvalidInput, NotFound
from shelfspace.core.money import to_micros

KIND = "placement"


def _check_shape(channel: Channel, ad_format: AdFormat, sizes: list[str]) -> None:
    if ad_format not in FORMATS_BY_CHANNEL[channel]:
        allowed = ", ".join(sorted(FORMATS_BY_CHANNEL[channel]))
        raise InvalidInput.on("format", f"{ad_format} does not run on the {channel} channel (allowed: {allowed})")
    if ad_format in SIZED_FORMATS and not sizes:
        raise InvalidInput.on("sizes", f"a {ad_format} placement needs at least one size, e.g. 300x250")
    if len(set(sizes)) != len(sizes):
        raise InvalidInput.on("sizes", "a size is listed twice")


def _check_blocked(categories: list[str]) -> None:
    if len(set(categories)) != len(categories):
        raise InvalidInput.on("blocked_categories", "a category is listed twice")


def create(db: Session, by: Principal, spec: PlacementCreate) -> Placement:
    by.require_operator("create placements")
    _check_shape(spec.channel, spec.format, spec.sizes)
    _check_blocked(spec.blocked_categories)
    if db.get(Placement, spec.id) is not None:
        raise Conflict(f"id: a placement {spec.id!r} already exists")
    placement = Placement(
        id=spec.id,
        name=spec.name,
        channel=spec.channel,
        format=spec.format,
        sizes=spec.sizes,
        floor_cpm_micros=to_micros(spec.floor_cpm),
        max_ads=spec.max_ads,
        blocked_categories=spec.blocked_categories,
    )
    db.add(placement)
    record(db, by, AuditAction.CREATE, KIND, placement.id, spec.model_dump())
    db.flush()
    return placement


def get(db: Session, by: Principal, placement_id: str) -> Placement:
    placement = db.get(Placement, placement_id)
    if placement is None:
        raise NotFound(f"no placement {placement_id!r}")
    return placement


def update(db: Session, by: Principal, placement_id: str, spec: PlacementUpdate) -> Placement:
    by.require_operator("change placements")
    placement = get(db, by, placement_id)
    refuse_if_archived(placement.status is PlacementStatus.ARCHIVED, KIND, placement_id)
    changes = changed_fields(spec)
    require_present(changes, "name", "sizes", "floor_cpm", "max_ads", "status")
    if "floor_cpm" in changes:
        changes["floor_cpm_micros"] = to_micros(changes.pop("floor_cpm"))
    _check_shape(placement.channel, placement.format, changes.get("sizes", placement.sizes))
    if "blocked_categories" in changes:
        changes["blocked_categories"] = changes["blocked_categories"] or []
        _check_blocked(changes["blocked_categories"])
    diff = apply(placement, changes)
    if diff:
        record(db, by, AuditAction.UPDATE, KIND, placement.id, diff)
    db.flush()
    return placement


def archive(db: Session, by: Principal, placement_id: str) -> Placement:
    by.require_operator("archive placements")
    placement = get(db, by, placement_id)
    archive_status(db, by, placement, KIND, PlacementStatus.ARCHIVED)
    return placement


def query(by: Principal, filters: PlacementFilters) -> Select[Placement]:
    stmt = select(Placement)
    if not filters.include_archived:
        stmt = stmt.where(Placement.status != PlacementStatus.ARCHIVED)
    if filters.channel:
        stmt = stmt.where(Placement.channel == filters.channel)
    if filters.format:
        stmt = stmt.where(Placement.format == filters.format)
    return stmt
