"""Creatives and their review.

A creative made with an operator key is approved at once; one made with an advertiser key
waits in the review queue. When an advertiser changes what a creative shows, it goes back
to `pending`: an approval covers exactly what the operator saw. Only an operator reviews,
and a rejection always says why (`review_note`). An approval also covers where the operator
saw it would run: moved to a line item buying other placements, it is reviewed again
(`catalog/review_scope.py`).

A review tells the brand, in the review's own transaction. The notice is the notifications
package's (notifications/reviews.py `creative_reviewed`), which stands above the catalogue:
`update` takes it as `on_review`, a `ReviewListener` the app puts on the Runtime
(`on_creative_review`). It has no default, so no caller can review without telling.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.rights import Right
from shelfspace.accounts.roles import Principal
from shelfspace.catalog import review_scope
from shelfspace.catalog.enums import SIZED_FORMATS, AdFormat, ReviewStatus
from shelfspace.catalog.models import Creative, LineItem, Product
from shelfspace.catalog.ownership import (
    apply,
    changed_fields,
    get_visible,
    only_visible,
    owner_for_new,
    refuse_if_archived,
)
from shelfspace.catalog.promotable import refuse_others
from shelfspace.catalog.schemas import CreativeContent, CreativeCreate, CreativeFilters, CreativeUpdate
from shelfspace.core.clock import utcnow
from shelfspace.core.errors import FieldProblem, InvalidInput
from shelfspace.core.ids import new_id


class ReviewListener(Protocol):
    """Told of a review that approved or rejected `creative` (its status and note already
    set), in the review's own session: what it writes commits with the review."""

    def __call__(self, db: Session, creative: Creative, now: datetime) -> object: ...


KIND = "creative"
CONTENT_FIELDS = frozenset(CreativeContent.model_fields)

# What each format must carry to be rendered at all.
REQUIRED_BY_FORMAT: dict[AdFormat, tuple[str, ...]] = {
    AdFormat.BANNER: ("size", "click_url"),  # and an image or HTML markup: see _check_content
    AdFormat.NATIVE: ("title", "click_url"),
    AdFormat.SPONSORED_PRODUCT: ("sku",),
    AdFormat.VIDEO: ("media_url", "duration_seconds"),
}


def _line_item_for(db: Session, by: Principal, line_item_id: str, advertiser_id: str) -> LineItem:
    line_item = db.get(LineItem, line_item_id, options=[selectinload(LineItem.placements)])
    if line_item is None or not by.owns(line_item.advertiser_id) or line_item.advertiser_id != advertiser_id:
        raise InvalidInput.on("line_item_id", f"no line item {line_item_id!r} of advertiser {advertiser_id!r}")
    return line_item


def _check_content(db: Session, ad_format: AdFormat, values: dict[str, Any], line_item: LineItem | None) -> None:
    problems = [
        FieldProblem(field, f"required for a {ad_format} creative")
        for field in REQUIRED_BY_FORMAT[ad_format]
        if values.get(field) in (None, "")
    ]
    if ad_format is AdFormat.BANNER and not values.get("image_url") and not values.get("html"):
        problems.append(FieldProblem("image_url", "a banner needs an image_url or its html"))
    if line_item is not None:
        formats = {p.format for p in line_item.placements}
        if ad_format not in formats:
            problems.append(
                FieldProblem(
                    "format",
                    f"line item {line_item.id!r} buys {', '.join(sorted(formats))} placements, not {ad_format}",
                )
            )
        size = values.get("size")
        if ad_format in SIZED_FORMATS and size:
            sizes = {s for p in line_item.placements if p.format is ad_format for s in p.sizes}
            if sizes and size not in sizes:
                problems.append(
                    FieldProblem("size", f"{size} fits none of the line item's placements ({', '.join(sorted(sizes))})")
                )
    sku = values.get("sku")
    if sku and db.scalar(select(Product.sku).where(Product.sku == sku, Product.archived_at.is_(None))) is None:
        problems.append(FieldProblem("sku", f"{sku!r} is not in the product catalogue"))
    if problems:
        raise InvalidInput.collect(problems)


def create(db: Session, by: Principal, spec: CreativeCreate, *, replaces_id: str | None = None) -> Creative:
    advertiser_id = owner_for_new(db, by, spec.advertiser_id)
    line_item = _line_item_for(db, by, spec.line_item_id, advertiser_id) if spec.line_item_id else None
    content = spec.model_dump(include=set(CONTENT_FIELDS))
    _check_content(db, spec.format, content, line_item)
    refuse_others(db, by, advertiser_id, [spec.sku] if spec.sku else [], "sku")
    approved = review_scope.reviews(by)
    creative = Creative(
        id=new_id("crv"),
        advertiser_id=advertiser_id,
        line_item_id=spec.line_item_id,
        format=spec.format,
        status=ReviewStatus.APPROVED if approved else ReviewStatus.PENDING,
        reviewed_at=utcnow() if approved else None,
        replaces_id=replaces_id,
        **content,
    )
    db.add(creative)
    noted = {"replaces_id": replaces_id} if replaces_id else {}
    record(
        db,
        by,
        AuditAction.CREATE,
        KIND,
        creative.id,
        spec.model_dump() | {"status": creative.status} | noted,
        advertiser_id=creative.advertiser_id,
    )
    db.flush()
    return creative


