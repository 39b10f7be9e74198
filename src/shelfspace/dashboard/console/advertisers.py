"""/console/advertisers: the brands on the network, and each one's page with its terms.

The list suspends (asking first) and reactivates, and says who may promote other brands'
products. An advertiser's page shows its profile, status, terms, balance and campaigns,
and, to those who hold the billing right, a form that changes its terms with a reason
(billing/terms.py: audited; lowering the credit asks first). Competitor pairs are on
/console/rules (console/rules.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import select
from starlette.responses import Response

from shelfspace.billing import accounts, terms
from shelfspace.catalog.enums import AdvertiserStatus, DeliveryStatus
from shelfspace.catalog.models import Advertiser, Campaign
from shelfspace.catalog.schemas import AdvertiserUpdate
from shelfspace.catalog.services import advertisers
from shelfspace.core.errors import ShelfspaceError
from shelfspace.dashboard.campaign_states import page_states, serving_by_advertiser
from shelfspace.dashboard.console import terms_form
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import FieldErrors
from shelfspace.dashboard.periods import today
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import OperatorUser
from shelfspace.dashboard.tables import Column, Table, table
from shelfspace.db.session import session_scope
from shelfspace.reporting.report import Grouping, ReportQuery, build_report
from shelfspace.runtime import runtime_of

router = page_router()

# What the operator may switch an advertiser to from this page, by the action's name.
ACTIONS = {"suspend": AdvertiserStatus.SUSPENDED, "reactivate": AdvertiserStatus.ACTIVE}
# Whose products an advertiser may promote, as the list's filter offers it.
RESELLER, OWN_BRANDS = "reseller", "own brands only"

Row = dict[str, Any]


def advertisers_table(
    request: Request, found: list[Advertiser], live: Mapping[str, int], spend: Mapping[str, Row]
) -> Table[Row]:
    """The list as a table (dashboard/tables.py), by name as before; the last 30 days' figures."""
    rows = [
        {
            "advertiser": a,
            "spend": spend.get(a.id, {}),
            "live": live.get(a.id, 0),
        }
        for a in found
    ]
    columns = [
        Column[Row]("name", "Advertiser", lambda r: r["advertiser"].name, searchable=True),
        Column[Row]("status", "Status", lambda r: r["advertiser"].status.value, choices=True),
        Column[Row]("industry", "Industry", lambda r: r["advertiser"].category, searchable=True, choices=True),
        Column[Row]("live", "Live campaigns", lambda r: r["live"], numeric=True),
        Column[Row]("spend", "Spend", lambda r: r["spend"].get("spend"), numeric=True),
        Column[Row]("impressions", "Impressions", lambda r: r["spend"].get("impressions"), numeric=True),
        Column[Row]("roas", "ROAS", lambda r: r["spend"].get("roas"), numeric=True),
        Column[Row](
            "products",
            "Sponsored products",
            lambda r: RESELLER if r["advertiser"].reseller else OWN_BRANDS,
            choices=True,
        ),
        Column[Row]("actions", "Actions", lambda r: None, sortable=False),
    ]
    return table(request, "advertisers", "advertisers", rows, columns, sort="name")


@router.get("/console/advertisers")
def advertiser_list(request: Request, user: OperatorUser) -> Response:
    rt = runtime_of(request)
    end = today(request)
    with session_scope(rt.db_sessions) as db:
        rows = list(
            db.scalars(
                select(Advertiser).where(Advertiser.status != AdvertiserStatus.ARCHIVED).order_by(Advertiser.name)
            )
        )
        live = serving_by_advertiser(request, db)  # serving now, by the status function
        spend = {
            row["advertiser_id"]: row
            for row in build_report(
                db,
                ReportQuery(end - timedelta(days=29), end, (Grouping.ADVERTISER,)),
                rt.attribution_windows,
                rt.settings.timezone,
            ).rows
        }
    return render(
        request,
        "operator/advertisers.html",
        title="Advertisers",
        count=len(rows),
        table=advertisers_table(request, rows, live, spend),
    )


