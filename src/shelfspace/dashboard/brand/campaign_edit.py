"""/brand/campaigns/{id}/edit: change every field the API lets a brand change on a campaign
and one of its line items, see beside each what takes effect when, with the live forecast
of the line item at its new settings.

The campaign: name, first day (until it starts), last day, budgets, pacing, and the
measurement settings (the test flag, the holdout, the read date until the start; a running
test's are fixed). The line item: name, status, placements, products, pricing, bid,
targeting with its day-parts, and the frequency cap. The form and its checks are
edit_form.py's (the wizard's own, so the same mistakes read the same); the save goes
through the services the API uses (`campaigns.update`, `line_items.update`, and
`creatives.create` for a product added to a sponsored-products line item) in one
transaction, so everything changes or nothing does, each audited by its service. A
placement added sends the line item's approved creatives back to review
(catalog/review_scope.py); the flash says what changed, when it applies and what is now
in review (edit_effects.py).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from shelfspace.catalog.audience_check import AudienceCheck
from shelfspace.catalog.enums import AdFormat, CapPeriod, Device, Pacing, ReviewStatus
from shelfspace.catalog.models import Campaign, Creative, LineItem, Placement
from shelfspace.catalog.schemas import CreativeCreate, LineItemFilters
from shelfspace.catalog.services import campaigns, creatives, line_items
from shelfspace.core.errors import NotFound, ShelfspaceError
from shelfspace.dashboard.brand import dayparts
from shelfspace.dashboard.brand.edit_effects import summary
from shelfspace.dashboard.brand.edit_form import (
    LineItemEdit,
    campaign_errors,
    campaign_update,
    has_started,
    line_item_errors,
    line_item_update,
    saved_values,
    typed_values,
)
from shelfspace.dashboard.brand.wizard import inventory, named, promotable_products, targetable_audiences
from shelfspace.dashboard.campaign_states import page_states
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import FieldErrors, text
from shelfspace.dashboard.periods import today
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AdvertiserUser, DashboardUser
from shelfspace.db.session import session_scope
from shelfspace.runtime import runtime_of

router = page_router()


class Refused(Exception):
    """A service refused part of the save: the transaction rolls back, the errors are shown."""

    def __init__(self, errors: FieldErrors) -> None:
        super().__init__("refused")
        self.errors = errors


def _line_items(db: Session, user: DashboardUser, campaign: Campaign) -> list[LineItem]:
    """The campaign's line items not archived, oldest first (through the service: the brand's own)."""
    found = line_items.query(user.principal, LineItemFilters(campaign_id=campaign.id))
    return list(db.scalars(found.order_by(LineItem.created_at, LineItem.id)))


def _chosen(
    db: Session, user: DashboardUser, campaign_id: str, line_item_id: str | None
) -> tuple[Campaign, LineItem | None, list[LineItem]]:
    """The brand's campaign (NotFound otherwise: a 404) and the line item edited: the one
    named, or its first."""
    campaign = campaigns.get(db, user.principal, campaign_id)
    mine = _line_items(db, user, campaign)
    if line_item_id:
        named_one = [li for li in mine if li.id == line_item_id]
        if not named_one:
            raise NotFound(f"no line item {line_item_id!r} in campaign {campaign_id!r}")
        return campaign, named_one[0], mine
    return campaign, (mine[0] if mine else None), mine


def _creatives(db: Session, line_item_id: str) -> list[Creative]:
    return list(
        db.scalars(select(Creative).where(Creative.line_item_id == line_item_id, Creative.archived_at.is_(None)))
    )


def _locked(campaign: Campaign, started: bool, user: DashboardUser) -> tuple[str, ...]:
    """The campaign's fields the form may not change now: kept as saved whatever it sends."""
    fixed: tuple[str, ...] = ("start", "lift_read_on") if started else ()
    if campaigns.holdout_locked(campaign, user.principal):  # a running test stays as it was set up
        fixed += ("is_test", "holdout_percent")
    return fixed


