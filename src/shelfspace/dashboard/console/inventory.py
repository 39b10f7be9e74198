"""/console/inventory: placements with their floors and results; change a floor, add a placement."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import select
from starlette.responses import Response

from shelfspace.catalog.enums import AdFormat, Channel, PlacementStatus
from shelfspace.catalog.models import Placement
from shelfspace.catalog.schemas import PlacementCreate, PlacementUpdate
from shelfspace.catalog.services import placements
from shelfspace.core.errors import ShelfspaceError
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import FieldErrors, comma_list, decimal_or_text, errors_of, text
from shelfspace.dashboard.periods import today
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import OperatorUser
from shelfspace.db.session import session_scope
from shelfspace.reporting.inventory_stats import placement_stats
from shelfspace.runtime import runtime_of

router = page_router()


def _page(
    request: Request,
    status_code: int = 200,
    errors: dict[str, FieldErrors] | None = None,
    values: dict[str, dict[str, str]] | None = None,
) -> Response:
    end = today(request)
    with session_scope(runtime_of(request).db_sessions) as db:
        stats = {s.placement_id: s for s in placement_stats(db, start=end - timedelta(days=6), end=end)}
        rows = list(
            db.scalars(select(Placement).where(Placement.status == PlacementStatus.ACTIVE).order_by(Placement.id))
        )
    return render(
        request,
        "operator/inventory.html",
        status_code=status_code,
        title="Inventory",
        placements=rows,
        stats=stats,
        errors=errors or {},
        values=values or {},
        channels=list(Channel),
        formats=list(AdFormat),
    )


@router.get("/console/inventory")
def inventory(request: Request, user: OperatorUser) -> Response:
    return _page(request)


@router.post("/console/inventory/{placement_id}")
def update_placement(request: Request, placement_id: str, user: OperatorUser, form: CheckedForm) -> Response:
    typed = {"floor_cpm": text(form, "floor_cpm"), "blocked_categories": text(form, "blocked_categories")}
    try:
        spec = PlacementUpdate(
            floor_cpm=decimal_or_text(form, "floor_cpm"), blocked_categories=comma_list(form, "blocked_categories")
        )
        with session_scope(runtime_of(request).db_sessions) as db:
            placement = placements.update(db, user.principal, placement_id, spec)
            name = placement.name
    except (ValidationError, ShelfspaceError) as exc:
        found = {k.split(".", 1)[0]: v for k, v in errors_of(exc).items()}
        return _page(request, 400, errors={placement_id: found}, values={placement_id: typed})
    return redirect_with(request, "/console/inventory", f"{name}: saved. Auctions use it within a second.")


@router.post("/console/inventory")
def create_placement(request: Request, user: OperatorUser, form: CheckedForm) -> Response:
    typed = {k: text(form, k) for k in ("id", "name", "channel", "format", "sizes", "floor_cpm", "max_ads")}
    try:
        spec = PlacementCreate(
            id=typed["id"],
            name=typed["name"],
            channel=typed["channel"],
            format=typed["format"],
            sizes=comma_list(form, "sizes"),
            floor_cpm=decimal_or_text(form, "floor_cpm") or 0,
            max_ads=typed["max_ads"] or 1,
        )
        with session_scope(runtime_of(request).db_sessions) as db:
            placement = placements.create(db, user.principal, spec)
            name = placement.name
    except (ValidationError, ShelfspaceError) as exc:
        found = {k.split(".", 1)[0]: v for k, v in errors_of(exc).items()}
        return _page(request, 400, errors={"new": found}, values={"new": typed})
    return redirect_with(request, "/console/inventory", f"{name} is created: ad requests may ask for it now.")
