"""POST /brand/campaigns/new/check: the wizard's steps checked as the person moves on, and
the summary of what would be bought, before anything is saved.

The page's script posts the form (its text fields; a chosen image by its size alone, read
in the browser: `image_probe`; a chosen video by its type and weight: `video_probe`) with
the step the person is leaving. No file comes here and none is stored: a file chosen and
not sent yet stands in as a placeholder address, and the save checks its bytes. The
answer is what the final save would say, because it is made the same way: the wizard's
own specs, then the services, in a transaction that is rolled back (wizard.py `book`).
Only the mistakes of the steps up to the one left are returned, in the same plain words
as the page, with the first step that has one; once the creative step is right, the
summary of the campaign comes with it (an HTML fragment, escaped by the templates).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import Request
from sqlalchemy import select
from starlette.responses import JSONResponse, Response

from shelfspace.catalog.enums import AdFormat, Pricing
from shelfspace.catalog.models import Product
from shelfspace.dashboard.brand.campaigns import awaiting_approval
from shelfspace.dashboard.brand.wizard import (
    CREATIVE_STEP,
    REVIEW_STEP,
    CreativeFiles,
    Goal,
    Inventory,
    Specs,
    book,
    form_values,
    inventory,
    named,
    specs,
    step_of,
    targetable_audiences,
)
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import GENERAL, FieldErrors, text
from shelfspace.dashboard.rendering import templates
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AdvertiserUser, DashboardUser
from shelfspace.dashboard.uploads import MAX_VIDEO_BYTES, NOT_A_VIDEO, VIDEO_MEDIA_TYPES, named_video, video_too_large
from shelfspace.db.session import session_scope
from shelfspace.runtime import runtime_of

router = page_router()

IMAGE_PROBE = re.compile(r"^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$")
NOT_UPLOADED = "/uploads/chosen-not-uploaded-yet.png"  # stands for an image chosen, sent with the save
VIDEO_PROBE = re.compile(r"^(\S{1,100}) ([0-9]{1,12})$")  # the chosen file's type as the browser says, and its bytes
VIDEO_NOT_UPLOADED = "/uploads/chosen-not-uploaded-yet.mp4"  # stands for a video chosen, sent with the save


def chosen_video(
    request: Request, values: dict[str, Any], probe: str, errors: FieldErrors
) -> tuple[str | None, str | None]:
    """The video as the save would find it, without a file: one chosen in the browser (by its
    probe: refused here if its type or weight would be refused on upload), else one kept from
    an earlier try or the URL typed (uploads.py `named_video`, as the save reads them)."""
    found = VIDEO_PROBE.match(probe)
    if found is None:
        return named_video(request, values)
    media_type, size = found.group(1), int(found.group(2))
    if media_type not in VIDEO_MEDIA_TYPES:
        errors["video"] = NOT_A_VIDEO
    elif size > MAX_VIDEO_BYTES:
        errors["video"] = video_too_large()
    else:
        return f"{runtime_of(request).settings.base_url()}{VIDEO_NOT_UPLOADED}", media_type
    return None, None


@router.post("/brand/campaigns/new/check")
def check_step(request: Request, user: AdvertiserUser, form: CheckedForm) -> Response:
    """Plain `def`: the services' SQL runs in the thread pool."""
    if awaiting_approval(request, user) is not None:
        return JSONResponse(
            {"errors": {GENERAL: "Your account is waiting for the operator's approval."}, "step": 0, "summary": None},
            status_code=403,
        )
    raw_step = text(form, "step")
    step = min(max(int(raw_step), 0), REVIEW_STEP) if raw_step.isdigit() and len(raw_step) < 3 else 0
    values = form_values(form) | {"video_kept": text(form, "video_kept")}
    image_url, size = text(form, "image_kept") or None, text(form, "image_size") or None
    probe = text(form, "image_probe")
    if IMAGE_PROBE.match(probe):  # a file chosen in the browser, not uploaded yet: its size is what counts
        image_url, size = image_url or f"{runtime_of(request).settings.base_url()}{NOT_UPLOADED}", probe
    errors: FieldErrors = {}
    video_url, video_type = chosen_video(request, values, text(form, "video_probe"), errors)
    stock = inventory(request)
    files = CreativeFiles(image_url, size, video_url, video_type)
    made = specs(request, values, files, {p.placement_id: p.format for p in stock.placements}, errors)
    rt = runtime_of(request)
    db = rt.db_sessions()
    try:  # the services' own checks; nothing is kept
        book(db, user.principal, made, errors, rt.audience_check)
    finally:
        db.rollback()
        db.close()
    shown = {k: v for k, v in named(errors, stock.names()).items() if step_of(k) <= step}
    first = min((step_of(k) for k in shown), default=None)
    ready = step >= CREATIVE_STEP and not errors
    return JSONResponse(
        {
            "errors": shown,
            "step": first,
            "summary": summary(request, user, values, made, stock, files) if ready else None,
        }
    )


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def summary(
    request: Request, user: DashboardUser, values: dict[str, Any], made: Specs, stock: Inventory, files: CreativeFiles
) -> str:
    """What the wizard would buy and what it can cost, as the last step shows it."""
    assert made.campaign is not None and made.line_item is not None
    first, last = _day(values["start"]), _day(values["end"])
    days = (last - first).days + 1 if first and last else None
    total, daily = made.campaign.budget_total, made.campaign.budget_daily
    most = min(total, daily * days) if daily is not None and days is not None else total
    names = stock.names()
    formats = {p.placement_id: p.format.value.replace("_", " ") for p in stock.placements}
    audiences = {a.id: a.name for a in targetable_audiences(request, user)}
    targeting = made.line_item.targeting
    with session_scope(runtime_of(request).db_sessions) as db:
        titles = {p.sku: p.title for p in db.scalars(select(Product).where(Product.sku.in_(made.line_item.products)))}
    creative = made.creatives[0] if made.creatives else {}
    video_chosen = bool(files.video_url and files.video_url.endswith(VIDEO_NOT_UPLOADED))
    return templates.get_template("brand/_wizard_summary.html").render(
        request=request,
        currency=runtime_of(request).settings.currency,
        time_zone_name=runtime_of(request).settings.timezone,
        goal=Goal(values["goal"]) if values["goal"] in set(Goal) else None,
        campaign=made.campaign,
        first=first,
        last=last,
        days=days,
        total=total,
        daily=daily,
        most=most,
        placements=[(names.get(p, p), formats.get(p, "")) for p in made.line_item.placements],
        keywords=targeting.keywords,
        categories=targeting.categories,
        countries=targeting.countries,
        devices=[d.value for d in targeting.devices],
        audiences=[audiences.get(a, a) for a in targeting.audiences],
        cap=made.line_item.frequency_cap,
        per_click=made.line_item.pricing is Pricing.CPC,
        bid=made.line_item.bid,
        products=[(sku, titles.get(sku, sku)) for sku in made.line_item.products],
        ad_format=made.ad_format.value if made.ad_format else "",
        AdFormat=AdFormat,
        creative=creative,
        chosen_image=bool(files.image_url and files.image_url.endswith(NOT_UPLOADED)),
        chosen_video=video_chosen,
        uploaded_video=bool(files.video_type) and not video_chosen,  # a type is known for our own files only
        size=creative.get("size"),
    )
