"""/console/review: brands waiting for approval, and creatives waiting for review, with previews."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Path, Request
from pydantic import ValidationError
from sqlalchemy import select
from starlette.responses import Response

from shelfspace.accounts.models import User
from shelfspace.catalog.enums import AdvertiserStatus, ReviewStatus
from shelfspace.catalog.models import Advertiser, Creative
from shelfspace.catalog.schemas import AdvertiserUpdate, CreativeUpdate
from shelfspace.catalog.services import advertisers, creatives
from shelfspace.core.errors import NotFound, ShelfspaceError
from shelfspace.core.inputs import KEY_PATTERN
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import FieldErrors, errors_of, text
from shelfspace.dashboard.previews import previews
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import OperatorUser
from shelfspace.db.session import session_scope
from shelfspace.http.security_headers import creative_preview

router = page_router()


class Verdict(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


def own_hosts(request: Request) -> set[str]:
    """Hosts this network serves from: images there are safe to show in a preview."""
    settings = request.app.state.settings
    return {urlsplit(settings.base_url()).netloc, request.url.netloc}


def _page(request: Request, status_code: int = 200, errors: dict[str, FieldErrors] | None = None,
          typed: dict[str, str] | None = None) -> Response:
    with session_scope(request.app.state.sessions) as db:
        waiting = list(db.scalars(select(Advertiser).where(Advertiser.status == AdvertiserStatus.PENDING)
                                  .order_by(Advertiser.created_at)))
        queue = list(db.scalars(select(Creative).where(Creative.status == ReviewStatus.PENDING,
                                                       Creative.archived_at.is_(None)).order_by(Creative.created_at)))
        shown = previews(db, queue, own_hosts(request))
        signups: dict[str, list[tuple[str, bool]]] = {}  # whether each waiting brand's people proved their e-mail
        for email, advertiser_id, verified_at in db.execute(
                select(User.email, User.advertiser_id, User.email_verified_at)
                .where(User.advertiser_id.in_([a.id for a in waiting])).order_by(User.created_at)):
            signups.setdefault(advertiser_id or "", []).append((email, verified_at is not None))
        return render(request, "operator/review.html", status_code=status_code, title="Review", advertisers=waiting,
                      signups=signups,
                      previews=shown, errors=errors or {}, typed=typed or {})


@router.get("/console/review")
def review_queue(request: Request, user: OperatorUser) -> Response:
    return _page(request)


@router.post("/console/review/creatives/{creative_id}")
def review_creative(request: Request, creative_id: str, user: OperatorUser, form: CheckedForm) -> Response:
    verdict, reason = text(form, "verdict"), text(form, "reason")
    try:
        status = ReviewStatus.APPROVED if verdict == Verdict.APPROVE else ReviewStatus.REJECTED
        if verdict not in set(Verdict):
            raise ValueError("choose approve or reject")
        spec = CreativeUpdate(status=status, review_note=reason or None)
        with session_scope(request.app.state.sessions) as db:
            creative = creatives.update(db, user.principal, creative_id, spec)
            done = f"Creative {creative.id} {'approved: it can serve now' if status is ReviewStatus.APPROVED else 'rejected; the brand sees your reason'}."
    except (ValidationError, ShelfspaceError) as exc:
        found = errors_of(exc)
        message = found.get("review_note") or next(iter(found.values()))
        return _page(request, 400, errors={creative_id: {"reason": message}}, typed={creative_id: reason})
    except ValueError as exc:
        return _page(request, 400, errors={creative_id: {"reason": str(exc)}})
    return redirect_with(request, "/console/review", done)


@router.post("/console/review/advertisers/{advertiser_id}")
def review_advertiser(request: Request, advertiser_id: str, user: OperatorUser, form: CheckedForm) -> Response:
    verdict = text(form, "verdict")
    if verdict not in set(Verdict):
        return _page(request, 400, errors={advertiser_id: {"verdict": "choose approve or decline"}})
    status = AdvertiserStatus.ACTIVE if verdict == Verdict.APPROVE else AdvertiserStatus.SUSPENDED
    with session_scope(request.app.state.sessions) as db:
        advertiser = advertisers.update(db, user.principal, advertiser_id, AdvertiserUpdate(status=status))
        name = advertiser.name
    done = f"{name} approved: it can build campaigns now." if status is AdvertiserStatus.ACTIVE else f"{name} declined."
    return redirect_with(request, "/console/review", done)


@router.get("/console/review/creatives/{creative_id}/preview")
def creative_markup(request: Request, creative_id: Annotated[str, Path(max_length=40, pattern=KEY_PATTERN)],
                    user: OperatorUser) -> Response:
    """An HTML banner's markup for the preview's frame (_preview.html), under the policy
    http/security_headers.py gives creatives: sandboxed, its inline styles allowed."""
    with session_scope(request.app.state.sessions) as db:
        creative = db.get(Creative, creative_id)
        markup = creative.html if creative is not None else None
    if markup is None:
        raise NotFound(f"no HTML creative {creative_id}")
    return creative_preview(markup)
