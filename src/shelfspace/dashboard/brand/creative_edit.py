"""/brand/creatives/{id}/edit: a brand changes one of its creatives, with the fields and checks
of the form that adds one (templates/brand/_creative_fields.html, static/creatives.js, and
dashboard/brand/creatives.py's image and video checks), through `creatives.update`, the
service the API's PATCH uses, so the same rules hold whichever way the change comes:

- a change to anything the operator judged (the image, the text, the click address, the
  video, the HTML, the product) sends the creative back to review: it stops serving until
  it is approved again (`services/creatives.py` update, audited with the status change);
- a move to another line item keeps the approval only where it covers the new placements
  (catalog/review_scope.py): a line item running on a placement the old one did not sends
  it back to review too.

The page says so before saving, and the flash after saving says what happened. Another
brand's creative, or an archived one, is not found; the form carries the CSRF token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.datastructures import FormData
from starlette.responses import Response

from shelfspace.catalog.enums import AdFormat, DeliveryStatus, ReviewStatus
from shelfspace.catalog.models import Campaign, Creative, LineItem
from shelfspace.catalog.schemas import CreativeUpdate
from shelfspace.catalog.services import creatives
from shelfspace.catalog.services.creatives import CONTENT_FIELDS
from shelfspace.core.errors import NotFound, ShelfspaceError
from shelfspace.dashboard.brand.creatives import (
    FORMAT_WORDS,
    Target,
    checked_image,
    describe,
    plain_errors,
    size_problem,
)
from shelfspace.dashboard.console.review import own_hosts
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import GENERAL, FieldErrors, errors_of, text
from shelfspace.dashboard.previews import Preview, previews
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AdvertiserUser, DashboardUser
from shelfspace.dashboard.uploads import MAX_VIDEO_BYTES, checked_video
from shelfspace.db.session import session_scope
from shelfspace.http.body_limits import MiB
from shelfspace.runtime import runtime_of

router = page_router()

FIELDS = (
    "line_item",
    "click_url",
    "title",
    "body",
    "media_url",
    "duration_seconds",
    "bitrate_kbps",
    "html",
    "size",
    "sku",
    "image_kept",
    "video_kept",
)
# What the brand changed, in its words, for the flash after saving.
CHANGE_WORDS = {
    "image_url": "image",
    "size": "size",
    "click_url": "click address",
    "title": "headline",
    "body": "text",
    "media_url": "video",
    "duration_seconds": "length",
    "bitrate_kbps": "bitrate",
    "html": "HTML",
    "sku": "product",
    "line_item_id": "line item",
}
WHOLE_NUMBERS = {
    "duration_seconds": "a whole number of seconds, from 1 to 600",
    "bitrate_kbps": "a whole number of kbps, from 50 to 100000, or nothing",
}


@dataclass(frozen=True, slots=True)
class Choice:
    """A line item of the brand the creative may run on: one buying its format."""

    line_item: LineItem
    campaign: Campaign

    @property
    def label(self) -> str:
        return f"{self.campaign.name}: {self.line_item.name} (runs on {', '.join(p.name for p in self.line_item.placements)})"


@dataclass(frozen=True, slots=True)
class Editing:
    """The creative as the brand may change it, and where it may run."""

    current: Preview
    choices: list[Choice]

    @property
    def creative(self) -> Creative:
        return self.current.creative

    def choice(self, line_item_id: str) -> Choice | None:
        return next((c for c in self.choices if c.line_item.id == line_item_id), None)

    def target(self, choice: Choice) -> Target:
        return Target(choice.line_item, choice.campaign, None)


def _editing(request: Request, db: Session, user: DashboardUser, creative_id: str) -> Editing:
    """The creative (404 if it is another brand's or archived) and the line items it may move to."""
    creative = creatives.get(db, user.principal, creative_id)
    if creative.archived_at is not None:
        raise NotFound(f"creative {creative_id!r} is archived")
    rows = db.execute(
        select(LineItem, Campaign)
        .join(Campaign, Campaign.id == LineItem.campaign_id)
        .options(selectinload(LineItem.placements))
        .where(
            LineItem.advertiser_id == creative.advertiser_id,
            LineItem.status != DeliveryStatus.ARCHIVED,
            Campaign.status != DeliveryStatus.ARCHIVED,
        )
        .order_by(Campaign.created_at, LineItem.created_at)
    ).all()
    choices = [Choice(li, c) for li, c in rows if creative.format in {p.format for p in li.placements}]
    if not choices or (creative.line_item_id and all(c.line_item.id != creative.line_item_id for c in choices)):
        raise NotFound(f"creative {creative_id!r} runs on an archived line item")
    return Editing(previews(db, [creative], own_hosts(request))[0], choices)


def _values(creative: Creative) -> dict[str, Any]:
    """The form filled in with the creative as it is."""
    shown = {
        k: getattr(creative, k)
        for k in ("click_url", "title", "body", "media_url", "duration_seconds", "bitrate_kbps", "html", "size", "sku")
    }
    return {k: "" if v is None else str(v) for k, v in shown.items()} | {
        "line_item": creative.line_item_id or "",
        "image_kept": "",
        "video_kept": "",
    }


def _page(
    request: Request,
    user: DashboardUser,
    creative_id: str,
    values: dict[str, Any] | None,
    errors: FieldErrors,
    status_code: int = 200,
) -> Response:
    with session_scope(runtime_of(request).db_sessions) as db:
        editing = _editing(request, db, user, creative_id)
        creative = editing.creative
        values = values if values is not None else _values(creative)
        chosen = (
            editing.choice(values["line_item"]) or editing.choice(creative.line_item_id or "") or editing.choices[0]
        )
        target = editing.target(chosen)
        taken = {
            c.sku
            for c in db.scalars(
                select(Creative).where(
                    Creative.line_item_id == chosen.line_item.id,
                    Creative.archived_at.is_(None),
                    Creative.id != creative.id,
                )
            )
        }
        banner = target.sizes(AdFormat.BANNER)
        return render(
            request,
            "brand/creative_edit.html",
            status_code=status_code,
            title=f"Edit your {describe(creative)}",
            editing=editing,
            current=editing.current,
            chosen=chosen,
            values=values,
            errors=errors,
            format_words=FORMAT_WORDS,
            sizes={creative.format.value: target.sizes(creative.format)},
            sizes_json={c.line_item.id: json.dumps(editing.target(c).sizes(creative.format)) for c in editing.choices},
            size_options=[(s, f"{s} ({', '.join(names)})") for s, names in sorted(banner.items())]
            + (
                [(creative.size, f"{creative.size} (its size now)")]
                if creative.size and creative.size not in banner
                else []
            ),
            skus=[s for s in chosen.line_item.products if s not in taken or s == creative.sku],
            max_video_mb=MAX_VIDEO_BYTES // MiB,
            describe=describe,
        )


@router.get("/brand/creatives/{creative_id}/edit")
def edit_creative(request: Request, creative_id: str, user: AdvertiserUser) -> Response:
    return _page(request, user, creative_id[:40], None, {})


def _update(
    request: Request, form: FormData, editing: Editing, choice: Choice, values: dict[str, Any], errors: FieldErrors
) -> CreativeUpdate | None:
    """The creative's fields from the form, checked as the add form checks them; a file not
    chosen again keeps the creative's own. Unchanged fields change nothing in the service."""
    creative, target = editing.creative, editing.target(choice)
    ad_format = creative.format
    fields: dict[str, Any] = (
        {"line_item_id": choice.line_item.id} if choice.line_item.id != creative.line_item_id else {}
    )
    if ad_format in (AdFormat.BANNER, AdFormat.NATIVE, AdFormat.VIDEO):
        fields["click_url"] = values["click_url"] or None
    if ad_format in (AdFormat.BANNER, AdFormat.NATIVE) and creative.html:
        fields |= {"html": values["html"] or None, "size": values["size"] or None}
    elif ad_format in (AdFormat.BANNER, AdFormat.NATIVE):
        image_url, size = checked_image(request, form, target, ad_format, values, errors)
        if image_url is not None:
            fields |= {"image_url": image_url} | ({"size": size} if ad_format is AdFormat.BANNER else {})
        elif ad_format is AdFormat.BANNER and "image" not in errors and creative.size:
            problem = size_problem(creative.size, target.sizes(ad_format))  # moved: the kept image must fit there
            if problem:
                errors["image"] = problem.replace("This image", "The current image", 1)
    if ad_format is AdFormat.NATIVE:
        fields |= {"title": values["title"] or None, "body": values["body"] or None}
    elif ad_format is AdFormat.VIDEO:
        media_url, media_type = checked_video(request, form, values, errors)
        if media_type is None and media_url == creative.media_url:
            media_type = creative.media_type  # the same file: its type as it was
        fields |= {
            "media_url": media_url,
            "media_type": media_type,
            "duration_seconds": values["duration_seconds"] or None,
            "bitrate_kbps": values["bitrate_kbps"] or None,
        }
    elif ad_format is AdFormat.SPONSORED_PRODUCT:
        fields["sku"] = values["sku"] or None
    try:
        return CreativeUpdate(**fields)
    except ValidationError as exc:
        errors |= {k: v for k, v in _shown(errors_of(exc), creative).items() if k not in errors}
        return None


def _shown(found: FieldErrors, creative: Creative) -> FieldErrors:
    """A service's or model's problems beside this form's fields, in a marketer's words."""
    kept: FieldErrors = {}
    if creative.html:  # an HTML banner: its markup and size are fields of their own here
        kept = {
            ("html" if k == "image_url" else k): ("write the banner's HTML" if k == "image_url" else v)
            for k, v in found.items()
            if k in ("html", "size", "image_url")
        }
        found = {k: v for k, v in found.items() if k not in kept and k != "image_url"}
    shown = {("line_item" if k == "line_item_id" else k): v for k, v in plain_errors(found).items()}
    return (
        shown
        | {k: WHOLE_NUMBERS[k] for k, v in found.items() if k in WHOLE_NUMBERS and not v.startswith("required")}
        | kept
    )


def _snapshot(creative: Creative) -> dict[str, Any]:
    return {f: getattr(creative, f) for f in (*sorted(CONTENT_FIELDS), "line_item_id")}


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def summary(
    words: str, before: dict[str, Any], after: dict[str, Any], was: ReviewStatus, now: ReviewStatus, line_item: str
) -> str:
    """The flash after saving: what changed, and where the creative stands with the review."""
    changed = list(dict.fromkeys(w for k, w in CHANGE_WORDS.items() if k in after and before[k] != after[k]))
    if not changed:
        return f"Nothing was changed in your {words}."
    said = [f"Your {words} is saved: {_listed(changed)} changed."]
    content = [k for k in CONTENT_FIELDS if before[k] != after[k]]
    if now is ReviewStatus.PENDING and was is ReviewStatus.APPROVED:
        why = (
            "a change to what the operator approved"
            if content
            else f"{line_item} runs on placements its approval did not cover"
        )
        said.append(f"It is back in the operator's review ({why}): it does not serve until it is approved again.")
    elif now is ReviewStatus.PENDING and was is ReviewStatus.REJECTED:
        said.append("It is back in the operator's review, who sees your changes: it serves once approved.")
    elif now is ReviewStatus.PENDING:
        said.append("It is still in the operator's review, who sees it as you saved it.")
    elif "line_item_id" in after and before["line_item_id"] != after["line_item_id"]:
        said.append(f"Its approval covers where {line_item} runs: it keeps serving.")
    return " ".join(said)


@router.post("/brand/creatives/{creative_id}/edit")
def save_creative(request: Request, creative_id: str, user: AdvertiserUser, form: CheckedForm) -> Response:
    """Plain `def`: a new file is checked and stored, and the creative saved, in the thread pool."""
    creative_id = creative_id[:40]
    values: dict[str, Any] = {k: text(form, k) for k in FIELDS}
    errors: FieldErrors = {}
    with session_scope(runtime_of(request).db_sessions) as db:
        editing = _editing(request, db, user, creative_id)
    choice = editing.choice(values["line_item"])
    if choice is None:
        errors["line_item"] = "choose one of your line items that runs this creative's format"
        return _page(request, user, creative_id, values, errors, 400)
    spec = _update(request, form, editing, choice, values, errors)
    if spec is None or errors:
        return _page(request, user, creative_id, values, errors, 400)
    before, was = _snapshot(editing.creative), editing.creative.status
    try:
        rt = runtime_of(request)
        with session_scope(rt.db_sessions) as db:
            saved = creatives.update(db, user.principal, creative_id, spec, on_review=rt.on_creative_review)
            after, now, words = _snapshot(saved), saved.status, describe(saved)
    except ShelfspaceError as exc:
        shown = _shown(errors_of(exc), editing.creative) or {GENERAL: exc.message}
        return _page(request, user, creative_id, values, shown, 400)
    done = summary(words, before, after, was, now, choice.line_item.name)
    return redirect_with(request, f"/brand/campaigns/{choice.campaign.id}#creatives", done)
