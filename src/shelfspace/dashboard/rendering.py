"""Jinja2 templates with the filters every page uses: money, counts, rates, dates.

Money arrives as integer micros and leaves in the network currency with two decimals (or
more when a price is below a cent, as CPC bids can be); a missing rate is a dash, never 0.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse, RedirectResponse

from shelfspace.core.money import to_micros
from shelfspace.core.money_words import DASH, plain_number
from shelfspace.dashboard.csrf import CSRF_FIELD, csrf_token
from shelfspace.dashboard.local_times import FILTERS as TIME_FILTERS
from shelfspace.dashboard.local_times import GLOBALS as TIME_GLOBALS
from shelfspace.dashboard.money import FILTERS as MONEY_FILTERS
from shelfspace.dashboard.navigation import links_for
from shelfspace.dashboard.session import DashboardUser, set_flash, signed_in_user, take_flash
from shelfspace.db.session import session_scope
from shelfspace.notifications import service as notices
from shelfspace.reporting.report import attribution_terms
from shelfspace.runtime import runtime_of

TEMPLATES_DIR = Path(__file__).parent / "templates"


# The plain-form filters, thin names over core/money_words.py that many templates use.


def billed(micros: int | None, currency: str) -> str:
    """Money as the ledger and invoices count it: in the currency's minor unit (cents,
    yen, fils), where the `price` filters keep the fractions of a cent bids can have."""
    return DASH if micros is None else plain_number(micros, currency)


def decimal_billed(value: Decimal | None, currency: str) -> str:
    return DASH if value is None else plain_number(to_micros(value), currency)


def count(value: int | float | None) -> str:
    return DASH if value is None else f"{value:,.0f}"


def percent(value: float | Decimal | None, places: int = 2) -> str:
    return DASH if value is None else f"{float(value) * 100:.{places}f}%"


def ratio(value: float | Decimal | None, places: int = 2) -> str:
    return DASH if value is None else f"{float(value):,.{places}f}"


def when(value: datetime | date | None) -> str:
    if value is None:
        return DASH
    if isinstance(value, datetime):
        return value.strftime("%d %b %Y %H:%M")
    return value.strftime("%d %b %Y")


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters.update(
    billed=billed,
    decimal_billed=decimal_billed,
    count=count,
    percent=percent,
    ratio=ratio,
    when=when,
)
templates.env.globals.update(CSRF_FIELD=CSRF_FIELD)
templates.env.filters.update(MONEY_FILTERS | TIME_FILTERS)  # Babel money, times in the network's zone
templates.env.globals.update(TIME_GLOBALS)


def zip_pairs(values: Any) -> list[tuple[str, str]]:
    """`["web", "app"]` → options whose value and label are the same."""
    return [(str(v), str(v).replace("_", " ")) for v in values]


templates.env.filters["zip_pairs"] = zip_pairs


def redirect_with(request: Request, url: str, flash: str) -> RedirectResponse:
    """After a successful post: the next page shows `flash` once (a reload posts nothing again)."""
    set_flash(request, flash)
    return RedirectResponse(url, status_code=303)


def unread_notices(request: Request, user: DashboardUser | None) -> int | None:
    """The count beside the bell in a brand person's navigation (None for anyone else)."""
    if user is None or user.is_operator or user.advertiser_id is None:
        return None
    with session_scope(runtime_of(request).db_sessions) as db:
        return notices.unread_count(db, user.advertiser_id, user.id)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page, with the signed-in user, the form token, the network's currency and its
    attribution terms (the pages that show attributed sales state them)."""
    settings = runtime_of(request).settings
    context.setdefault("user", signed_in_user(request))
    context.setdefault("unread_notices", unread_notices(request, context["user"]))
    context["nav_links"] = links_for(context["user"]) if context["user"] is not None else []
    context.setdefault("currency", settings.currency)
    context.setdefault("attribution_terms", attribution_terms(runtime_of(request).attribution_windows))
    context["csrf_token"] = csrf_token(request)
    if not context.get("flash"):
        context["flash"] = take_flash(request)
    return templates.TemplateResponse(request, template, context, status_code=status_code)
