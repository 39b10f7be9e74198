"""The notice of a creative's review: approved, or rejected with the operator's reason and
the way to replace it.

Called by the catalogue's review (catalog/services/creatives.py `_review`, which the API's
PATCH and the console's review queue both go through) in the review's own transaction, so
the review and its notice commit together. The catalogue stands below notifications, so it
does not import this: `creative_reviewed` is its `ReviewListener`, handed in by the app
(the Runtime's `on_creative_review`) and by the demo's seeding. One notice per review: the key's period is the
time of the review, so a creative approved, changed, and rejected later is told twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from shelfspace.catalog.enums import AdFormat, ReviewStatus
from shelfspace.catalog.models import Campaign, Creative, LineItem
from shelfspace.notifications.kinds import NoticeKind
from shelfspace.notifications.service import NewNotice, emit

FORMAT_WORDS = {
    AdFormat.BANNER: "banner",
    AdFormat.NATIVE: "native ad",
    AdFormat.SPONSORED_PRODUCT: "sponsored product",
    AdFormat.VIDEO: "video",
}


def described(creative: Creative) -> str:
    """`banner 300x250`, `native ad “Summer tea”`, `sponsored product TENT-2P`."""
    title = f"“{creative.title}”" if creative.title else None
    return " ".join(p for p in (FORMAT_WORDS[creative.format], creative.size, creative.sku, title) if p)


def creative_reviewed(db: Session, creative: Creative, now: datetime) -> str | None:
    """The notice of the review `creative` just had, if it was approved or rejected."""
    status = ReviewStatus(creative.status)
    if status is ReviewStatus.PENDING:
        return None
    line_item = db.get(LineItem, creative.line_item_id) if creative.line_item_id else None
    campaign = db.get(Campaign, line_item.campaign_id) if line_item is not None else None
    what = f"Your {described(creative)}" + (f" for “{campaign.name}”" if campaign is not None else "")
    campaign_page = f"/brand/campaigns/{campaign.id}" if campaign is not None else "/brand/creatives"
    period = (creative.reviewed_at or now).isoformat()
    if status is ReviewStatus.APPROVED:
        return emit(
            db,
            NewNotice(
                creative.advertiser_id,
                NoticeKind.CREATIVE_APPROVED,
                "creative",
                creative.id,
                period,
                "Creative approved",
                f"{what} is approved: it serves on the campaign's dates and budgets.",
                campaign_page,
            ),
            now,
        )
    reason = (creative.review_note or "").strip()
    why = f" The network's reason: “{reason}”." if reason else ""
    replace = (
        f"/brand/creatives/new?replaces={creative.id}"
        if line_item is not None and creative.archived_at is None
        else campaign_page
    )
    return emit(
        db,
        NewNotice(
            creative.advertiser_id,
            NoticeKind.CREATIVE_REJECTED,
            "creative",
            creative.id,
            period,
            "Creative rejected",
            f"{what} was rejected and will not serve.{why} "
            "Replace it with a new creative; the new one goes back to review.",
            replace,
        ),
        now,
    )
