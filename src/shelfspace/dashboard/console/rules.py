"""/console/rules: who may not meet whom (competitor pairs), and the categories placements block.

Competitor separation reads as a list of pairs, each with a remove button that asks
first, and a form of two selects that adds one; both go through catalog/competitor_pairs.py
(both sides written, each audited). A mistake (a brand paired with itself, a pair that
exists) is shown beside the select that caused it, focused.
"""

from __future__ import annotations

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import select
from starlette.responses import Response

from shelfspace.catalog import competitor_pairs
from shelfspace.catalog.enums import AdvertiserStatus, PlacementStatus
from shelfspace.catalog.models import Advertiser, Placement
from shelfspace.core.errors import ShelfspaceError
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import GENERAL, FieldErrors, errors_of, text
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import OperatorUser
from shelfspace.db.session import session_scope
from shelfspace.runtime import runtime_of

router = page_router()

ADD, REMOVE = "add", "remove"  # the page's two forms, keys of its errors
FIELDS = (competitor_pairs.FIRST, competitor_pairs.SECOND, GENERAL)


def _page(
    request: Request,
    status_code: int = 200,
    errors: dict[str, FieldErrors] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    with session_scope(runtime_of(request).db_sessions) as db:
        brands = list(
            db.scalars(
                select(Advertiser).where(Advertiser.status != AdvertiserStatus.ARCHIVED).order_by(Advertiser.name)
            )
        )
        pairs = competitor_pairs.pairs(db)
        blocked = list(
            db.scalars(select(Placement).where(Placement.status == PlacementStatus.ACTIVE).order_by(Placement.id))
        )
        return render(
            request,
            "operator/rules.html",
            status_code=status_code,
            title="Rules",
            advertisers=brands,
            pairs=pairs,
            placements=[p for p in blocked if p.blocked_categories],
            errors=errors or {},
            typed=typed or {},
            ADD=ADD,
            REMOVE=REMOVE,
        )


@router.get("/console/rules")
def rules(request: Request, user: OperatorUser) -> Response:
    return _page(request)


@router.post("/console/rules/pairs")
def add_pair(request: Request, user: OperatorUser, form: CheckedForm) -> Response:
    first, second = text(form, competitor_pairs.FIRST), text(form, competitor_pairs.SECOND)
    try:
        with session_scope(runtime_of(request).db_sessions) as db:
            a, b = competitor_pairs.add(db, user.principal, first, second).names
    except (ValidationError, ShelfspaceError) as exc:
        found = {k: v[:1].upper() + v[1:] for k, v in errors_of(exc).items()}  # the service's words, as a sentence
        shown = {k: v for k, v in found.items() if k in FIELDS} or {GENERAL: next(iter(found.values()))}
        return _page(request, 400, {ADD: shown}, {competitor_pairs.FIRST: first, competitor_pairs.SECOND: second})
    return redirect_with(
        request, "/console/rules", f"{a} and {b} are a pair: they never show on the same page, from within a second."
    )


@router.post("/console/rules/pairs/remove")
def remove_pair(request: Request, user: OperatorUser, form: CheckedForm) -> Response:
    first, second = text(form, competitor_pairs.FIRST), text(form, competitor_pairs.SECOND)
    try:
        with session_scope(runtime_of(request).db_sessions) as db:
            a, b = competitor_pairs.remove(db, user.principal, first, second)
    except (ValidationError, ShelfspaceError) as exc:
        message = next(iter(errors_of(exc).values()))
        return _page(request, 400, {REMOVE: {GENERAL: message[:1].upper() + message[1:]}})
    return redirect_with(request, "/console/rules", f"{a} and {b} are no longer a pair: their ads may share a page.")
