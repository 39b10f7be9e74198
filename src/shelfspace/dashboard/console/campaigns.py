"""The operator's hand on any campaign: its console page, pause and resume, and an edit of
its name, budgets and dates.

The network's ad operations must stop a campaign that misbehaves, or correct a budget a
brand asked them to, without the brand's login. Everything goes through the services the
brand's pages and the API use (`campaigns.update`, as the operator's principal), so each
change is audited on the brand's history and reaches the engine within a snapshot poll.
The edit reads and checks its fields with the brand edit's own helpers
(brand/edit_form.py `campaign_update`, the wizard's checks), so the same mistake reads the
same; the first day stays as it is once the campaign has started. The list of campaigns is
measurement.py's (`/console/campaigns`); its pause and resume buttons post here. Pausing
asks first (static/shelfspace.js `data-confirm`).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.responses import Response

from shelfspace.catalog.enums import DeliveryStatus
from shelfspace.catalog.models import Advertiser, Campaign, LineItem, Placement
from shelfspace.catalog.schemas import CampaignUpdate
from shelfspace.catalog.services import campaigns
from shelfspace.core.errors import ShelfspaceError
from shelfspace.dashboard.brand.edit_form import campaign_errors, campaign_update, has_started, saved_values
from shelfspace.dashboard.campaign_states import page_states
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import FieldErrors, text
from shelfspace.dashboard.periods import today
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import OperatorUser
from shelfspace.db.session import session_scope
from shelfspace.runtime import runtime_of

router = page_router()

EDITED = ("name", "start", "end", "budget_total", "budget_daily")  # the console edit's fields, in page order
SWITCHES = {DeliveryStatus.PAUSED.value: DeliveryStatus.PAUSED, DeliveryStatus.LIVE.value: DeliveryStatus.LIVE}


def _tz(request: Request) -> ZoneInfo:
    return ZoneInfo(runtime_of(request).settings.timezone)


@router.get("/console/campaigns/{campaign_id}")
def campaign_page(request: Request, campaign_id: str, user: OperatorUser) -> Response:
    with session_scope(runtime_of(request).db_sessions) as db:
        campaign = campaigns.get(db, user.principal, campaign_id)
        advertiser = db.get(Advertiser, campaign.advertiser_id)
        items = list(
            db.scalars(
                select(LineItem)
                .options(selectinload(LineItem.placements))
                .where(LineItem.campaign_id == campaign.id, LineItem.status != DeliveryStatus.ARCHIVED)
                .order_by(LineItem.created_at, LineItem.id)
            )
        )
        names = {placement_id: name for placement_id, name in db.execute(select(Placement.id, Placement.name))}
        state = page_states(request, db, [campaign])[campaign.id]
        return render(
            request,
            "operator/campaign.html",
            title=campaign.name,
            campaign=campaign,
            state=state,
            advertiser=advertiser,
            line_items=items,
            placement_names=names,
        )


@router.post("/console/campaigns/{campaign_id}/status")
def pause_or_resume(request: Request, campaign_id: str, user: OperatorUser, form: CheckedForm) -> Response:
    """Pause or resume any brand's campaign; back to the list or the campaign's page."""
    back = "/console/campaigns" if text(form, "back") == "list" else f"/console/campaigns/{campaign_id}"
    wanted = SWITCHES.get(text(form, "status"))
    if wanted is None:
        return redirect_with(request, back, "Nothing changed: choose pause or resume.")
    with session_scope(runtime_of(request).db_sessions) as db:
        campaign = campaigns.update(db, user.principal, campaign_id, CampaignUpdate(status=wanted))
        advertiser = db.get(Advertiser, campaign.advertiser_id)
        named = f"{campaign.name} ({advertiser.name if advertiser else campaign.advertiser_id})"
    done = (
        f"{named} is paused: it serves no ads, from within a second, until it is resumed."
        if wanted is DeliveryStatus.PAUSED
        else f"{named} is live again."
    )
    return redirect_with(request, back, done)


def _edit_page(
    request: Request,
    campaign: Campaign,
    advertiser_name: str,
    values: dict[str, str],
    errors: FieldErrors,
    status_code: int = 200,
) -> Response:
    first = next((name for name in EDITED if name in errors), None)
    return render(
        request,
        "operator/campaign_edit.html",
        status_code=status_code,
        title=f"Edit {campaign.name}",
        campaign=campaign,
        advertiser_name=advertiser_name,
        values=values,
        errors=errors,
        first=first,
        started=has_started(campaign, runtime_of(request).clock.now()),
        today=today(request).isoformat(),
    )


def _load(request: Request, user: OperatorUser, campaign_id: str) -> tuple[Campaign, str, dict[str, str]]:
    with session_scope(runtime_of(request).db_sessions) as db:
        campaign = campaigns.get(db, user.principal, campaign_id)
        advertiser = db.get(Advertiser, campaign.advertiser_id)
        saved = {k: str(v) for k, v in saved_values(campaign, None, _tz(request)).items()}
        return campaign, advertiser.name if advertiser else campaign.advertiser_id, saved


@router.get("/console/campaigns/{campaign_id}/edit")
def edit_page(request: Request, campaign_id: str, user: OperatorUser) -> Response:
    campaign, brand, saved = _load(request, user, campaign_id)
    return _edit_page(request, campaign, brand, saved, {})


@router.post("/console/campaigns/{campaign_id}/edit")
def save_edit(request: Request, campaign_id: str, user: OperatorUser, form: CheckedForm) -> Response:
    campaign, brand, saved = _load(request, user, campaign_id)
    started = has_started(campaign, runtime_of(request).clock.now())
    values = saved | {name: text(form, name) for name in EDITED}
    if started:
        values["start"] = saved["start"]  # the first day is history once it has passed
    errors: FieldErrors = {}
    update = campaign_update(request, campaign, dict(values), saved, started, errors)
    if update is None or errors:
        return _edit_page(request, campaign, brand, values, errors, 400)
    if not update.model_fields_set:
        return redirect_with(request, f"/console/campaigns/{campaign_id}", "Nothing changed.")
    try:
        with session_scope(runtime_of(request).db_sessions) as db:
            campaigns.update(db, user.principal, campaign_id, update)
    except (ValidationError, ShelfspaceError) as exc:
        return _edit_page(request, campaign, brand, values, campaign_errors(exc), 400)
    changed = ", ".join(sorted(update.model_fields_set)).replace("_", " ")
    return redirect_with(
        request,
        f"/console/campaigns/{campaign_id}",
        f"{values['name']} saved ({changed}): delivery applies it within a second; "
        "the change is in the brand's history.",
    )
