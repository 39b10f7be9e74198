"""A campaign copied with its line items and creatives, paused, to change and then resume.

What the copy is:
- `paused`, named "<name> (copy)": nothing serves until the advertiser resumes it;
- on the same flight length, starting later than now: a campaign that has not started
  keeps its dates; one that has starts tomorrow at the hour it started, its end moved by as
  much (an open end stays open). Tomorrow rather than today, so the copy has not started
  yet and its first day can still be chosen on its edit page (today included). Budgets, pacing, the holdout and the test flag are
  copied; the lift's read date is the copy's own (services/campaigns.py `read_date`);
- its line items are the original's not archived, each with its status, pricing, bid,
  placements, targeting (day-parts included), cap and products. One the services now
  refuse (a placement since archived, a bid under a floor since raised, a product gone) is
  left out and named in `Copied.skipped`, so the copy is never half-valid;
- its creatives are the unarchived ones of those line items, copied field by field:
  - one still waiting for review is copied waiting;
  - an approved one keeps its approval: same content, on the same placements, so the
    operator has seen exactly this (catalog/review_scope.py). The audit says whose
    approval it carries (`copy`, `copied_from`) rather than passing it off as a review;
  - a rejected one is not copied: the advertiser replaces it on the copy.

Everything is made through the services (tenancy, validation, audit entries as they write
them; the line items' audiences by the `AudienceCheck` the caller hands in), in the caller's transaction: all of it, or nothing. Each new object also gets a
`copy` audit entry naming its original.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.roles import Principal
from shelfspace.catalog.audience_check import AudienceCheck
from shelfspace.catalog.enums import DeliveryStatus, ReviewStatus
from shelfspace.catalog.models import Campaign, Creative, LineItem
from shelfspace.catalog.schemas import (
    CampaignCreate,
    CreativeContent,
    CreativeCreate,
    FrequencyCap,
    LineItemCreate,
    LineItemFilters,
    Targeting,
)
from shelfspace.catalog.services import campaigns, creatives, line_items
from shelfspace.core.errors import InvalidInput
from shelfspace.core.money import from_micros

NAME_LIMIT = 200  # a Name's length (catalog/fields.py)
SUFFIX = " (copy)"
CONTENT_FIELDS = tuple(CreativeContent.model_fields)


@dataclass
class Copied:
    campaign: Campaign
    line_items: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (line item name, why)
    approved: int = 0  # creatives copied with their approval
    pending: int = 0  # creatives copied waiting for review
    rejected: int = 0  # rejected creatives left out


def copy_name(name: str) -> str:
    return name[: NAME_LIMIT - len(SUFFIX)].rstrip() + SUFFIX


def moved_flight(
    start: datetime, end: datetime | None, now: datetime, tz: ZoneInfo
) -> tuple[datetime, datetime | None]:
    """The copy's dates: the original's if it has not started, else the same length from
    tomorrow, at the local hour it started."""
    if start > now:
        return start, end
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    new_start = datetime.combine(tomorrow, start.astimezone(tz).time(), tz)
    shift = new_start - start
    return new_start, (end + shift if end is not None else None)


def duplicate(
    db: Session, by: Principal, campaign_id: str, now: datetime, tz: ZoneInfo, *, audiences: AudienceCheck
) -> Copied:
    original = campaigns.get(db, by, campaign_id)  # another advertiser's: not found
    start, end = moved_flight(original.start, original.end, now, tz)
    spec = CampaignCreate(
        advertiser_id=original.advertiser_id,
        name=copy_name(original.name),
        start=start,
        end=end,
        budget_total=from_micros(original.budget_total_micros),
        budget_daily=from_micros(original.budget_daily_micros) if original.budget_daily_micros is not None else None,
        pacing=original.pacing,
        status=DeliveryStatus.PAUSED,
        is_test=original.is_test,
        holdout_percent=original.holdout_percent,
    )
    copy = campaigns.create(db, by, spec)
    record(
        db,
        by,
        AuditAction.COPY,
        campaigns.KIND,
        copy.id,
        {"copied_from": original.id},
        advertiser_id=copy.advertiser_id,
    )
    made = Copied(copy)
    found = line_items.query(by, LineItemFilters(campaign_id=original.id))
    for line_item in db.scalars(found.order_by(LineItem.created_at, LineItem.id)):
        _copy_line_item(db, by, line_item, copy, made, audiences)
    db.flush()
    return made


def _copy_line_item(
    db: Session, by: Principal, line_item: LineItem, copy: Campaign, made: Copied, audiences: AudienceCheck
) -> None:
    cap = FrequencyCap.model_validate(line_item.frequency_cap) if line_item.frequency_cap else None
    spec = LineItemCreate(
        campaign_id=copy.id,
        name=line_item.name,
        pricing=line_item.pricing,
        bid=from_micros(line_item.bid_micros),
        placements=line_item.placement_ids,
        targeting=Targeting.model_validate(line_item.targeting),
        frequency_cap=cap,
        products=list(line_item.products),
        status=line_item.status,
    )
    try:  # the service checks everything before it adds anything: a refusal leaves nothing behind
        new = line_items.create(db, by, spec, audiences=audiences)
    except InvalidInput as exc:
        made.skipped.append((line_item.name, "; ".join(p.message for p in exc.fields) or exc.message))
        return
    record(
        db,
        by,
        AuditAction.COPY,
        line_items.KIND,
        new.id,
        {"copied_from": line_item.id},
        advertiser_id=new.advertiser_id,
    )
    made.line_items += 1
    kept = db.scalars(
        select(Creative)
        .where(Creative.line_item_id == line_item.id, Creative.archived_at.is_(None))
        .order_by(Creative.created_at, Creative.id)
    )
    for creative in kept:
        if creative.status is ReviewStatus.REJECTED:
            made.rejected += 1
            continue
        content = {f: getattr(creative, f) for f in CONTENT_FIELDS}
        twin = creatives.create(
            db,
            by,
            CreativeCreate(
                advertiser_id=creative.advertiser_id, line_item_id=new.id, format=creative.format, **content
            ),
        )
        noted: dict[str, object] = {"copied_from": creative.id}
        if creative.status is ReviewStatus.APPROVED and twin.status is not ReviewStatus.APPROVED:
            twin.status, twin.reviewed_at = ReviewStatus.APPROVED, creative.reviewed_at
            noted |= {"status": [ReviewStatus.PENDING, ReviewStatus.APPROVED], "approval_of": creative.id}
        record(db, by, AuditAction.COPY, creatives.KIND, twin.id, noted, advertiser_id=twin.advertiser_id)
        if twin.status is ReviewStatus.APPROVED:
            made.approved += 1
        else:
            made.pending += 1
