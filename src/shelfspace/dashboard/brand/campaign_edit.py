"""/brand/campaigns/{id}/edit: change a running campaign's budgets, end and pacing, and its
line item's bid, targeting and frequency cap, with the live forecast at the new settings.

The form is the wizard's (same field names, read and validated by its helpers: a value the
wizard would refuse is refused here, beside the same field); the save goes through the
services the API uses (`campaigns.update`, `line_items.update`) in one transaction, so
both change or neither does, and each writes its own audit entry. Only what the person
changed is sent: an end set through the API at 15:30 stays at 15:30 unless the last day
is edited, and a form sent back untouched changes nothing and records nothing.

Placements, pricing, products, the start and the line item's day-parts are not edited
here; they ride along in the form only so the forecast sees the whole line item.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from shelfspace.catalog.enums import CapPeriod, Device, Pacing, Pricing
from shelfspace.catalog.models import Campaign, LineItem, Placement
from shelfspace.catalog.schemas import (
    CampaignCreate,
    CampaignUpdate,
    LineItemCreate,
    LineItemFilters,
    LineItemUpdate,
    Targeting,
)
from shelfspace.catalog.services import campaigns, line_items
from shelfspace.core.errors import NotFound, ShelfspaceError
from shelfspace.core.money import from_micros, to_micros
from shelfspace.dashboard.brand.wizard import (
    campaign_spec,
    form_errors,
    form_values,
    line_item_spec,
    targetable_audiences,
)
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import FieldErrors, text
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AdvertiserUser, DashboardUser
from shelfspace.db.session import session_scope

router = page_router()

# The campaign's fields this page edits (the line item's: bid, targeting, cap).
CAMPAIGN_FIELDS = ("budget_total", "budget_daily", "end", "pacing")


def _plain(micros: int | None) -> str:
    """Money as a person types it: `500`, `0.45`."""
    return "" if micros is None else format(from_micros(micros).normalize(), "f")


def saved_values(campaign: Campaign, line_item: LineItem | None, tz: ZoneInfo) -> dict[str, Any]:
    """The form's fields as the campaign and line item are now (the wizard's names)."""
    last_day = (campaign.end - timedelta(microseconds=1)).astimezone(tz).date().isoformat() if campaign.end else ""
    values: dict[str, Any] = {
        "name": campaign.name, "start": campaign.start.astimezone(tz).date().isoformat(), "end": last_day,
        "budget_total": _plain(campaign.budget_total_micros), "budget_daily": _plain(campaign.budget_daily_micros),
        "pacing": campaign.pacing.value, "bid": "", "pricing": Pricing.CPM.value, "placements": [], "products": [],
        "keywords": "", "categories": "", "countries": "", "devices": [], "audiences": [], "cap_count": "",
        "cap_period": CapPeriod.DAY.value}
    if line_item is not None:
        targeting = Targeting.model_validate(line_item.targeting)
        cap = line_item.frequency_cap
        values |= {"bid": _plain(line_item.bid_micros), "pricing": line_item.pricing.value,
                   "placements": list(line_item.placement_ids), "products": list(line_item.products),
                   "keywords": ", ".join(targeting.keywords), "categories": ", ".join(targeting.categories),
                   "countries": ", ".join(targeting.countries), "devices": [d.value for d in targeting.devices],
                   "audiences": list(targeting.audiences), "cap_count": str(cap["count"]) if cap else "",
                   "cap_period": cap["period"] if cap else CapPeriod.DAY.value}
    return values


def _line_items(db: Session, user: DashboardUser, campaign: Campaign) -> list[LineItem]:
    """The campaign's line items not archived, oldest first (through the service: the brand's own)."""
    found = line_items.query(user.principal, LineItemFilters(campaign_id=campaign.id))
    return list(db.scalars(found.order_by(LineItem.created_at, LineItem.id)))


def _chosen(db: Session, user: DashboardUser, campaign_id: str,
            line_item_id: str | None) -> tuple[Campaign, LineItem | None, list[LineItem]]:
    """The brand's campaign (NotFound otherwise: a 404) and the line item edited: the one
    named, or its first."""
    campaign = campaigns.get(db, user.principal, campaign_id)
    mine = _line_items(db, user, campaign)
    if line_item_id:
        named = [li for li in mine if li.id == line_item_id]
        if not named:
            raise NotFound(f"no line item {line_item_id!r} in campaign {campaign_id!r}")
        return campaign, named[0], mine
    return campaign, (mine[0] if mine else None), mine


def _page(request: Request, user: DashboardUser, campaign: Campaign, line_item: LineItem | None,
          siblings: list[LineItem], values: dict[str, Any], errors: FieldErrors, status_code: int = 200) -> Response:
    with session_scope(request.app.state.sessions) as db:
        names = {pid: name for pid, name in db.execute(select(Placement.id, Placement.name).where(
            Placement.id.in_(values["placements"])))}
    audiences = targetable_audiences(request, user)
    known = {a.id for a in audiences}
    return render(request, "brand/campaign_edit.html", status_code=status_code, title=f"Edit {campaign.name}",
                  campaign=campaign, line_item=line_item, siblings=siblings, values=values, errors=errors,
                  placement_names=[names.get(p, p) for p in values["placements"]],
                  devices=[d for d in Device if d is not Device.OTHER], audiences=audiences,
                  kept_audiences=[a for a in values["audiences"] if a not in known],
                  pacings=list(Pacing), periods=list(CapPeriod))


@router.get("/brand/campaigns/{campaign_id}/edit")
def edit_page(request: Request, campaign_id: str, user: AdvertiserUser, line_item: str | None = None) -> Response:
    tz = ZoneInfo(request.app.state.settings.timezone)
    with session_scope(request.app.state.sessions) as db:
        campaign, chosen, siblings = _chosen(db, user, campaign_id, line_item)
        values = saved_values(campaign, chosen, tz)
    return _page(request, user, campaign, chosen, siblings, values, {})


def campaign_changes(spec: CampaignCreate, values: dict[str, Any], saved: dict[str, Any]) -> CampaignUpdate:
    """The campaign fields the person changed, as the update takes them."""
    changed = {k for k in CAMPAIGN_FIELDS if values[k] != saved[k]}
    update: dict[str, Any] = {}
    if "budget_total" in changed:
        update["budget_total"] = spec.budget_total
    if "budget_daily" in changed:
        update["budget_daily"] = spec.budget_daily
    if "end" in changed:
        update["end"] = spec.end
    if "pacing" in changed:
        update["pacing"] = spec.pacing
    return CampaignUpdate(**update)


def _same_targeting(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal but for order: a form lists devices in its own order, the API in the caller's."""
    def key(t: dict[str, Any]) -> dict[str, Any]:
        return {k: sorted(v) if k != "dayparts" else v for k, v in t.items()}
    return key(a) == key(b)


