"""/brand/creatives/new: a brand adds creatives to a line item (several, in several sizes) or
replaces one (a rejected one, most often), from its campaign page; and the campaign page's
list of creatives, with thumbnails, the operator's reasons and the buttons that act on them.

Everything goes through the catalogue services the API uses (`creatives.create`,
`creatives.replace`, `creatives.archive`), which check the content and the size again and
write the audit entries; a new or replacing creative waits for the operator's review.

The size of a banner is checked twice: in the browser before the upload (static/creatives.js
reads the image's own size and names the placements that take it) and here, from the file's
bytes, before it is stored, with the same message naming the sizes allowed. A video is
uploaded (MP4 or WebM, its bytes checked and copied a chunk at a time: dashboard/uploads.py)
or given as a URL; an upload plays in the review queue and here, served from our own files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from shelfspace.catalog.enums import SIZED_FORMATS, AdFormat, DeliveryStatus, ReviewStatus
from shelfspace.catalog.models import Campaign, Creative, LineItem
from shelfspace.catalog.schemas import CreativeCreate
from shelfspace.catalog.services import campaigns, creatives, line_items
from shelfspace.core.errors import NotFound, ShelfspaceError
from shelfspace.dashboard.console.review import own_hosts
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import GENERAL, FieldErrors, errors_of, text
from shelfspace.dashboard.previews import Preview, previews
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AdvertiserUser, DashboardUser
from shelfspace.dashboard.uploads import (
    MAX_VIDEO_BYTES,
    UPLOADS,
    BadUpload,
    checked_video,
    kept_upload,
    read_image,
    read_image_from,
    store,
    upload_url,
)
from shelfspace.db.session import session_scope
from shelfspace.http.body_limits import MiB
from shelfspace.runtime import runtime_of

router = page_router()

FORMAT_WORDS = {
    AdFormat.BANNER: "banner",
    AdFormat.NATIVE: "native ad",
    AdFormat.SPONSORED_PRODUCT: "sponsored product",
    AdFormat.VIDEO: "video",
}
# A service's "required" problem in words a marketer reads, beside the field it names.
REQUIRED_WORDS = {
    "click_url": "where should a click take people? e.g. https://your-site.example/offer",
    "title": "write a headline",
    "duration_seconds": "how long is the video, in seconds?",
    "media_url": "upload the video file or give its URL",
    "sku": "choose the product to promote",
    "image": "choose the image",
}
# The form field a service or model problem belongs to.
FIELD_OF = {"size": "image", "image_url": "image", "media_url": "video", "media_type": "video"}


@dataclass(frozen=True, slots=True)
class Target:
    """Where a new creative goes: its line item (the placements say which formats and sizes
    fit), and the creative it replaces, if it replaces one."""

    line_item: LineItem
    campaign: Campaign
    replaces: Preview | None

    @property
    def formats(self) -> list[AdFormat]:
        return sorted({p.format for p in self.line_item.placements}, key=list(AdFormat).index)

    def sizes(self, ad_format: AdFormat) -> dict[str, list[str]]:
        """Each size the line item's placements of `ad_format` take, with their names."""
        found: dict[str, list[str]] = {}
        for p in self.line_item.placements:
            if p.format is ad_format:
                for size in p.sizes:
                    found.setdefault(size, []).append(p.name)
        return found


@dataclass(frozen=True, slots=True)
class LineItemCreatives:
    """One line item of a campaign page with its creatives, newest first."""

    line_item: LineItem
    creatives: list[Preview]

    @property
    def sizes(self) -> list[str]:
        return sorted({s for p in self.line_item.placements for s in p.sizes})


def size_problem(size: str, sizes: dict[str, list[str]]) -> str | None:
    """Why an image of `size` fits none of the placements, naming the sizes that do; None if it fits."""
    if not sizes or size in sizes:
        return None
    allowed = "; ".join(f"{s} ({', '.join(names)})" for s, names in sorted(sizes.items()))
    return f"This image is {size} pixels. This line item's placements take {allowed}: resize it to one of those."


def describe(c: Creative) -> str:
    """A creative in a few words: `banner 300x250`, `video`, `sponsored product TENT-2P`."""
    return " ".join(part for part in (FORMAT_WORDS[c.format], c.size, c.sku, c.title and f"“{c.title}”") if part)