def page(
    request: Request,
    user: DashboardUser,
    campaign: Campaign,
    line_item: LineItem | None,
    siblings: list[LineItem],
    values: dict[str, Any],
    errors: FieldErrors,
    rows: list[dayparts.Row],
    approved: int,
    status_code: int = 200,
) -> Response:
    """The edit form (also the add-a-line-item page's fields: line_item_new.py)."""
    stock = inventory(request)
    offered = {p.placement_id for p in stock.placements}
    audiences = targetable_audiences(request, user)
    known = {a.id for a in audiences}
    with session_scope(runtime_of(request).db_sessions) as db:
        formats = dict(db.execute(select(Placement.id, Placement.format)).all())
        state = page_states(request, db, [campaign])[campaign.id]
    started = has_started(campaign, runtime_of(request).clock.now())
    chosen_formats = {formats.get(p) for p in values.get("placements", [])}
    return render(
        request,
        "brand/campaign_edit.html",
        status_code=status_code,
        title=f"Edit {campaign.name}",
        campaign=campaign,
        state=state,
        line_item=line_item,
        siblings=siblings,
        values=values,
        errors=named(errors, stock.names()),
        started=started,
        today=today(request).isoformat(),
        test_locked=campaigns.holdout_locked(campaign, user.principal),
        placements=stock.placements,
        stats_days=stock.days,
        kept_placements=[p for p in values.get("placements", []) if p not in offered],
        show_products=AdFormat.SPONSORED_PRODUCT in chosen_formats or bool(values.get("products")),
        products=promotable_products(request, user),
        devices=[d for d in Device if d is not Device.OTHER],
        audiences=audiences,
        kept_audiences=[a for a in values.get("audiences", []) if a not in known],
        pacings=list(Pacing),
        periods=list(CapPeriod),
        daypart_rows=rows,
        approved=approved,
        timezone=runtime_of(request).settings.timezone,
    )


@router.get("/brand/campaigns/{campaign_id}/edit")
def edit_page(request: Request, campaign_id: str, user: AdvertiserUser, line_item: str | None = None) -> Response:
    tz = ZoneInfo(runtime_of(request).settings.timezone)
    with session_scope(runtime_of(request).db_sessions) as db:
        campaign, chosen, siblings = _chosen(db, user, campaign_id, line_item)
        values = saved_values(campaign, chosen, tz)
        approved = sum(c.status is ReviewStatus.APPROVED for c in _creatives(db, chosen.id)) if chosen else 0
    return page(
        request, user, campaign, chosen, siblings, values, {}, dayparts.rows(values.get("dayparts", [])), approved
    )


def _format_problem(creative_formats: set[AdFormat], chosen: set[AdFormat]) -> str | None:
    """Placements the line item's creatives cannot fill: they would never serve."""
    if not creative_formats or not chosen or chosen <= creative_formats:
        return None
    have = " and ".join(sorted(f.value.replace("_", " ") for f in creative_formats))
    return (
        f"This line item's creatives are {have}: choose {have} placements, or add a line item for the "
        "others (with creatives of their format)."
    )


