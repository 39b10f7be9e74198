"""/brand/campaigns/new: the campaign wizard, one form in steps, saved once, all or nothing.

The campaign, its line item and its creatives are made through the same services as the
API in one transaction: a mistake in the last step saves nothing, and the form comes
back at the step of the first mistake, with what was typed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import or_, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import JSONResponse, Response

from shelfspace.audiences import service as audience_service
from shelfspace.audiences.api import size_view
from shelfspace.audiences.schemas import AudienceFilters, AudienceOut
from shelfspace.catalog.enums import AdFormat, CapPeriod, Device, Pacing, Pricing
from shelfspace.catalog.models import Advertiser, Product
from shelfspace.catalog.schemas import CampaignCreate, CreativeCreate, FrequencyCap, LineItemCreate, Targeting
from shelfspace.catalog.services import campaigns, creatives, line_items
from shelfspace.core.errors import FieldProblem, InvalidInput, ShelfspaceError
from shelfspace.dashboard.brand.campaigns import awaiting_approval
from shelfspace.dashboard.csrf import check_csrf
from shelfspace.dashboard.forms import GENERAL, FieldErrors, errors_of, split_commas, text, texts
from shelfspace.dashboard.periods import today
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AdvertiserUser, DashboardUser
from shelfspace.dashboard.uploads import BadImage, read_image, store
from shelfspace.db.session import session_scope
from shelfspace.reporting.inventory_stats import placement_stats

router = page_router()


class Goal(StrEnum):
    AWARENESS = "awareness"  # be seen: bought by the thousand impressions
    TRAFFIC = "traffic"  # be visited: bought by the click
    SALES = "sales"  # be bought: sponsored products, by the click


STEPS = ("goal", "budget", "placements", "targeting", "bid", "creative")
STEP_OF = {"goal": 0, "name": 0, "budget_total": 1, "budget_daily": 1, "start": 1, "end": 1, "pacing": 1,
           "placements": 2, "format": 2, "targeting": 3, "audiences": 3, "keywords": 3, "categories": 3, "countries": 3, "devices": 3,
           "cap_count": 3, "cap_period": 3, "pricing": 4, "bid": 4}  # anything else: the creative step


def _placements(request: Request) -> list[Any]:
    with session_scope(request.app.state.sessions) as db:
        end = today(request)
        return placement_stats(db, start=end - timedelta(days=30), end=end)


def _own_products(request: Request, user: DashboardUser) -> list[Product]:
    with session_scope(request.app.state.sessions) as db:
        advertiser = db.get(Advertiser, user.advertiser_id)
        names = {advertiser.name, *(advertiser.brands or [])} if advertiser else set()
        return list(db.scalars(select(Product).where(Product.brand.in_(names), Product.archived_at.is_(None))
                               .order_by(Product.sku).limit(200)))


def targetable_audiences(request: Request, user: DashboardUser) -> list[AudienceOut]:
    """The segments this brand may target now: the network's and its own, big enough."""
    with session_scope(request.app.state.sessions) as db:  # sizes as the brand may see them (disclosure.py)
        found = audience_service.outs(db, list(db.scalars(audience_service.query(user.principal, AudienceFilters()))),
                                      size_view(request, db, user.principal))
    return [a for a in found if a.targetable]


def _page(request: Request, user: DashboardUser, values: dict[str, Any], errors: FieldErrors,
          status_code: int = 200) -> Response:
    first = min((STEP_OF.get(k.split(".", 1)[0], len(STEPS) - 1) for k in errors), default=0)
    return render(request, "brand/wizard.html", status_code=status_code, title="New campaign", values=values,
                  errors=errors, steps=STEPS, first_step=first, placements=_placements(request),
                  products=_own_products(request, user), goals=list(Goal), pacings=list(Pacing),
                  pricings=list(Pricing), devices=[d for d in Device if d is not Device.OTHER],
                  periods=list(CapPeriod), today=today(request).isoformat(),
                  audiences=targetable_audiences(request, user))


@router.get("/brand/campaigns/new")
def wizard(request: Request, user: AdvertiserUser) -> Response:
    waiting = awaiting_approval(request, user)
    if waiting is not None:
        return waiting
    start = today(request) + timedelta(days=1)
    return _page(request, user, {"goal": Goal.TRAFFIC.value, "pacing": Pacing.EVEN.value, "pricing": Pricing.CPC.value,
                                 "start": start.isoformat(), "end": (start + timedelta(days=30)).isoformat()}, {})


def _day(raw: str, field: str, errors: FieldErrors, tz: ZoneInfo, at_end: bool = False) -> datetime | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors[field] = "a date, e.g. 2026-12-01"
        return None
    return datetime.combine(day + timedelta(days=1) if at_end else day, time(0), tz).astimezone(UTC)