def campaign_creatives(request: Request, db: Session, campaign: Campaign) -> list[LineItemCreatives]:
    """The campaign page's creatives, by line item (archived ones are history: not shown)."""
    items = list(
        db.scalars(
            select(LineItem)
            .options(selectinload(LineItem.placements))
            .where(LineItem.campaign_id == campaign.id, LineItem.status != DeliveryStatus.ARCHIVED)
            .order_by(LineItem.created_at)
        )
    )
    live = list(
        db.scalars(
            select(Creative)
            .where(Creative.line_item_id.in_([li.id for li in items]), Creative.archived_at.is_(None))
            .order_by(Creative.created_at.desc())
        )
    )
    shown = previews(db, live, own_hosts(request))
    return [LineItemCreatives(li, [p for p in shown if p.creative.line_item_id == li.id]) for li in items]


def _target(request: Request, db: Session, user: DashboardUser, line_item_id: str, replaces_id: str) -> Target:
    """The line item (and the creative replaced) as the brand may see them; 404 otherwise."""
    replaces = None
    if replaces_id:
        old = creatives.get(db, user.principal, replaces_id)
        if old.archived_at is not None or old.line_item_id is None:
            raise NotFound(f"no creative {replaces_id!r} to replace")
        replaces = previews(db, [old], own_hosts(request))[0]
        line_item_id = old.line_item_id
    if not line_item_id:
        raise NotFound("say which line item the creative is for")
    line_item = line_items.get(db, user.principal, line_item_id)
    if line_item.status is DeliveryStatus.ARCHIVED:
        raise NotFound(f"line item {line_item_id!r} is archived")
    return Target(line_item, campaigns.get(db, user.principal, line_item.campaign_id), replaces)


def _page(
    request: Request,
    user: DashboardUser,
    line_item_id: str,
    replaces_id: str,
    values: dict[str, Any],
    errors: FieldErrors,
    status_code: int = 200,
) -> Response:
    with session_scope(runtime_of(request).db_sessions) as db:
        target = _target(request, db, user, line_item_id, replaces_id)
        values.setdefault(
            "format",
            (target.replaces.creative.format if target.replaces else target.formats[0]).value if target.formats else "",
        )
        taken = {
            c.sku
            for c in db.scalars(
                select(Creative).where(Creative.line_item_id == target.line_item.id, Creative.archived_at.is_(None))
            )
        }
        return render(
            request,
            "brand/creative_new.html",
            status_code=status_code,
            title="Replace a creative" if target.replaces else "Add a creative",
            target=target,
            values=values,
            errors=errors,
            formats=target.formats,
            format_words=FORMAT_WORDS,
            sizes={f.value: target.sizes(f) for f in target.formats},
            skus=[s for s in target.line_item.products if s not in taken or s == values.get("sku")],
            max_video_mb=MAX_VIDEO_BYTES // MiB,
            describe=describe,
        )


@router.get("/brand/creatives/new")
def new_creative(request: Request, user: AdvertiserUser, line_item: str = "", replaces: str = "") -> Response:
    return _page(request, user, line_item[:40], replaces[:40], {}, {})


def checked_image(
    request: Request, form: FormData, target: Target, ad_format: AdFormat, values: dict[str, Any], errors: FieldErrors
) -> tuple[str | None, str | None]:
    """The image's URL and size: checked against the placements before it is stored."""
    upload = form.get("image")
    folder = runtime_of(request).settings.data_dir
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            image = read_image_from(upload.file)
        else:
            kept = kept_upload(request, values["image_kept"])
            if kept is None:
                return None, None
            image = read_image((folder / UPLOADS / kept[1]).read_bytes())
    except BadUpload as exc:
        errors["image"] = str(exc)
        return None, None
    problem = size_problem(image.size, target.sizes(ad_format)) if ad_format in SIZED_FORMATS else None
    if problem:
        errors["image"] = problem
        values["image_kept"] = ""
        return None, None
    values["image_kept"] = store(folder, image)
    return upload_url(runtime_of(request).settings.base_url(), values["image_kept"]), image.size