def line_item_changes(spec: LineItemCreate, line_item: LineItem) -> LineItemUpdate:
    """The line item fields the person changed (its day-parts kept), as the update takes them."""
    update: dict[str, Any] = {}
    if to_micros(spec.bid) != line_item.bid_micros:
        update["bid"] = spec.bid
    saved = Targeting.model_validate(line_item.targeting)
    targeting = spec.targeting.model_copy(update={"dayparts": saved.dayparts})
    if not _same_targeting(targeting.model_dump(mode="json"), saved.model_dump(mode="json")):
        update["targeting"] = targeting
    cap = spec.frequency_cap.model_dump(mode="json") if spec.frequency_cap else None
    if cap != line_item.frequency_cap:
        update["frequency_cap"] = spec.frequency_cap
    return LineItemUpdate(**update)


@router.post("/brand/campaigns/{campaign_id}/edit")
def save_edit(request: Request, campaign_id: str, user: AdvertiserUser, form: CheckedForm) -> Response:
    tz = ZoneInfo(request.app.state.settings.timezone)
    with session_scope(request.app.state.sessions) as db:
        campaign, line_item, siblings = _chosen(db, user, campaign_id, text(form, "line_item") or None)
        saved = saved_values(campaign, line_item, tz)
    # What the page does not edit is the line item's own, whatever the form says.
    fixed = ("name", "start", "placements", "pricing", "products")
    values = form_values(form) | {k: saved[k] for k in fixed}
    errors: FieldErrors = {}
    new_campaign = campaign_spec(request, values, errors)
    new_line_item = line_item_spec(values, errors) if line_item is not None else None
    if errors or new_campaign is None or (line_item is not None and new_line_item is None):
        return _page(request, user, campaign, line_item, siblings, values, errors, 400)
    try:
        campaign_update = campaign_changes(new_campaign, values, saved)
        line_item_update = line_item_changes(new_line_item, line_item) \
            if line_item is not None and new_line_item is not None else LineItemUpdate()
        with session_scope(request.app.state.sessions) as db:  # both or neither
            if campaign_update.model_fields_set:
                campaigns.update(db, user.principal, campaign.id, campaign_update)
            if line_item is not None and line_item_update.model_fields_set:
                line_items.update(db, user.principal, line_item.id, line_item_update)
    except (ShelfspaceError, ValidationError) as exc:
        return _page(request, user, campaign, line_item, siblings, values, form_errors(exc), 400)
    if not campaign_update.model_fields_set and not line_item_update.model_fields_set:
        return redirect_with(request, f"/brand/campaigns/{campaign.id}", f"Nothing was changed in {campaign.name}.")
    return redirect_with(request, f"/brand/campaigns/{campaign.id}", f"{campaign.name} is updated.")
