"""The audit history pages: the operator's (/console/audit, every entry) and each brand's
(/brand/audit, the entries about its own objects only, whoever made them).

Newest first, 50 a page, paged by a keyset on the entry's id (`before`: older than it,
`after`: newer), so a page is as quick on the millionth entry as on the first and entries
written meanwhile neither shift nor repeat a page. Filters travel in the query string (a
GET form, no JavaScript): who (an e-mail or a key's name), what (the action), the object
(its kind and id) and the days from and to, in the network's time zone. A filter that
cannot be read is named beside its field and left out meanwhile; the page never answers
422. The rule of who reads which entries is accounts/audit_history.py's, as for the API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Depends, Query, Request
from sqlalchemy import Select
from sqlalchemy.orm import Session
from starlette.responses import Response

from shelfspace.accounts.audit import AuditAction
from shelfspace.accounts.audit_history import MAX_WHO, AuditFilters, check_days, history_query, object_types
from shelfspace.accounts.models import AuditEntry
from shelfspace.core.errors import InvalidInput
from shelfspace.core.inputs import KEY_PATTERN
from shelfspace.core.money_words import amount, network_locale
from shelfspace.dashboard.audit_entries import ShownEntry, Words, action_label, describe, object_label
from shelfspace.dashboard.forms import FieldErrors
from shelfspace.dashboard.rendering import render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AdvertiserUser, DashboardUser, OperatorUser
from shelfspace.db.session import session_scope
from shelfspace.runtime import runtime_of

router = page_router()

PER_PAGE = 50
MAX_TEXT = 200  # any query value read, at most (longer is cut, then checked)
MAX_ID = 100
CONSOLE, BRAND = "/console/audit", "/brand/audit"
_ID = re.compile(KEY_PATTERN)


class Param(StrEnum):
    """The page's query parameters: the filter form's fields."""

    WHO = "who"
    ACTION = "action"
    TYPE = "type"
    OBJECT = "object"
    FROM = "from"
    TO = "to"


@dataclass(slots=True)
class Asked:
    """The query string as typed (shown back in the form), and what could be read of it."""

    typed: dict[Param, str]
    filters: AuditFilters = field(default_factory=AuditFilters)
    errors: FieldErrors = field(default_factory=dict)
    before: int | None = None
    after: int | None = None


def _text(raw: str | None) -> str:
    return (raw or "").strip()[:MAX_TEXT]


def _day(raw: str, name: str, errors: FieldErrors) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = "is not a date: write it as YYYY-MM-DD"
        return None


def _cursor(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def asked(
    who: Annotated[str | None, Query()] = None,
    action: Annotated[str | None, Query()] = None,
    kind: Annotated[str | None, Query(alias="type")] = None,
    object_id: Annotated[str | None, Query(alias="object")] = None,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    before: Annotated[str | None, Query()] = None,
    after: Annotated[str | None, Query()] = None,
) -> Asked:
    typed = {
        Param.WHO: _text(who)[:MAX_WHO],
        Param.ACTION: _text(action),
        Param.TYPE: _text(kind),
        Param.OBJECT: _text(object_id),
        Param.FROM: _text(start),
        Param.TO: _text(end),
    }
    errors: FieldErrors = {}
    chosen_action = None
    if typed[Param.ACTION]:
        try:
            chosen_action = AuditAction(typed[Param.ACTION])
        except ValueError:
            errors[Param.ACTION] = "is not an action the history records"
    for name, cap in ((Param.TYPE, 32), (Param.OBJECT, MAX_ID)):
        if typed[name] and (len(typed[name]) > cap or not _ID.match(typed[name])):
            errors[name] = "is not an id: letters, digits, dots, dashes and underscores"
    first, last = _day(typed[Param.FROM], Param.FROM, errors), _day(typed[Param.TO], Param.TO, errors)
    try:
        check_days(first, last)
    except InvalidInput as exc:
        errors.update({p.field: p.message for p in exc.fields})
        last = None
    filters = AuditFilters(
        who=typed[Param.WHO] or None,
        action=chosen_action,
        object_type=typed[Param.TYPE] if Param.TYPE not in errors else None,
        object_id=typed[Param.OBJECT] if Param.OBJECT not in errors else None,
        start=first,
        end=last,
    )
    return Asked(
        typed=typed, filters=filters, errors=errors, before=_cursor(_text(before)), after=_cursor(_text(after))
    )


AskedFilters = Annotated[Asked, Depends(asked)]


@dataclass(frozen=True, slots=True)
class Page:
    entries: list[ShownEntry]
    newer: str | None  # the link to the page of newer entries, if any
    older: str | None
    newest: str | None  # back to the newest entries, from a page further on


def _link(path: str, asked: Asked, **cursor: int) -> str:
    kept = [(k, v) for k, v in asked.typed.items() if v and k not in asked.errors]
    return path + "?" + urlencode(kept + [(k, str(v)) for k, v in cursor.items()])


def _rows(db: Session, stmt: Select[AuditEntry], asked: Asked) -> tuple[list[AuditEntry], int | None, int | None]:
    """A page of entries, newest first, and the cursors of the pages newer and older than it."""
    if asked.after is not None:
        rows = list(db.scalars(stmt.where(AuditEntry.id > asked.after).order_by(AuditEntry.id).limit(PER_PAGE + 1)))
        more_newer = len(rows) > PER_PAGE
        rows = rows[:PER_PAGE][::-1]
        return rows, rows[0].id if rows and more_newer else None, rows[-1].id if rows else None
    if asked.before is not None:
        stmt = stmt.where(AuditEntry.id < asked.before)
    rows = list(db.scalars(stmt.order_by(AuditEntry.id.desc()).limit(PER_PAGE + 1)))
    more_older = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    newer = rows[0].id if rows and asked.before is not None else None
    return rows, newer, rows[-1].id if rows and more_older else None


def _history(request: Request, user: DashboardUser, path: str, asked: Asked) -> Response:
    settings = runtime_of(request).settings
    zone = ZoneInfo(settings.timezone)
    by = user.principal
    brand = None if user.is_operator else user.advertiser_id
    locale = network_locale(settings.locale, settings.country)
    words = Words(money=lambda units: amount(units, settings.currency, locale), zone=zone)
    stmt = history_query(by, asked.filters, zone)
    with session_scope(runtime_of(request).db_sessions) as db:
        rows, newer, older = _rows(db, stmt, asked)
        entries = describe(db, rows, brand, words)
        kinds = list(db.scalars(object_types(by)))
    page = Page(
        entries=entries,
        newer=_link(path, asked, after=newer) if newer is not None else None,
        older=_link(path, asked, before=older) if older is not None else None,
        newest=_link(path, asked) if asked.before is not None or asked.after is not None else None,
    )
    chosen_kind = asked.typed[Param.TYPE]
    if chosen_kind and chosen_kind not in kinds and Param.TYPE not in asked.errors:
        kinds.append(chosen_kind)  # asked for by a link: offered, so the form keeps it
    return render(
        request,
        "audit/history.html",
        title="Audit history" if brand is None else "History",
        page=page,
        path=path,
        values=asked.typed,
        errors=asked.errors,
        actions=[("", "Any action")] + [(a.value, action_label(a.value)) for a in AuditAction],
        kinds=[("", "Any kind")] + [(k, object_label(k)) for k in kinds],
        filtered=any(asked.typed.values()),
        per_page=PER_PAGE,
        brand=brand,
    )


@router.get(CONSOLE)
def console_history(request: Request, user: OperatorUser, asked: AskedFilters) -> Response:
    """Every entry of the network: the operator's own changes, the brands' and Shelfspace's."""
    return _history(request, user, CONSOLE, asked)


@router.get(BRAND)
def brand_history(request: Request, user: AdvertiserUser, asked: AskedFilters) -> Response:
    """The entries about the brand's own objects: its campaigns, creatives, people, keys, money."""
    return _history(request, user, BRAND, asked)