def get(db: Session, by: Principal, creative_id: str) -> Creative:
    return get_visible(db, Creative, creative_id, by, KIND)


def update(
    db: Session, by: Principal, creative_id: str, spec: CreativeUpdate, *, on_review: ReviewListener
) -> Creative:
    """The creative changed (by its brand: back to review if what it shows changed) or
    reviewed (by the operator: `on_review` is told)."""
    creative = get(db, by, creative_id)
    refuse_if_archived(creative.archived_at is not None, KIND, creative_id)
    changes = changed_fields(spec)
    review: dict[str, Any] = {k: changes.pop(k) for k in ("status", "review_note") if k in changes}
    if review:
        by.require_operator("review creatives")
        by.require(Right.REVIEW, "review creatives")
    line_item_id = changes.get("line_item_id", creative.line_item_id)
    line_item = _line_item_for(db, by, line_item_id, creative.advertiser_id) if line_item_id else None
    merged = {f: changes.get(f, getattr(creative, f)) for f in CONTENT_FIELDS}
    _check_content(db, creative.format, merged, line_item)
    if changes.get("sku") and changes["sku"] != creative.sku:
        refuse_others(db, by, creative.advertiser_id, [changes["sku"]], "sku")
    moved_from = (
        _placement_ids(db, creative.line_item_id)
        if changes.get("line_item_id", creative.line_item_id) != creative.line_item_id
        else None
    )
    diff = apply(creative, changes)
    if (
        diff
        and not review_scope.reviews(by)
        and CONTENT_FIELDS & diff.keys()
        and creative.status is not ReviewStatus.PENDING
    ):
        diff["status"] = [creative.status, ReviewStatus.PENDING]
        if creative.review_note is not None:  # the last review's words judged the old content
            diff["review_note"] = [creative.review_note, None]
            creative.review_note = None
        creative.status = ReviewStatus.PENDING
        creative.reviewed_at = None
    if diff:
        record(db, by, AuditAction.UPDATE, KIND, creative.id, diff, advertiser_id=creative.advertiser_id)
    if moved_from is not None and line_item is not None:  # approved for where it ran (review_scope.py)
        review_scope.moved(db, by, creative, moved_from, line_item.placement_ids)
    if review:
        _review(db, by, creative, review, on_review)
    db.flush()
    return creative


def _placement_ids(db: Session, line_item_id: str | None) -> list[str]:
    line_item = db.get(LineItem, line_item_id, options=[selectinload(LineItem.placements)]) if line_item_id else None
    return line_item.placement_ids if line_item is not None else []


def _review(db: Session, by: Principal, creative: Creative, review: dict[str, Any], on_review: ReviewListener) -> None:
    status = review.get("status") or creative.status
    note = review.get("review_note", creative.review_note)
    if status is ReviewStatus.REJECTED and not note:
        raise InvalidInput.on("review_note", "say why the creative is rejected; the advertiser reads it")
    if status is ReviewStatus.PENDING and "status" in review:
        raise InvalidInput.on("status", "a review sets approved or rejected")
    diff = apply(creative, {"status": status, "review_note": note})
    if diff:
        creative.reviewed_at = utcnow()
        record(db, by, AuditAction.REVIEW, KIND, creative.id, diff, advertiser_id=creative.advertiser_id)
    if "status" in diff or (status is ReviewStatus.REJECTED and "review_note" in diff):  # the brand is told
        on_review(db, creative, creative.reviewed_at or utcnow())


def replace(db: Session, by: Principal, creative_id: str, spec: CreativeCreate) -> Creative:
    """A new creative in place of `creative_id` (a rejected one, most often), on the same
    line item: it is reviewed like any new one (an advertiser's waits in the queue, which
    shows what it replaces), and the old one is archived, kept for its history and its
    reports but never served again. Both or neither: the caller's transaction holds them."""
    old = get(db, by, creative_id)
    refuse_if_archived(old.archived_at is not None, KIND, creative_id)
    spec = spec.model_copy(update={"advertiser_id": old.advertiser_id, "line_item_id": old.line_item_id})
    new = create(db, by, spec, replaces_id=old.id)
    archive(db, by, old.id)
    return new


def archive(db: Session, by: Principal, creative_id: str) -> Creative:
    creative = get(db, by, creative_id)
    if creative.archived_at is None:
        creative.archived_at = utcnow()
        record(db, by, AuditAction.ARCHIVE, KIND, creative.id, advertiser_id=creative.advertiser_id)
    db.flush()
    return creative


def query(by: Principal, filters: CreativeFilters) -> Select[Creative]:
    stmt = only_visible(select(Creative), Creative.advertiser_id, by)
    if not filters.include_archived:
        stmt = stmt.where(Creative.archived_at.is_(None))
    if filters.advertiser_id:
        stmt = stmt.where(Creative.advertiser_id == filters.advertiser_id)
    if filters.line_item_id:
        stmt = stmt.where(Creative.line_item_id == filters.line_item_id)
    if filters.status:
        stmt = stmt.where(Creative.status == filters.status)
    return stmt
