"""/console/demand-partners: the operator's partners with their revenue this month; add
one, pause or resume it. The same schemas and service as `/v1/demand-partners`
(demand/), which stands below the dashboard."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from zoneinfo import ZoneInfo

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import select
from starlette.responses import Response

from shelfspace.catalog.enums import DeliveryStatus
from shelfspace.core.errors import ShelfspaceError
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import FieldErrors, comma_list, decimal_or_text, errors_of, text
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import OperatorUser
from shelfspace.dashboard.tables import Column, Table, table
from shelfspace.db.session import session_scope
from shelfspace.demand import service
from shelfspace.demand.models import DemandPartner
from shelfspace.demand.report import month_revenue
from shelfspace.demand.schemas import PartnerCreate, PartnerUpdate
from shelfspace.runtime import runtime_of

router = page_router()
PAGE = "/console/demand-partners"
FIELDS = ("name", "endpoint", "notice_domains", "timeout_ms", "floor_cpm", "placements")
# What the operator may switch a partner to from this page, by the button's name.
ACTIONS = {"pause": DeliveryStatus.PAUSED, "resume": DeliveryStatus.LIVE}


def partners_table(
    request: Request, partners: list[DemandPartner], revenue: Mapping[str, Decimal]
) -> Table[DemandPartner]:
    """The partners as a table (dashboard/tables.py), in the order they were added."""
    columns = [
        Column[DemandPartner]("name", "Partner", lambda p: p.name, searchable=True),
        Column[DemandPartner]("status", "Status", lambda p: p.status.value, choices=True),
        Column[DemandPartner]("timeout", "Timeout", lambda p: p.timeout_ms, numeric=True),
        Column[DemandPartner]("floor", "Floor CPM", lambda p: p.floor_cpm_micros, numeric=True),
        Column[DemandPartner]("placements", "Placements", lambda p: ", ".join(p.placements) or "all", searchable=True),
        Column[DemandPartner]("revenue", "Revenue", lambda p: revenue.get(p.id), numeric=True),
        Column[DemandPartner]("added", "Added", lambda p: p.created_at),
        Column[DemandPartner]("actions", "Actions", lambda p: None, sortable=False),
    ]
    return table(request, "partners", "demand partners", partners, columns, sort="added")


def _page(
    request: Request, status_code: int = 200, errors: FieldErrors | None = None, values: dict[str, str] | None = None
) -> Response:
    rt = runtime_of(request)
    with session_scope(rt.db_sessions) as db:
        partners = list(
            db.scalars(
                select(DemandPartner).where(DemandPartner.status != DeliveryStatus.ARCHIVED).order_by(DemandPartner.id)
            )
        )
    revenue = month_revenue(rt.event_log, rt.clock.now(), ZoneInfo(rt.settings.timezone))
    return render(
        request,
        "operator/demand_partners.html",
        status_code=status_code,
        title="Demand partners",
        partners=partners_table(request, partners, revenue),
        revenue=revenue,
        errors=errors or {},
        values=values or {},
    )


@router.get(PAGE)
def partner_list(request: Request, user: OperatorUser) -> Response:
    return _page(request)


@router.post(PAGE)
def add_partner(request: Request, user: OperatorUser, form: CheckedForm) -> Response:
    typed = {k: text(form, k) for k in FIELDS}
    try:
        spec = PartnerCreate(
            name=typed["name"],
            endpoint=typed["endpoint"],
            timeout_ms=typed["timeout_ms"] or 150,
            floor_cpm=decimal_or_text(form, "floor_cpm") or 0,
            placements=comma_list(form, "placements"),
            notice_domains=comma_list(form, "notice_domains"),
        )
        with session_scope(runtime_of(request).db_sessions) as db:
            name = service.create(db, user.principal, spec, runtime_of(request).settings.outbound_policy()).name
    except (ValidationError, ShelfspaceError) as exc:
        found = {k.split(".", 1)[0]: v for k, v in errors_of(exc).items()}
        return _page(request, 400, errors=found, values=typed)
    return redirect_with(request, PAGE, f"{name} is added: it bids on unsold slots within a second.")


@router.post(PAGE + "/{partner_id}/status")
def change_status(request: Request, partner_id: str, user: OperatorUser, form: CheckedForm) -> Response:
    action = form.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        return redirect_with(request, PAGE, "Nothing changed: choose pause or resume.")
    with session_scope(runtime_of(request).db_sessions) as db:
        name = service.update(
            db,
            user.principal,
            partner_id,
            PartnerUpdate(status=ACTIONS[action]),
            runtime_of(request).settings.outbound_policy(),
        ).name
    done = f"{name} is paused: it stops bidding within a second." if action == "pause" else f"{name} bids again."
    return redirect_with(request, PAGE, done)
