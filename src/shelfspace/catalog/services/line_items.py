"""Line items: what a campaign buys, where, from whom, and at what price.

Rules (checked on the merged result of every change):
- every placement exists and is active;
- cost-per-click only where there is something to click (see `CLICKABLE_CHANNELS`);
- a CPM bid is at or above the floor of every placement it targets (a CPC bid meets the
  floor in the auction instead, through its predicted click rate);
- a line item on a sponsored-products placement names the SKUs it promotes, and those
  SKUs are in the catalogue;
- an advertiser books only its own brands' products, unless it is a reseller
  (`catalog/promotable.py`).

An advertiser adding a placement sends the line item's approved creatives back to review:
the operator approved them for the placements it saw (`catalog/review_scope.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.roles import Principal
from shelfspace.catalog import review_scope
from shelfspace.catalog.audience_check import AudienceCheck
from shelfspace.catalog.enums import (
    CLICKABLE_CHANNELS,
    CLICKABLE_FORMATS,
    AdFormat,
    DeliveryStatus,
    PlacementStatus,
    Pricing,
)
from shelfspace.catalog.models import Campaign, LineItem, Placement, Product
from shelfspace.catalog.ownership import (
    apply,
    archive_status,
    changed_fields,
    only_visible,
    refuse_if_archived,
    require_present,
)
from shelfspace.catalog.promotable import refuse_others
from shelfspace.catalog.schemas import LineItemCreate, LineItemFilters, LineItemUpdate
from shelfspace.core.errors import FieldProblem, InvalidInput, NotFound
from shelfspace.core.ids import new_id
from shelfspace.core.money import from_micros, to_micros

KIND = "line_item"


def _campaign_for(db: Session, by: Principal, campaign_id: str) -> Campaign:
    campaign = db.get(Campaign, campaign_id)
    if campaign is None or not by.owns(campaign.advertiser_id):
        raise InvalidInput.on("campaign_id", f"no campaign {campaign_id!r}")
    if campaign.status is DeliveryStatus.ARCHIVED:
        raise InvalidInput.on("campaign_id", f"campaign {campaign_id!r} is archived")
    return campaign


def _placements(db: Session, ids: Sequence[str]) -> list[Placement]:
    if len(set(ids)) != len(ids):
        raise InvalidInput.on("placements", "a placement is listed twice")
    found = {p.id: p for p in db.scalars(select(Placement).where(Placement.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidInput.on("placements", f"no placement {', '.join(map(repr, missing))}")
    archived = [i for i in ids if found[i].status is PlacementStatus.ARCHIVED]
    if archived:
        raise InvalidInput.on("placements", f"placement {', '.join(map(repr, archived))} is archived")
    return [found[i] for i in ids]


def _check_buy(
    db: Session, pricing: Pricing, bid_micros: int, placements: list[Placement], products: list[str]
) -> None:
    problems: list[FieldProblem] = []
    if pricing is Pricing.CPC:
        unclickable = [
            p.id for p in placements if p.channel not in CLICKABLE_CHANNELS or p.format not in CLICKABLE_FORMATS
        ]
        if unclickable:
            problems.append(
                FieldProblem("pricing", f"cpc needs clickable placements; {', '.join(unclickable)} sell by cpm only")
            )
    else:
        for p in placements:
            if bid_micros < p.floor_cpm_micros:
                problems.append(
                    FieldProblem(
                        "bid",
                        f"{from_micros(bid_micros)} is below the floor {from_micros(p.floor_cpm_micros)} of placement {p.id!r}",
                    )
                )
    if any(p.format is AdFormat.SPONSORED_PRODUCT for p in placements) and not products:
        problems.append(FieldProblem("products", "sponsored-product placements need the SKUs to promote"))
    if len(set(products)) != len(products):
        problems.append(FieldProblem("products", "a SKU is listed twice"))
    elif products:
        known = set(db.scalars(select(Product.sku).where(Product.sku.in_(products), Product.archived_at.is_(None))))
        unknown = [s for s in products if s not in known]
        if unknown:
            shown = ", ".join(map(repr, unknown[:10])) + (" …" if len(unknown) > 10 else "")
            problems.append(FieldProblem("products", f"not in the product catalogue: {shown}"))
    if problems:
        raise InvalidInput.collect(problems)


def create(db: Session, by: Principal, spec: LineItemCreate, *, audiences: AudienceCheck) -> LineItem:
    """A new line item; `audiences` checks the segments it targets (catalog/audience_check.py)."""
    campaign = _campaign_for(db, by, spec.campaign_id)
    placements = _placements(db, spec.placements)
    bid = to_micros(spec.bid)
    _check_buy(db, spec.pricing, bid, placements, spec.products)
    refuse_others(db, by, campaign.advertiser_id, spec.products, "products")
    audiences(db, campaign.advertiser_id, spec.targeting.audiences, "targeting.audiences")
    line_item = LineItem(
        id=new_id("li"),
        campaign_id=campaign.id,
        advertiser_id=campaign.advertiser_id,
        name=spec.name,
        pricing=spec.pricing,
        bid_micros=bid,
        targeting=spec.targeting.model_dump(mode="json"),
        frequency_cap=spec.frequency_cap.model_dump(mode="json") if spec.frequency_cap else None,
        products=spec.products,
        status=spec.status,
    )
    line_item.placements = placements
    db.add(line_item)
    record(
        db,
        by,
        AuditAction.CREATE,
        KIND,
        line_item.id,
        spec.model_dump(mode="json"),
        advertiser_id=line_item.advertiser_id,
    )
    db.flush()
    return line_item


def get(db: Session, by: Principal, line_item_id: str) -> LineItem:
    line_item = db.get(LineItem, line_item_id, options=[selectinload(LineItem.placements)])
    if line_item is None or not by.owns(line_item.advertiser_id):
        raise NotFound(f"no line item {line_item_id!r}")
    return line_item


def update(
    db: Session, by: Principal, line_item_id: str, spec: LineItemUpdate, *, audiences: AudienceCheck
) -> LineItem:
    """The line item changed; `audiences` checks the segments it newly targets (those it
    targets already stay, as products do)."""
    line_item = get(db, by, line_item_id)
    refuse_if_archived(line_item.status is DeliveryStatus.ARCHIVED, KIND, line_item_id)
    changes = changed_fields(spec)
    require_present(changes, "name", "pricing", "bid", "placements", "targeting", "products", "status")
    placements = _placements(db, changes.pop("placements")) if "placements" in changes else line_item.placements
    if "bid" in changes:
        changes["bid_micros"] = to_micros(changes.pop("bid"))
    if "targeting" in changes:
        changes["targeting"] = spec.targeting.model_dump(mode="json") if spec.targeting else {}
        new_audiences = set(changes["targeting"].get("audiences", [])) - set(line_item.targeting.get("audiences", []))
        audiences(db, line_item.advertiser_id, sorted(new_audiences), "targeting.audiences")
    if "frequency_cap" in changes:
        changes["frequency_cap"] = spec.frequency_cap.model_dump(mode="json") if spec.frequency_cap else None
    _check_buy(
        db,
        changes.get("pricing", line_item.pricing),
        changes.get("bid_micros", line_item.bid_micros),
        placements,
        changes.get("products", line_item.products),
    )
    if "products" in changes:  # what it promoted already stays (the operator may have booked it)
        added = [s for s in changes["products"] or [] if s not in line_item.products]
        refuse_others(db, by, line_item.advertiser_id, added, "products")
    diff = apply(line_item, changes)
    old_ids = line_item.placement_ids
    if [p.id for p in placements] != old_ids:
        line_item.placements = placements
        diff["placements"] = [old_ids, line_item.placement_ids]
    if diff:
        record(db, by, AuditAction.UPDATE, KIND, line_item.id, diff, advertiser_id=line_item.advertiser_id)
    review_scope.placements_added(db, by, line_item.id, old_ids, line_item.placement_ids)
    db.flush()
    return line_item


def archive(db: Session, by: Principal, line_item_id: str) -> LineItem:
    line_item = get(db, by, line_item_id)
    archive_status(db, by, line_item, KIND, DeliveryStatus.ARCHIVED, advertiser_id=line_item.advertiser_id)
    return line_item


def query(by: Principal, filters: LineItemFilters) -> Select[LineItem]:
    stmt = only_visible(select(LineItem), LineItem.advertiser_id, by).options(selectinload(LineItem.placements))
    if not filters.include_archived:
        stmt = stmt.where(LineItem.status != DeliveryStatus.ARCHIVED)
    if filters.campaign_id:
        stmt = stmt.where(LineItem.campaign_id == filters.campaign_id)
    if filters.advertiser_id:
        stmt = stmt.where(LineItem.advertiser_id == filters.advertiser_id)
    if filters.status:
        stmt = stmt.where(LineItem.status == filters.status)
    return stmt