def _money(raw: str, field: str, errors: FieldErrors) -> Decimal | None:
    if not raw:
        return None
    try:
        return Decimal(raw.replace(",", ""))
    except InvalidOperation:
        errors[field] = "a number, e.g. 250 or 0.45"
        return None


def form_values(form: FormData) -> dict[str, Any]:
    """The wizard's fields as typed (the forecast and the edit page read the same names)."""
    single = ("goal", "name", "budget_total", "budget_daily", "start", "end", "pacing", "keywords", "categories",
              "countries", "cap_count", "cap_period", "pricing", "bid", "click_url", "title", "body", "media_url",
              "duration_seconds")
    values: dict[str, Any] = {k: text(form, k) for k in single}
    values |= {"placements": texts(form, "placements"), "devices": texts(form, "devices"), "products": texts(form, "products"),
               "audiences": texts(form, "audiences")}
    return values


def form_field(key: str) -> str:
    """The form field an error belongs to, however the model or the service named it:
    `line_item.targeting.keywords.3` -> `keywords`, `frequency_cap.count` -> `cap_count`."""
    parts = key.removeprefix("campaign.").removeprefix("line_item.").split(".")
    if parts[0] == "targeting" and len(parts) > 1:
        return parts[1]
    if parts[0] in ("frequency_cap", "count", "period"):  # the cap, or its own model's fields
        return "cap_period" if parts[-1] == "period" else "cap_count"
    return parts[0]


def form_errors(exc: ShelfspaceError | ValidationError) -> FieldErrors:
    """A failed save's or forecast's errors, each beside the form field it names."""
    found: FieldErrors = {}
    for key, message in errors_of(exc).items():
        found.setdefault(key if key == GENERAL else form_field(key), message)
    return found


def campaign_spec(request: Request, values: dict[str, Any], errors: FieldErrors) -> CampaignCreate | None:
    """The campaign as the services take it, from the budget-and-dates fields; None with
    `errors` filled (named by form field)."""
    tz = ZoneInfo(request.app.state.settings.timezone)
    if not values["start"]:
        errors["start"] = "choose the first day"
    if not values["budget_total"]:
        errors["budget_total"] = "how much may the campaign spend in all?"
    start = _day(values["start"], "start", errors, tz)
    end = _day(values["end"], "end", errors, tz, at_end=True)
    total, daily = (_money(values[k], k, errors) for k in ("budget_total", "budget_daily"))
    try:
        return CampaignCreate(name=values["name"], start=start or "", end=end, budget_total=total or 0,
                              budget_daily=daily, pacing=values["pacing"] or Pacing.EVEN)
    except ValidationError as exc:
        errors |= {k: v for k, v in errors_of(exc).items() if k not in errors}
        return None


def line_item_spec(values: dict[str, Any], errors: FieldErrors) -> LineItemCreate | None:
    """The line item as the services take it (its campaign still to be named), from the
    placement, targeting and bid fields; None with `errors` filled (named by form field)."""
    if not values["bid"]:
        errors["bid"] = "your bid: per thousand impressions (CPM) or per click (CPC)"
    if not values["placements"]:
        errors["placements"] = "choose at least one placement"
    bid = _money(values["bid"], "bid", errors)
    try:
        cap = None
        if values["cap_count"]:
            cap = FrequencyCap(count=values["cap_count"], period=values["cap_period"] or CapPeriod.DAY)
        targeting = Targeting(keywords=split_commas(values["keywords"]), categories=split_commas(values["categories"]),
                              countries=[c.upper() for c in split_commas(values["countries"])], devices=values["devices"],
                              audiences=values["audiences"])
        return LineItemCreate(campaign_id="pending", name=values["name"] or "line item",
                              pricing=values["pricing"] or Pricing.CPM, bid=bid or 0, placements=values["placements"] or ["x"],
                              targeting=targeting, frequency_cap=cap, products=values["products"])
    except ValidationError as exc:
        for key, message in errors_of(exc).items():
            errors.setdefault(form_field(key), message)
        return None


