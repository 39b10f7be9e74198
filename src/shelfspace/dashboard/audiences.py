"""Audience pages: the segment builder, the list with sizes, and (operator) offsite exports.

One handler per page for both sides (`/console/audiences` for the operator, `/brand/audiences`
for a brand), through the same services as the API with the signed-in user's principal:
a brand sees the network's segments and its own, sizes only, never a user id.

The builder writes a rule from up to `ROWS` conditions: the ones marked "include" are
combined with all/any, the ones marked "exclude" are each wrapped in `not` and must all
hold too. "Count" shows the size before anything is saved.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.responses import Response

from shelfspace.audiences import disclosure, service
from shelfspace.audiences.api import daily_questions, size_view
from shelfspace.audiences.models import Audience
from shelfspace.audiences.offsite import Platform
from shelfspace.audiences.rules import RULE, VERBS, Rule, describe
from shelfspace.audiences.schemas import AudienceCreate, AudienceFilters, AudienceOut
from shelfspace.catalog.models import Advertiser
from shelfspace.core.errors import ShelfspaceError, TooManyRequests
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import GENERAL, FieldErrors, errors_of, text
from shelfspace.dashboard.measurement import SideUser
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.tables import Column, Table, table
from shelfspace.db.session import session_scope
from shelfspace.events.model import BehaviourType
from shelfspace.runtime import runtime_of

router = page_router()

ROWS = 4
CONDITION_FIELDS = ("event", "category", "sku", "brand", "query", "within_days", "min_count", "min_spend")
PLATFORM_NAMES = {Platform.META: "Meta", Platform.GOOGLE: "Google", Platform.TIKTOK: "TikTok"}


class Combine(StrEnum):
    ALL = "all"
    ANY = "any"


class Use(StrEnum):
    INCLUDE = "include"
    EXCLUDE = "exclude"


def _side(request: Request) -> str:
    return "/console" if request.url.path.startswith("/console/") else "/brand"


def _rows(form: FormData | None) -> list[dict[str, str]]:
    if form is None:
        return [{"use": Use.INCLUDE.value, "event": BehaviourType.VIEW.value, "within_days": "30"}] + [
            {"use": Use.INCLUDE.value, "within_days": "30"} for _ in range(ROWS - 1)
        ]
    return [{f: text(form, f"c{i}.{f}") for f in ("use", *CONDITION_FIELDS)} for i in range(ROWS)]


def rule_of(rows: list[dict[str, str]], combine: str) -> tuple[Rule | None, FieldErrors]:
    """The rule the builder's rows describe, or the errors beside the rows' fields."""
    included: list[dict[str, Any]] = []
    excluded: list[dict[str, Any]] = []
    for row in rows:
        if not row.get("event"):
            continue
        condition: dict[str, Any] = {f: row[f] for f in CONDITION_FIELDS if row.get(f)}
        (excluded if row.get("use") == Use.EXCLUDE else included).append(condition)
    if not included:
        return None, {"c0.event": "include at least one condition: what must the users have done?"}
    parts: list[Any] = [{combine: included} if len(included) > 1 else included[0]]
    parts += [{"not": c} for c in excluded]
    raw = parts[0] if len(parts) == 1 else {"all": parts}
    try:
        return RULE.validate_python(raw), {}
    except ValidationError as exc:
        return None, _row_errors(exc, rows)


def _row_errors(exc: ValidationError, rows: list[dict[str, str]]) -> FieldErrors:
    """Pydantic's locations name the nested rule; the page names the row and its field."""
    errors: FieldErrors = {}
    used = [i for i, r in enumerate(rows) if r.get("event")]
    for problem in exc.errors():
        message = str(problem.get("msg", "invalid")).removeprefix("Value error, ")
        field = next((str(p) for p in reversed(problem.get("loc", ())) if str(p) in CONDITION_FIELDS), "event")
        row = next((i for i in used if field in rows[i] and rows[i][field]), used[0] if used else 0)
        errors.setdefault(f"c{row}.{field}", message)
    return errors


# The network's own segments, as the owner column names them.
NETWORK_OWNED = "The network (every brand)"
TARGETABLE, NOT_YET = "yes", "not yet"
Row = dict[str, Any]


