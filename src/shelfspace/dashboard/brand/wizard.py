"""/brand/campaigns/new: the campaign wizard, one form in steps, saved once, all or nothing.

The campaign, its line item and its creatives are made through the same services as the
API in one transaction: a mistake in the last step saves nothing, and the form comes
back at the step of the first mistake, with what was typed. Each step is checked as the
person moves on (wizard_check.py: the same validation, in a rolled-back transaction), the
last step sums up what will be bought before anything is saved, and the form can be kept
as a draft to finish later (drafts.py). Mistakes read in a marketer's words
(wizard_messages.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import distinct, func, or_, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import JSONResponse, Response

from shelfspace.accounts.roles import Principal
from shelfspace.audiences import service as audience_service
from shelfspace.audiences.api import size_view
from shelfspace.audiences.schemas import AudienceFilters, AudienceOut
from shelfspace.catalog.audience_check import AudienceCheck
from shelfspace.catalog.enums import AdFormat, CapPeriod, Device, Pacing, Pricing
from shelfspace.catalog.models import Advertiser, Campaign, Product
from shelfspace.catalog.promotable import allowed, is_own
from shelfspace.catalog.schemas import CampaignCreate, CreativeCreate, FrequencyCap, LineItemCreate, Targeting
from shelfspace.catalog.services import campaigns, creatives, line_items
from shelfspace.core.errors import FieldProblem, InvalidInput, ShelfspaceError
from shelfspace.core.money_words import plain_number
from shelfspace.dashboard.brand import drafts
from shelfspace.dashboard.brand.campaigns import awaiting_approval
from shelfspace.dashboard.brand.wizard_messages import NO_VIDEO, REQUIRED, plain, plain_errors
from shelfspace.dashboard.csrf import check_csrf
from shelfspace.dashboard.forms import GENERAL, FieldErrors, errors_of, split_commas, text, texts
from shelfspace.dashboard.periods import today
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AdvertiserUser, DashboardUser
from shelfspace.dashboard.uploads import MAX_VIDEO_BYTES, BadImage, checked_video, read_image_from, store
from shelfspace.db.session import session_scope
from shelfspace.delivery.models import PlacementRequests
from shelfspace.http.body_limits import MiB
from shelfspace.reporting.inventory_stats import PlacementStats, placement_stats
from shelfspace.runtime import runtime_of

router = page_router()

STATS_DAYS = 30  # the placements' figures: the last 30 days, or as many as the network has


class Goal(StrEnum):
    AWARENESS = "awareness"  # be seen: bought by the thousand impressions
    TRAFFIC = "traffic"  # be visited: bought by the click
    SALES = "sales"  # be bought: sponsored products, by the click


STEPS = ("goal", "budget", "placements", "targeting", "bid", "creative", "review")
CREATIVE_STEP, REVIEW_STEP = 5, 6
STEP_OF = {
    "goal": 0,
    "name": 0,
    "budget_total": 1,
    "budget_daily": 1,
    "start": 1,
    "end": 1,
    "pacing": 1,
    "placements": 2,
    "format": 2,
    "targeting": 3,
    "audiences": 3,
    "keywords": 3,
    "categories": 3,
    "countries": 3,
    "devices": 3,
    "cap_count": 3,
    "cap_period": 3,
    "pricing": 4,
    "bid": 4,
    GENERAL: REVIEW_STEP,
}
# anything else: the creative step


def step_of(field: str) -> int:
    return STEP_OF.get(field.split(".", 1)[0], CREATIVE_STEP)


@dataclass(frozen=True, slots=True)
class Inventory:
    """The placements as the wizard offers them, and over how many days their figures run."""

    placements: list[PlacementStats]
    days: int  # days with ad requests in the window (a young network has fewer than 30), at least 1
    has_traffic: bool = True  # False: no ad request in the window at all

    def names(self) -> dict[str, str]:
        return {p.placement_id: p.name for p in self.placements}


def inventory(request: Request) -> Inventory:
    with session_scope(runtime_of(request).db_sessions) as db:
        end = today(request)
        start = end - timedelta(days=STATS_DAYS - 1)
        stats = placement_stats(db, start=start, end=end)
        days = db.scalar(
            select(func.count(distinct(PlacementRequests.day))).where(
                PlacementRequests.day.between(start.isoformat(), end.isoformat())
            )
        )
    return Inventory(stats, max(1, int(days or 0)), bool(days))


def promotable_products(request: Request, user: DashboardUser) -> list[Product]:
    """What the brand may promote (its own brands', or any for a reseller), first 200 by SKU."""
    with session_scope(runtime_of(request).db_sessions) as db:
        advertiser = db.get(Advertiser, user.advertiser_id)
        if advertiser is None:
            return []
        return list(
            db.scalars(
                select(Product)
                .where(allowed(db, advertiser), Product.archived_at.is_(None))
                .order_by(Product.sku)
                .limit(200)
            )
        )


def targetable_audiences(request: Request, user: DashboardUser) -> list[AudienceOut]:
    """The segments this brand may target now: the network's and its own, big enough."""
    with session_scope(runtime_of(request).db_sessions) as db:  # sizes as the brand may see them (disclosure.py)
        found = audience_service.outs(
            db,
            list(db.scalars(audience_service.query(user.principal, AudienceFilters()))),
            size_view(request, db, user.principal),
        )
    return [a for a in found if a.targetable]


def named(errors: FieldErrors, names: dict[str, str]) -> FieldErrors:
    """Plain messages, placements called by their names rather than their ids."""
    found = plain_errors(errors)
    for field, message in found.items():
        for pid, name in names.items():
            message = message.replace(f"'{pid}'", name)
        found[field] = message
    return found


def page(
    request: Request, user: DashboardUser, values: dict[str, Any], errors: FieldErrors, status_code: int = 200
) -> Response:
    stock = inventory(request)
    first = min((step_of(k) for k in errors), default=0)
    return render(
        request,
        "brand/wizard.html",
        status_code=status_code,
        title="New campaign",
        values=values,
        errors=named(errors, stock.names()),
        steps=STEPS,
        first_step=first,
        placements=stock.placements,
        stats_days=stock.days,
        has_traffic=stock.has_traffic,
        products=promotable_products(request, user),
        goals=list(Goal),
        pacings=list(Pacing),
        pricings=list(Pricing),
        devices=[d for d in Device if d is not Device.OTHER],
        periods=list(CapPeriod),
        today=today(request).isoformat(),
        audiences=targetable_audiences(request, user),
        required=REQUIRED,
        max_video_mb=MAX_VIDEO_BYTES // MiB,
    )


@router.get("/brand/campaigns/new")
def wizard(request: Request, user: AdvertiserUser, draft: str | None = None) -> Response:
    waiting = awaiting_approval(request, user)
    if waiting is not None:
        return waiting
    start = today(request) + timedelta(days=1)
    values: dict[str, Any] = {
        "goal": Goal.TRAFFIC.value,
        "pacing": Pacing.EVEN.value,
        "pricing": Pricing.CPC.value,
        "start": start.isoformat(),
        "end": (start + timedelta(days=30)).isoformat(),
    }
    if draft:  # a draft resumed: what was typed, as it was (NotFound for another brand's)
        values = resumed(drafts.load(request, user, draft)) | {"draft": draft}
    return page(request, user, values, {})


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


SINGLE_FIELDS = (
    "goal",
    "name",
    "budget_total",
    "budget_daily",
    "start",
    "end",
    "pacing",
    "keywords",
    "categories",
    "countries",
    "cap_count",
    "cap_period",
    "pricing",
    "bid",
    "click_url",
    "title",
    "body",
    "media_url",
    "duration_seconds",
)
LIST_FIELDS = ("placements", "devices", "products", "audiences")


def form_values(form: FormData) -> dict[str, Any]:
    """The wizard's fields as typed (the forecast and the edit page read the same names)."""
    values: dict[str, Any] = {k: text(form, k) for k in SINGLE_FIELDS}
    values |= {k: texts(form, k) for k in LIST_FIELDS}
    return values


# A file uploaded before the draft was saved: the image (its address and size), the video (its stored name).
DRAFT_FIELDS = ("image_kept", "image_size", "video_kept")


def kept(values: dict[str, Any]) -> dict[str, Any]:
    """What a draft keeps of the form: its fields, as typed."""
    return {k: values.get(k, "") for k in SINGLE_FIELDS + DRAFT_FIELDS} | {k: values.get(k, []) for k in LIST_FIELDS}


def resumed(stored: dict[str, Any]) -> dict[str, Any]:
    """A draft's fields back in the form, each of the type its field has (whatever was stored)."""
    single = {k: str(stored.get(k) or "") for k in SINGLE_FIELDS + DRAFT_FIELDS}
    lists = {
        k: [v for v in listed if isinstance(v, str)] if isinstance(listed := stored.get(k), list) else []
        for k in LIST_FIELDS
    }
    return single | lists


def form_field(key: str) -> str:
    """The form field an error belongs to, however the model or the service named it:
    `line_item.targeting.keywords.3` -> `keywords`, `frequency_cap.count` -> `cap_count`."""
    parts = key.removeprefix("campaign.").removeprefix("line_item.").split(".")
    if parts[0] == "targeting" and len(parts) > 1:
        return parts[1]
    if parts[0] in ("frequency_cap", "count", "period"):  # the cap, or its own model's fields
        return "cap_period" if parts[-1] == "period" else "cap_count"
    return {"size": "image", "image_url": "image", "media_type": "video", "sku": "products"}.get(parts[0], parts[0])


def form_errors(exc: ShelfspaceError | ValidationError) -> FieldErrors:
    """A failed save's or forecast's errors, each beside the form field it names, in plain words."""
    found: FieldErrors = {}
    for key, message in errors_of(exc).items():
        field = key if key == GENERAL else form_field(key)
        found.setdefault(field, message if field == GENERAL else plain(field, message))
    return found


def campaign_spec(request: Request, values: dict[str, Any], errors: FieldErrors) -> CampaignCreate | None:
    """The campaign as the services take it, from the budget-and-dates fields; None with
    `errors` filled (named by form field)."""
    tz = ZoneInfo(runtime_of(request).settings.timezone)
    if not values["start"]:
        errors["start"] = REQUIRED["start"]
    if not values["budget_total"]:
        errors["budget_total"] = REQUIRED["budget_total"]
    start = _day(values["start"], "start", errors, tz)
    end = _day(values["end"], "end", errors, tz, at_end=True)
    total, daily = (_money(values[k], k, errors) for k in ("budget_total", "budget_daily"))
    try:
        return CampaignCreate(
            name=values["name"],
            start=start or "",
            end=end,
            budget_total=total or 0,
            budget_daily=daily,
            pacing=values["pacing"] or Pacing.EVEN,
        )
    except ValidationError as exc:
        errors |= {k: plain(k, v) for k, v in errors_of(exc).items() if k not in errors}
        return None


def line_item_spec(values: dict[str, Any], errors: FieldErrors) -> LineItemCreate | None:
    """The line item as the services take it (its campaign still to be named), from the
    placement, targeting and bid fields; None with `errors` filled (named by form field)."""
    if not values["bid"]:
        errors["bid"] = REQUIRED["bid"]
    if not values["placements"]:
        errors["placements"] = REQUIRED["placements"]
    bid = _money(values["bid"], "bid", errors)
    try:
        cap = None
        if values["cap_count"]:
            cap = FrequencyCap(count=values["cap_count"], period=values["cap_period"] or CapPeriod.DAY)
        targeting = Targeting(
            keywords=split_commas(values["keywords"]),
            categories=split_commas(values["categories"]),
            countries=[c.upper() for c in split_commas(values["countries"])],
            devices=values["devices"],
            audiences=values["audiences"],
        )
        return LineItemCreate(
            campaign_id="pending",
            name=values["name"] or "line item",
            pricing=values["pricing"] or Pricing.CPM,
            bid=bid or 0,
            placements=values["placements"] or ["x"],
            targeting=targeting,
            frequency_cap=cap,
            products=values["products"],
        )
    except ValidationError as exc:
        for key, message in errors_of(exc).items():
            field = form_field(key)
            errors.setdefault(field, plain(field, message))
        return None


@dataclass(frozen=True, slots=True)
class CreativeFiles:
    """The creative's files as far as the form has them: the image's address and size, the
    video's address and media type (an uploaded file's, or the URL typed with no type). The
    save stores what was sent; the step check stands in for a file chosen but not sent yet."""

    image_url: str | None = None
    size: str | None = None
    video_url: str | None = None
    video_type: str | None = None


@dataclass(frozen=True, slots=True)
class Specs:
    """What the wizard would book, as the services take it; None where a step is wrong."""

    campaign: CampaignCreate | None
    line_item: LineItemCreate | None
    ad_format: AdFormat | None
    creatives: list[dict[str, Any]]


def specs(
    request: Request,
    values: dict[str, Any],
    files: CreativeFiles,
    placement_formats: dict[str, AdFormat],
    errors: FieldErrors,
) -> Specs:
    """The three shapes the services take, as far as the form gets, with `errors` filled."""
    formats = {placement_formats[p] for p in values["placements"] if p in placement_formats}
    if len(formats) > 1:
        errors["placements"] = "Choose placements of one format: one creative serves them all."
    campaign = campaign_spec(request, values, errors)
    if campaign is not None and values["start"] < today(request).isoformat():  # ISO dates sort as days do
        errors["start"] = "The first day can't be in the past: choose today or later."
    line_item = line_item_spec(values, errors)
    if len(formats) != 1:
        return Specs(campaign, line_item, None, [])
    ad_format = formats.pop()
    common: dict[str, Any] = {"format": ad_format, "click_url": values["click_url"] or None}
    if ad_format is AdFormat.SPONSORED_PRODUCT:
        creative_specs = [{"format": ad_format, "sku": sku} for sku in values["products"]]
        if not values["products"]:
            errors["products"] = "Pick at least one product to promote."
    elif ad_format is AdFormat.BANNER:
        creative_specs = [common | {"image_url": files.image_url, "size": files.size}]
    elif ad_format is AdFormat.NATIVE:
        creative_specs = [
            common | {"image_url": files.image_url, "title": values["title"] or None, "body": values["body"] or None}
        ]
    else:
        if files.video_url is None and "video" not in errors:  # neither a file nor a URL: said beside the file
            errors["video"] = NO_VIDEO
        creative_specs = [
            common
            | {
                "media_url": files.video_url,
                "media_type": files.video_type,
                "duration_seconds": values["duration_seconds"] or None,
            }
        ]
    return Specs(campaign, line_item, ad_format, creative_specs)


def book(db: Session, by: Principal, made: Specs, errors: FieldErrors, audiences: AudienceCheck) -> Campaign | None:
    """Make what the steps got right through the services, a step at a time, each step's
    service errors added beside its fields: the campaign once its steps are right, its line
    item once theirs are (its audiences checked by `audiences`), its creatives last. None
    unless all were made."""

    def fine(step_fields: range) -> bool:
        return not any(step_of(k) in step_fields for k in errors)

    try:
        if made.campaign is None or not fine(range(0, 2)):
            return None
        campaign = campaigns.create(db, by, made.campaign)
        if made.line_item is None or not fine(range(2, 5)):
            return None
        line_spec = made.line_item.model_copy(update={"campaign_id": campaign.id})
        line_item = line_items.create(db, by, line_spec, audiences=audiences)
        if not made.creatives or errors:
            return None
        for spec in made.creatives:
            try:
                creatives.create(db, by, CreativeCreate(line_item_id=line_item.id, **spec))
            except ValidationError as exc:
                raise InvalidInput.collect([FieldProblem(k, v) for k, v in errors_of(exc).items()]) from exc
        return campaign
    except (ShelfspaceError, ValidationError) as exc:
        for field, message in form_errors(exc).items():
            errors.setdefault(field, message)
        return None


def _image(request: Request, form: FormData, errors: FieldErrors) -> tuple[str | None, str | None]:
    upload = form.get("image")
    if not isinstance(upload, UploadFile) or not upload.filename:
        kept = text(form, "image_kept")  # uploaded with an earlier try of this form
        return (kept or None), (text(form, "image_size") or None)
    try:
        image = read_image_from(upload.file)  # the form may carry a video: never more than an image's limit read
    except BadImage as exc:
        errors["image"] = str(exc)
        return None, None
    name = store(runtime_of(request).settings.data_dir, image)
    return f"{runtime_of(request).settings.base_url()}/uploads/{name}", image.size


@router.post("/brand/campaigns/new")
async def create_campaign(request: Request, user: AdvertiserUser) -> Response:
    """Async only to read the form off the socket; the rest (the image or video stored on
    disk, the campaign saved) runs in the thread pool, in the order it always had."""
    form = await request.form()
    return await run_in_threadpool(_create_campaign, request, user, form)


def _create_campaign(request: Request, user: DashboardUser, form: FormData) -> Response:
    waiting = awaiting_approval(request, user)  # a brand still waiting sees where it stands
    if waiting is not None:
        return waiting
    check_csrf(request, form)
    values = form_values(form) | {"draft": text(form, "draft"), "video_kept": text(form, "video_kept")}
    errors: FieldErrors = {}
    image_url, size = _image(request, form, errors)
    values |= {"image_kept": image_url or "", "image_size": size or ""}
    video_url, video_type = checked_video(request, form, values, errors)  # kept in values["video_kept"]
    if text(form, "action") == "draft":  # kept as typed, checked when it is finished
        try:
            return drafts.save(request, user, values["draft"], kept(values))
        except InvalidInput as exc:
            return page(request, user, values, {GENERAL: exc.message}, 400)
    formats = {p.placement_id: p.format for p in inventory(request).placements}
    made = specs(request, values, CreativeFiles(image_url, size, video_url, video_type), formats, errors)
    rt = runtime_of(request)
    with session_scope(rt.db_sessions) as db:  # all or nothing: an error rolls it all back
        try:
            campaign = book(db, user.principal, made, errors, rt.audience_check)
            if campaign is None or errors:
                raise _Refused
            campaign_id, name = campaign.id, campaign.name
            drafts.finished(db, user, values["draft"])
        except _Refused:
            db.rollback()
            return page(request, user, values, errors or {GENERAL: "The campaign could not be saved."}, 400)
    return redirect_with(
        request,
        f"/brand/campaigns/{campaign_id}",
        f"{name} is created. Its creatives are waiting for the operator's review; it serves once they are approved.",
    )


class _Refused(Exception):
    """The wizard's form has a mistake: nothing it made is kept."""


@router.get("/brand/products")
def products_json(request: Request, user: AdvertiserUser, q: str = "") -> Response:
    """Catalogue search for the sponsored-products step: only what the brand may promote."""
    term = f"%{q.strip().lower()[:100]}%"
    with session_scope(runtime_of(request).db_sessions) as db:
        advertiser = db.get(Advertiser, user.advertiser_id)
        if advertiser is None:
            return JSONResponse([])
        rows = db.scalars(
            select(Product)
            .where(
                allowed(db, advertiser),
                Product.archived_at.is_(None),
                Product.available.is_(True),
                or_(Product.sku.ilike(term), Product.title.ilike(term), Product.brand.ilike(term)),
            )
            .order_by(Product.sku)
            .limit(30)
        ).all()
        return JSONResponse(
            [
                {
                    "sku": p.sku,
                    "title": p.title,
                    "brand": p.brand,
                    "own": is_own(advertiser, p.brand),
                    "price": plain_number(p.price_micros or 0),
                }
                for p in rows
            ]
        )