@router.post("/brand/campaigns/{campaign_id}/edit")
def save_edit(request: Request, campaign_id: str, user: AdvertiserUser, form: CheckedForm) -> Response:
    tz = ZoneInfo(runtime_of(request).settings.timezone)
    with session_scope(runtime_of(request).db_sessions) as db:
        campaign, line_item, siblings = _chosen(db, user, campaign_id, text(form, "line_item") or None)
        saved = saved_values(campaign, line_item, tz)
        made = _creatives(db, line_item.id) if line_item is not None else []
        was_approved = {c.id for c in made if c.status is ReviewStatus.APPROVED}
        formats = dict(db.execute(select(Placement.id, Placement.format)).all())
    started = has_started(campaign, runtime_of(request).clock.now())
    values = typed_values(form)
    values |= {k: saved[k] for k in _locked(campaign, started, user)}
    errors: FieldErrors = {}
    new_dayparts = dayparts.read(form, errors) if line_item is not None else None
    shown_rows = dayparts.typed_rows(form) if dayparts.MARKER in form else dayparts.rows(saved.get("dayparts", []))
    update = campaign_update(request, campaign, values, saved, started, errors)
    edit = line_item_update(values, line_item, new_dayparts, formats, errors) if line_item is not None else None
    if edit is not None and "placements" in edit.update.model_fields_set:
        problem = _format_problem({c.format for c in made}, {formats[p] for p in values["placements"] if p in formats})
        if problem:
            errors["placements"] = problem
    if errors or update is None or (line_item is not None and edit is None):
        return page(request, user, campaign, line_item, siblings, values, errors, shown_rows, len(was_approved), 400)
    try:
        rt = runtime_of(request)
        with session_scope(rt.db_sessions) as db:  # all of it or nothing
            back, new_ads = _save(db, user, campaign, update, line_item, edit, formats, rt.audience_check)
    except Refused as refused:
        return page(
            request, user, campaign, line_item, siblings, values, refused.errors, shown_rows, len(was_approved), 400
        )
    names = _names(request)
    message = summary(
        update.name or campaign.name,
        update,
        line_item.name if line_item else None,
        edit.update if edit else None,
        line_item.targeting if line_item else None,
        len(back),
        [names.get(p, p) for p in (edit.added_placements if edit else [])],
        new_ads,
    )
    return redirect_with(request, f"/brand/campaigns/{campaign.id}", message)


def _names(request: Request) -> dict[str, str]:
    with session_scope(runtime_of(request).db_sessions) as db:
        return dict(db.execute(select(Placement.id, Placement.name)).all())


def _save(
    db: Session,
    user: DashboardUser,
    campaign: Campaign,
    update: Any,
    line_item: LineItem | None,
    edit: LineItemEdit | None,
    formats: dict[str, AdFormat],
    audiences: AudienceCheck,
) -> tuple[list[str], list[str]]:
    """Both updates through the services, each one's refusals beside its own fields; then an
    ad for each product added (sponsored products: one creative per SKU). Returns the
    creatives sent back to review and the SKUs given a new ad."""
    errors: FieldErrors = {}
    if update.model_fields_set:
        try:
            campaigns.update(db, user.principal, campaign.id, update)
        except (ShelfspaceError, ValidationError) as exc:
            errors |= campaign_errors(exc)
    if line_item is None or edit is None or not edit.update.model_fields_set:
        if errors:
            raise Refused(errors)
        return [], []
    approved = {c.id for c in _creatives(db, line_item.id) if c.status is ReviewStatus.APPROVED}
    try:
        line_items.update(db, user.principal, line_item.id, edit.update, audiences=audiences)
    except (ShelfspaceError, ValidationError) as exc:
        errors |= line_item_errors(exc)
    if errors:
        raise Refused(errors)
    now = _creatives(db, line_item.id)
    back = [c.id for c in now if c.id in approved and c.status is ReviewStatus.PENDING]
    placements = edit.update.placements if edit.update.placements is not None else line_item.placement_ids
    return back, sponsored_ads(db, user, line_item.id, placements, edit.added_products, formats, now)


def sponsored_ads(
    db: Session,
    user: DashboardUser,
    line_item_id: str,
    placements: list[str],
    skus: list[str],
    formats: dict[str, AdFormat],
    have: list[Creative],
) -> list[str]:
    """On a sponsored-products line item, an ad (a creative, waiting for review) for each
    SKU in `skus` that has none yet; the SKUs given one. Refused: `Refused` on products."""
    if AdFormat.SPONSORED_PRODUCT not in {formats.get(p) for p in placements}:
        return []
    made: list[str] = []
    known = {c.sku for c in have}
    for sku in skus:
        if sku in known:
            continue
        try:
            creatives.create(
                db,
                user.principal,
                CreativeCreate(line_item_id=line_item_id, format=AdFormat.SPONSORED_PRODUCT, sku=sku),
            )
        except (ShelfspaceError, ValidationError) as exc:
            raise Refused(
                {"products": next(iter(line_item_errors(exc).values()), "This product can't be promoted.")}
            ) from exc
        made.append(sku)
    return made