def audiences_table(
    request: Request, listed: list[tuple[Audience, AudienceOut, str]], owners: dict[str, str]
) -> Table[Row]:
    """The audiences as a table (dashboard/tables.py), oldest first as they were made; an
    operator's has each one's owner and its exports. A size too small to show sorts last."""
    rows = [
        {
            "audience": a,
            "out": o,
            "words": words,
            "owner": owners.get(a.advertiser_id, a.advertiser_id) if a.advertiser_id else NETWORK_OWNED,
        }
        for a, o, words in listed
    ]
    columns = [
        Column[Row]("name", "Audience", lambda r: r["audience"].name, searchable=True),
        Column[Row]("rule", "Rule", lambda r: r["words"], searchable=True),
        Column[Row]("iab", "IAB label", lambda r: r["out"].iab_label, searchable=True),
        Column[Row]("users", "Users", lambda r: r["out"].size, numeric=True),
        Column[Row]("targetable", "Targetable", lambda r: TARGETABLE if r["out"].targetable else NOT_YET, choices=True),
        Column[Row]("added", "Added", lambda r: r["out"].created_at),
    ]
    if _side(request) == "/console":
        columns += [
            Column[Row]("owner", "Owner", lambda r: r["owner"], searchable=True, choices=True),
            Column[Row]("export", "Export", lambda r: None, sortable=False),
        ]
    return table(request, "audiences", "audiences", rows, columns, sort="added")


def _page(
    request: Request,
    user: Any,
    values: dict[str, str],
    rows: list[dict[str, str]],
    errors: FieldErrors,
    preview: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    settings = runtime_of(request).settings
    with session_scope(runtime_of(request).db_sessions) as db:
        audiences = list(db.scalars(service.query(user.principal, AudienceFilters()).order_by("created_at")))
        view = size_view(request, db, user.principal)
        listed = [
            (a, o, describe(RULE.validate_python(a.rule)))
            for a, o in zip(audiences, service.outs(db, audiences, view), strict=True)
        ]
        owned = sorted({a.advertiser_id for a in audiences if a.advertiser_id})
        owners = (
            {
                aid: name
                for aid, name in db.execute(select(Advertiser.id, Advertiser.name).where(Advertiser.id.in_(owned)))
            }
            if owned
            else {}
        )
    return render(
        request,
        "audiences/list.html",
        status_code=status_code,
        title="Audiences",
        audiences=audiences_table(request, listed, owners),
        platform_names=PLATFORM_NAMES,
        values=values,
        rows=rows,
        errors=errors,
        preview=preview,
        side=_side(request),
        events=[(e.value, VERBS[e]) for e in BehaviourType],
        uses=list(Use),
        combines=list(Combine),
        platforms=list(Platform),
        min_size=settings.audience_min_size,
    )


@router.get("/console/audiences")
@router.get("/brand/audiences")
def audiences_page(request: Request, user: SideUser) -> Response:
    return _page(request, user, {"combine": Combine.ALL.value}, _rows(None), {})


@router.post("/console/audiences")
@router.post("/brand/audiences")
def build_audience(request: Request, user: SideUser, form: CheckedForm) -> Response:
    """`action=count` shows the size the rule would have now; `action=save` saves it."""
    values = {k: text(form, k) for k in ("name", "iab_segment", "combine", "action")}
    rows = _rows(form)
    rule, errors = rule_of(rows, values["combine"] or Combine.ALL.value)
    if rule is None:
        return _page(request, user, values, rows, errors, status_code=422)
    saving = values["action"] == "save"
    try:
        with session_scope(runtime_of(request).db_sessions) as db:  # the size a brand sees: disclosure.py
            if not saving:
                disclosure.ask(db, user.principal, daily_questions(request))
            size, targetable = size_view(request, db, user.principal).preview(
                rule, runtime_of(request).clock.now().timestamp()
            )
    except TooManyRequests as spent:
        return _page(request, user, values, rows, {GENERAL: spent.message}, status_code=429)
    preview = {"size": size, "targetable": targetable, "approximate": not user.principal.is_operator}
    if not saving:
        return _page(request, user, values, rows, {}, preview)
    try:
        spec = AudienceCreate(name=values["name"], rule=rule, iab_segment=values["iab_segment"] or None)
        with session_scope(runtime_of(request).db_sessions) as db:
            audience = service.create(db, user.principal, spec, daily_questions(request))
            name = audience.name
    except TooManyRequests as spent:
        return _page(request, user, values, rows, {GENERAL: spent.message}, preview, status_code=429)
    except (ValidationError, ShelfspaceError) as exc:
        errors = errors_of(exc)
        errors = {("c0.event" if k.startswith("rule") else k): v for k, v in errors.items()} or {GENERAL: "not saved"}
        return _page(request, user, values, rows, errors, preview, status_code=422)
    return redirect_with(
        request, f"{_side(request)}/audiences", f"Audience “{name}” saved; its size is counted within a few seconds."
    )


@router.get("/console/audiences/{audience_id}/export")
def export_page(request: Request, user: SideUser, audience_id: str, platform: Platform) -> Response:
    """The operator's download of a segment's upload file (the API's export, audited alike)."""
    settings = runtime_of(request).settings
    with session_scope(runtime_of(request).db_sessions) as db:
        file, _ = service.export(
            db, user.principal, audience_id, platform, runtime_of(request).audience_index, settings.country
        )
    return Response(
        file.body,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{audience_id}-{file.filename}"'},
    )
