"""/console/advertisers and /console/rules: the brands on the network, and who may not meet whom.

Competitor separation is kept on each advertiser (its `competitors`): two brands listed
against each other never show on the same page. The rule is symmetric in the auction, so
the page shows each pair once.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import func, select
from starlette.responses import Response

from shelfspace.catalog.enums import AdvertiserStatus, DeliveryStatus, PlacementStatus
from shelfspace.catalog.models import Advertiser, Campaign, Placement
from shelfspace.catalog.schemas import AdvertiserUpdate
from shelfspace.catalog.services import advertisers
from shelfspace.core.errors import ShelfspaceError
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import FieldErrors, errors_of, texts
from shelfspace.dashboard.periods import today
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import OperatorUser
from shelfspace.db.session import session_scope
from shelfspace.reporting.report import Grouping, ReportQuery, build_report

router = page_router()

# What the operator may switch an advertiser to from this page, by the action's name.
ACTIONS = {"suspend": AdvertiserStatus.SUSPENDED, "reactivate": AdvertiserStatus.ACTIVE}


@router.get("/console/advertisers")
def advertiser_list(request: Request, user: OperatorUser) -> Response:
    state = request.app.state
    end = today(request)
    with session_scope(state.sessions) as db:
        rows = list(db.scalars(select(Advertiser).where(Advertiser.status != AdvertiserStatus.ARCHIVED)
                               .order_by(Advertiser.name)))
        live = {a: n for a, n in db.execute(select(Campaign.advertiser_id, func.count())
                                            .where(Campaign.status == DeliveryStatus.LIVE)
                                            .group_by(Campaign.advertiser_id))}
        spend = {row["advertiser_id"]: row for row in build_report(
            db, ReportQuery(end - timedelta(days=29), end, (Grouping.ADVERTISER,)),
            state.attribution_windows, state.settings.timezone).rows}
    return render(request, "operator/advertisers.html", title="Advertisers", advertisers=rows, live=live, spend=spend)


@router.post("/console/advertisers/{advertiser_id}/status")
def change_status(request: Request, advertiser_id: str, user: OperatorUser, form: CheckedForm) -> Response:
    action = form.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        return redirect_with(request, "/console/advertisers", "Nothing changed: choose suspend or reactivate.")
    with session_scope(request.app.state.sessions) as db:
        advertiser = advertisers.update(db, user.principal, advertiser_id, AdvertiserUpdate(status=ACTIONS[action]))
        name = advertiser.name
    done = f"{name} is suspended: its ads stop within a second." if action == "suspend" else f"{name} is active again."
    return redirect_with(request, "/console/advertisers", done)


def _rules(request: Request, status_code: int = 200, errors: dict[str, FieldErrors] | None = None) -> Response:
    with session_scope(request.app.state.sessions) as db:
        brands = list(db.scalars(select(Advertiser).where(Advertiser.status != AdvertiserStatus.ARCHIVED)
                                 .order_by(Advertiser.name)))
        blocked = list(db.scalars(select(Placement).where(Placement.status == PlacementStatus.ACTIVE)
                                  .order_by(Placement.id)))
    names = {a.id: a.name for a in brands}
    pairs = sorted({tuple(sorted((names.get(a.id, a.id), names.get(c, c)))) for a in brands for c in a.competitors})
    return render(request, "operator/rules.html", status_code=status_code, title="Rules", advertisers=brands,
                  pairs=pairs, placements=[p for p in blocked if p.blocked_categories], errors=errors or {})


@router.get("/console/rules")
def rules(request: Request, user: OperatorUser) -> Response:
    return _rules(request)


@router.post("/console/rules/{advertiser_id}")
def set_competitors(request: Request, advertiser_id: str, user: OperatorUser, form: CheckedForm) -> Response:
    try:
        with session_scope(request.app.state.sessions) as db:
            advertiser = advertisers.update(db, user.principal, advertiser_id,
                                            AdvertiserUpdate(competitors=texts(form, "competitors")))
            name = advertiser.name
    except (ValidationError, ShelfspaceError) as exc:
        return _rules(request, 400, {advertiser_id: {"competitors": next(iter(errors_of(exc).values()))}})
    return redirect_with(request, "/console/rules", f"{name}: competitors saved. Auctions apply it within a second.")