@router.post("/console/advertisers/{advertiser_id}/status")
def change_status(request: Request, advertiser_id: str, user: OperatorUser, form: CheckedForm) -> Response:
    action = form.get("action")
    back = f"/console/advertisers/{advertiser_id}" if form.get("back") == "page" else "/console/advertisers"
    if not isinstance(action, str) or action not in ACTIONS:
        return redirect_with(request, back, "Nothing changed: choose suspend or reactivate.")
    with session_scope(runtime_of(request).db_sessions) as db:
        advertiser = advertisers.update(db, user.principal, advertiser_id, AdvertiserUpdate(status=ACTIONS[action]))
        name = advertiser.name
    done = f"{name} is suspended: its ads stop within a second." if action == "suspend" else f"{name} is active again."
    return redirect_with(request, back, done)


@router.post("/console/advertisers/{advertiser_id}/reseller")
def set_reseller(request: Request, advertiser_id: str, user: OperatorUser, form: CheckedForm) -> Response:
    """Whether the advertiser may promote other brands' products (catalog/promotable.py)."""
    allowed = form.get("reseller") == "yes"
    with session_scope(runtime_of(request).db_sessions) as db:
        advertiser = advertisers.update(db, user.principal, advertiser_id, AdvertiserUpdate(reseller=allowed))
        name = advertiser.name
    done = (
        f"{name} is a reseller: it may promote any brand's products."
        if allowed
        else f"{name} may promote only its own brands' products."
    )
    return redirect_with(request, "/console/advertisers", done)


def _page(
    request: Request,
    user: OperatorUser,
    advertiser_id: str,
    status_code: int = 200,
    typed: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
) -> Response:
    rt = runtime_of(request)
    with session_scope(rt.db_sessions) as db:
        advertiser = advertisers.get(db, user.principal, advertiser_id)
        account = accounts.account(db, advertiser, rt.counters)
        campaigns = list(
            db.scalars(
                select(Campaign)
                .where(Campaign.advertiser_id == advertiser.id, Campaign.status != DeliveryStatus.ARCHIVED)
                .order_by(Campaign.created_at.desc())
            )
        )
        states = page_states(request, db, campaigns)
        rivals = list(
            db.scalars(
                select(Advertiser.name).where(Advertiser.id.in_(advertiser.competitors)).order_by(Advertiser.name)
            )
        )
        return render(
            request,
            "operator/advertiser.html",
            status_code=status_code,
            title=advertiser.name,
            advertiser=advertiser,
            account=account,
            campaigns=campaigns,
            states=states,
            rivals=rivals,
            values=typed or terms_form.current(advertiser),
            errors=errors or {},
            modes=terms_form.MODES,
            credit_now=terms_form.credit_now(advertiser),
            PENDING=AdvertiserStatus.PENDING,
        )


@router.get("/console/advertisers/{advertiser_id}")
def advertiser_page(request: Request, advertiser_id: str, user: OperatorUser) -> Response:
    return _page(request, user, advertiser_id)


@router.post("/console/advertisers/{advertiser_id}/terms")
def change_terms(request: Request, advertiser_id: str, user: OperatorUser, form: CheckedForm) -> Response:
    """New terms with their reason, audited (billing/terms.py); finance's and admins' only."""
    currency = runtime_of(request).settings.currency
    typed, wanted, errors = terms_form.read(form, currency)
    if wanted is None:
        return _page(request, user, advertiser_id, 400, typed, errors)
    try:
        with session_scope(runtime_of(request).db_sessions) as db:
            advertiser = terms.set_terms(
                db, user.principal, advertiser_id, wanted.billing_mode, wanted.credit_limit, wanted.reason
            )
            name = advertiser.name
    except (ValidationError, ShelfspaceError) as exc:
        return _page(request, user, advertiser_id, 400, typed, terms_form.errors_in_words(exc, currency))
    said = terms_form.described(wanted.billing_mode, wanted.credit_limit, currency)
    return redirect_with(
        request,
        f"/console/advertisers/{advertiser_id}",
        f"{name} is now {said}. Delivery applies it within a second; the reason is in its history.",
    )