def _specs(request: Request, values: dict[str, Any], image_url: str | None, size: str | None,
           placement_formats: dict[str, AdFormat], errors: FieldErrors) -> tuple[Any, ...] | None:
    """The three shapes the services take, or None with `errors` filled."""
    formats = {placement_formats[p] for p in values["placements"] if p in placement_formats}
    if len(formats) > 1:
        errors["placements"] = "choose placements of one format (one creative serves them all)"
    campaign = campaign_spec(request, values, errors)
    line_item = line_item_spec(values, errors)
    if errors or campaign is None or line_item is None or not formats:
        return None
    ad_format = formats.pop()
    common: dict[str, Any] = {"format": ad_format, "click_url": values["click_url"] or None}
    if ad_format is AdFormat.SPONSORED_PRODUCT:
        creative_specs = [{"format": ad_format, "sku": sku} for sku in values["products"]]
        if not values["products"]:
            errors["products"] = "pick the products to promote"
    elif ad_format is AdFormat.BANNER:
        creative_specs = [common | {"image_url": image_url, "size": size}]
    elif ad_format is AdFormat.NATIVE:
        creative_specs = [common | {"image_url": image_url, "title": values["title"] or None, "body": values["body"] or None}]
    else:
        creative_specs = [common | {"media_url": values["media_url"] or None,
                                    "duration_seconds": values["duration_seconds"] or None}]
    return campaign, line_item, creative_specs


def _image(request: Request, form: FormData, errors: FieldErrors) -> tuple[str | None, str | None]:
    upload = form.get("image")
    if not isinstance(upload, UploadFile) or not upload.filename:
        kept = text(form, "image_kept")  # uploaded with an earlier try of this form
        return (kept or None), (text(form, "image_size") or None)
    try:
        image = read_image(upload.file.read())
    except BadImage as exc:
        errors["image"] = str(exc)
        return None, None
    name = store(request.app.state.settings.data_dir, image)
    return f"{request.app.state.settings.base_url()}/uploads/{name}", image.size


@router.post("/brand/campaigns/new")
async def create_campaign(request: Request, user: AdvertiserUser) -> Response:
    """Async only to read the form off the socket; the rest (the image stored on disk, the
    campaign saved) runs in the thread pool, in the order it always had."""
    form = await request.form()
    return await run_in_threadpool(_create_campaign, request, user, form)


def _create_campaign(request: Request, user: DashboardUser, form: FormData) -> Response:
    waiting = awaiting_approval(request, user)  # a brand still waiting sees where it stands
    if waiting is not None:
        return waiting
    check_csrf(request, form)
    values = form_values(form)
    errors: FieldErrors = {}
    image_url, size = _image(request, form, errors)
    values |= {"image_kept": image_url or "", "image_size": size or ""}
    formats = {p.placement_id: p.format for p in _placements(request)}
    specs = _specs(request, values, image_url, size, formats, errors)
    if specs is None or errors:
        return _page(request, user, values, errors, 400)
    campaign_spec, line_item_spec, creative_specs = specs
    try:
        with session_scope(request.app.state.sessions) as db:
            campaign = campaigns.create(db, user.principal, campaign_spec)
            line_item = line_items.create(db, user.principal, line_item_spec.model_copy(update={"campaign_id": campaign.id}))
            for spec in creative_specs:
                try:
                    creatives.create(db, user.principal, CreativeCreate(line_item_id=line_item.id, **spec))
                except ValidationError as exc:
                    raise _creative_problem(exc) from exc
            campaign_id, name = campaign.id, campaign.name
    except (ShelfspaceError, ValidationError) as exc:
        found = errors_of(exc)
        # A creative's `size` or `image_url` problem belongs to the upload field; a
        # segment's, to the audience checkboxes.
        for key, field in (("size", "image"), ("image_url", "image"), ("targeting.audiences", "audiences")):
            if key in found:
                found.setdefault(field, found.pop(key))
        return _page(request, user, values, found or {GENERAL: "the campaign could not be saved"}, 400)
    return redirect_with(request, f"/brand/campaigns/{campaign_id}",
                         f"{name} is created. Its creatives are waiting for the operator's review; it serves once they are approved.")


def _creative_problem(exc: ValidationError) -> InvalidInput:
    return InvalidInput.collect([FieldProblem(k, v) for k, v in errors_of(exc).items()])


@router.get("/brand/products")
def products_json(request: Request, user: AdvertiserUser, q: str = "") -> Response:
    """Catalogue search for the sponsored-products step; the brand's own products first."""
    term = f"%{q.strip().lower()}%"
    with session_scope(request.app.state.sessions) as db:
        advertiser = db.get(Advertiser, user.advertiser_id)
        own = {advertiser.name, *(advertiser.brands or [])} if advertiser else set()
        rows = db.scalars(select(Product).where(Product.archived_at.is_(None), Product.available.is_(True),
                                                or_(Product.sku.ilike(term), Product.title.ilike(term), Product.brand.ilike(term)))
                          .order_by(Product.sku).limit(200)).all()
    found = sorted(rows, key=lambda p: (p.brand not in own, p.sku))[:30]
    return JSONResponse([{"sku": p.sku, "title": p.title, "brand": p.brand, "own": p.brand in own,
                          "price": f"{(p.price_micros or 0) / 1_000_000:.2f}"} for p in found])
