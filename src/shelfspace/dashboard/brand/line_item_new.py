"""/brand/campaigns/{id}/line-items/new: add a line item to a campaign the brand has.

The wizard's line item fields (placements, products, pricing and bid, targeting with
day-parts, the cap), read and checked by its helpers, saved through `line_items.create`
as the API's `POST /v1/line-items` is. A sponsored-products line item gets an ad per
product at once, waiting for review; any other goes on to adding its creative
(/brand/creatives/new). Nothing serves until the operator approves a creative.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import select
from starlette.responses import Response

from shelfspace.catalog.enums import CapPeriod, Device, Pacing, Pricing
from shelfspace.catalog.models import Campaign, Placement
from shelfspace.catalog.services import campaigns, line_items
from shelfspace.core.errors import ShelfspaceError
from shelfspace.dashboard.brand import dayparts
from shelfspace.dashboard.brand.campaign_edit import Refused, sponsored_ads
from shelfspace.dashboard.brand.edit_form import NO_NAME, line_item_errors, saved_values, typed_values
from shelfspace.dashboard.brand.wizard import (
    inventory,
    line_item_spec,
    named,
    promotable_products,
    targetable_audiences,
)
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import FieldErrors
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AdvertiserUser, DashboardUser
from shelfspace.db.session import session_scope
from shelfspace.runtime import runtime_of

router = page_router()

# The campaign's own fields, kept in the form for the forecast (its budget and dates).
CAMPAIGN_FIELDS = ("name", "start", "end", "budget_total", "budget_daily", "pacing")


def _page(
    request: Request,
    user: DashboardUser,
    campaign: Campaign,
    values: dict[str, object],
    errors: FieldErrors,
    rows: list[dayparts.Row],
    status_code: int = 200,
) -> Response:
    stock = inventory(request)
    audiences = targetable_audiences(request, user)
    return render(
        request,
        "brand/line_item_new.html",
        status_code=status_code,
        title=f"Add a line item to {campaign.name}",
        campaign=campaign,
        values=values,
        errors=named(errors, stock.names()),
        placements=stock.placements,
        stats_days=stock.days,
        products=promotable_products(request, user),
        devices=[d for d in Device if d is not Device.OTHER],
        audiences=audiences,
        kept_audiences=[],
        pacings=list(Pacing),
        periods=list(CapPeriod),
        daypart_rows=rows,
        timezone=runtime_of(request).settings.timezone,
    )


def _campaign(request: Request, user: DashboardUser, campaign_id: str) -> tuple[Campaign, dict[str, object]]:
    tz = ZoneInfo(runtime_of(request).settings.timezone)
    with session_scope(runtime_of(request).db_sessions) as db:
        campaign = campaigns.get(db, user.principal, campaign_id)  # another brand's: a 404
        saved = saved_values(campaign, None, tz)
    return campaign, {k: saved[k] for k in CAMPAIGN_FIELDS}


@router.get("/brand/campaigns/{campaign_id}/line-items/new")
def new_line_item(request: Request, campaign_id: str, user: AdvertiserUser) -> Response:
    campaign, kept = _campaign(request, user, campaign_id)
    values: dict[str, object] = kept | {
        "line_item_name": "",
        "pricing": Pricing.CPM.value,
        "cap_period": CapPeriod.DAY.value,
        "placements": [],
        "products": [],
        "devices": [],
        "audiences": [],
    }
    return _page(request, user, campaign, values, {}, dayparts.rows([]))


@router.post("/brand/campaigns/{campaign_id}/line-items/new")
def add_line_item(request: Request, campaign_id: str, user: AdvertiserUser, form: CheckedForm) -> Response:
    campaign, kept = _campaign(request, user, campaign_id)
    values = typed_values(form) | kept  # the campaign's fields are the campaign's, whatever the form says
    errors: FieldErrors = {}
    chosen_dayparts = dayparts.read(form, errors) or []
    mine: FieldErrors = {}
    spec = line_item_spec(values | {"name": values["line_item_name"]}, mine)
    errors |= {("line_item_name" if k == "name" else k): v for k, v in mine.items()}
    if not values["line_item_name"]:
        errors["line_item_name"] = NO_NAME
    with session_scope(runtime_of(request).db_sessions) as db:
        formats = dict(db.execute(select(Placement.id, Placement.format)).all())
    if len({formats[p] for p in values["placements"] if p in formats}) > 1:
        errors["placements"] = "Choose placements of one format: one set of creatives serves them all."
    if errors or spec is None:
        return _page(request, user, campaign, values, errors, dayparts.typed_rows(form), 400)
    spec = spec.model_copy(
        update={
            "campaign_id": campaign.id,
            "targeting": spec.targeting.model_copy(update={"dayparts": chosen_dayparts}),
        }
    )
    try:
        rt = runtime_of(request)
        with session_scope(rt.db_sessions) as db:
            line_item = line_items.create(db, user.principal, spec, audiences=rt.audience_check)
            ads = sponsored_ads(db, user, line_item.id, spec.placements, spec.products, formats, [])
            line_item_id, name = line_item.id, line_item.name
    except Refused as refused:
        return _page(request, user, campaign, values, refused.errors, dayparts.typed_rows(form), 400)
    except (ShelfspaceError, ValidationError) as exc:
        return _page(request, user, campaign, values, line_item_errors(exc), dayparts.typed_rows(form), 400)
    if ads:
        return redirect_with(
            request,
            f"/brand/campaigns/{campaign.id}",
            f"{name} is added to {campaign.name}. Its {len(ads)} product ad{'s' if len(ads) != 1 else ''} "
            "wait for the operator's review; it serves once one is approved.",
        )
    return redirect_with(
        request,
        f"/brand/creatives/new?line_item={line_item_id}",
        f"{name} is added to {campaign.name}. Now add its creative: it serves once the operator approves it.",
    )