def _spec(
    request: Request, form: FormData, target: Target, values: dict[str, Any], errors: FieldErrors
) -> CreativeCreate | None:
    try:
        ad_format = AdFormat(values["format"])
    except ValueError:
        ad_format = None
    if ad_format not in target.formats:
        errors["format"] = f"this line item runs {', '.join(FORMAT_WORDS[f] for f in target.formats)} creatives"
        return None
    assert ad_format is not None
    fields: dict[str, Any] = {"format": ad_format, "click_url": values["click_url"] or None}
    if ad_format in (AdFormat.BANNER, AdFormat.NATIVE):
        image_url, size = checked_image(request, form, target, ad_format, values, errors)
        if ad_format is AdFormat.BANNER and image_url is None and "image" not in errors:
            errors["image"] = REQUIRED_WORDS["image"]
        fields |= {"image_url": image_url}
        fields |= (
            {"size": size}
            if ad_format is AdFormat.BANNER
            else {"title": values["title"] or None, "body": values["body"] or None}
        )
    elif ad_format is AdFormat.VIDEO:
        media_url, media_type = checked_video(request, form, values, errors)
        fields |= {
            "media_url": media_url,
            "media_type": media_type,
            "duration_seconds": values["duration_seconds"] or None,
        }
    else:
        fields = {"format": ad_format, "sku": values["sku"] or None}
    try:
        return CreativeCreate(line_item_id=target.line_item.id, **fields)
    except ValidationError as exc:
        errors |= {k: v for k, v in plain_errors(errors_of(exc)).items() if k not in errors}
        return None


def plain_errors(found: FieldErrors) -> FieldErrors:
    """Service and model problems beside the form's fields, in a marketer's words."""
    shown: FieldErrors = {}
    for key, message in found.items():
        field = FIELD_OF.get(key.split(".", 1)[0], key.split(".", 1)[0])
        if message.startswith("required for a "):
            message = REQUIRED_WORDS.get(key, REQUIRED_WORDS.get(field, message))
        elif "must be an absolute http" in message:
            message = "a web address starting with https://"
        elif key == "size" and "fits none" in message:
            message = f"the image {message}"
        shown.setdefault(field, message)
    return shown


@router.post("/brand/creatives/new")
def create_creative(request: Request, user: AdvertiserUser, form: CheckedForm) -> Response:
    """Plain `def`: the file is checked and stored, and the creative saved, in the thread pool."""
    line_item_id, replaces_id = text(form, "line_item")[:40], text(form, "replaces")[:40]
    values: dict[str, Any] = {
        k: text(form, k)
        for k in (
            "format",
            "click_url",
            "title",
            "body",
            "media_url",
            "duration_seconds",
            "sku",
            "image_kept",
            "video_kept",
        )
    }
    errors: FieldErrors = {}
    with session_scope(runtime_of(request).db_sessions) as db:
        target = _target(request, db, user, line_item_id, replaces_id)
    spec = _spec(request, form, target, values, errors)
    if spec is None or errors:
        return _page(request, user, line_item_id, replaces_id, values, errors, 400)
    try:
        with session_scope(runtime_of(request).db_sessions) as db:
            if target.replaces:
                made = creatives.replace(db, user.principal, target.replaces.creative.id, spec)
            else:
                made = creatives.create(db, user.principal, spec)
            words, campaign_id = describe(made), target.campaign.id
    except ShelfspaceError as exc:
        return _page(
            request,
            user,
            line_item_id,
            replaces_id,
            values,
            plain_errors(errors_of(exc)) or {GENERAL: exc.message},
            400,
        )
    done = f"Your {words} is waiting for the operator's review" + (
        "; the rejected one is archived."
        if target.replaces and target.replaces.creative.status is ReviewStatus.REJECTED
        else "; the one it replaces is archived."
        if target.replaces
        else "."
    )
    return redirect_with(request, f"/brand/campaigns/{campaign_id}#creatives", done)


@router.post("/brand/creatives/{creative_id}/archive")
def archive_creative(request: Request, creative_id: str, user: AdvertiserUser, form: CheckedForm) -> Response:
    """Stop showing a creative: archived (kept in the reports), never served again."""
    with session_scope(runtime_of(request).db_sessions) as db:
        creative = creatives.archive(db, user.principal, creative_id[:40])
        words = describe(creative)
        line_item = db.get(LineItem, creative.line_item_id) if creative.line_item_id else None
        back = f"/brand/campaigns/{line_item.campaign_id}#creatives" if line_item else "/brand/creatives"
    return redirect_with(request, back, f"Your {words} is archived: it no longer serves.")


def brand_previews(request: Request, db: Session, found: Sequence[Creative]) -> dict[str, Preview]:
    """Previews (for thumbnails) of a list of the brand's creatives, by creative id."""
    return {p.creative.id: p for p in previews(db, list(found), own_hosts(request))}
