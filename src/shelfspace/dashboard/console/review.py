"""/console/review: brands waiting for approval, and creatives waiting for review, with previews.

A brand is approved with its terms (prepaid, or credit up to a limit; console/terms_form.py)
when the reviewer holds the billing right, else prepaid, as it signed up. Declining a
brand and rejecting creatives ask first (static/shelfspace.js `data-confirm`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, NamedTuple
from urllib.parse import urlsplit

from fastapi import Path, Request
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from shelfspace.accounts.models import User
from shelfspace.accounts.rights import Right
from shelfspace.billing import terms
from shelfspace.catalog.enums import AdvertiserStatus, ReviewStatus
from shelfspace.catalog.models import Advertiser, Creative, Product
from shelfspace.catalog.promotable import is_own
from shelfspace.catalog.schemas import AdvertiserUpdate, CreativeUpdate
from shelfspace.catalog.services import advertisers, creatives
from shelfspace.core.errors import NotFound, ShelfspaceError
from shelfspace.core.inputs import KEY_PATTERN
from shelfspace.dashboard.console import terms_form
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import FieldErrors, errors_of, text
from shelfspace.dashboard.previews import previews
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import OperatorUser
from shelfspace.db.session import session_scope
from shelfspace.http.security_headers import creative_preview
from shelfspace.runtime import runtime_of

router = page_router()


class SkuOwner(NamedTuple):
    """Whose product a sponsored-product creative promotes, as its review card says."""

    brand: str | None
    own: bool  # one of the advertiser's own brands (catalog/promotable.py)
    reseller: bool  # the advertiser may promote other brands' products


def sku_owners(db: Session, queue: list[Creative]) -> dict[str, SkuOwner]:
    """Each sponsored-product creative's product brand, and whether it is its advertiser's own."""
    skus = {c.sku for c in queue if c.sku}
    if not skus:
        return {}
    brands = {sku: brand for sku, brand in db.execute(select(Product.sku, Product.brand).where(Product.sku.in_(skus)))}
    owners = {
        a.id: a for a in db.scalars(select(Advertiser).where(Advertiser.id.in_({c.advertiser_id for c in queue})))
    }
    found = {}
    for c in queue:
        advertiser = owners.get(c.advertiser_id)
        if c.sku and c.sku in brands and advertiser is not None:
            brand = brands[c.sku]
            found[c.id] = SkuOwner(brand, is_own(advertiser, brand), advertiser.reseller)
    return found


BULK = "bulk"  # the errors and typed reason of the form that reviews the ticked creatives at once
MAX_AT_ONCE = 200  # creatives one bulk review may name


class Verdict(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


def own_hosts(request: Request) -> set[str]:
    """Hosts this network serves from: images there are safe to show in a preview."""
    settings = runtime_of(request).settings
    return {urlsplit(settings.base_url()).netloc, request.url.netloc}


def _page(
    request: Request,
    status_code: int = 200,
    errors: dict[str, FieldErrors] | None = None,
    typed: dict[str, str] | None = None,
    ticked: set[str] | None = None,
    terms_typed: dict[str, dict[str, str]] | None = None,
) -> Response:
    with session_scope(runtime_of(request).db_sessions) as db:
        waiting = list(
            db.scalars(
                select(Advertiser).where(Advertiser.status == AdvertiserStatus.PENDING).order_by(Advertiser.created_at)
            )
        )
        queue = list(
            db.scalars(
                select(Creative)
                .where(Creative.status == ReviewStatus.PENDING, Creative.archived_at.is_(None))
                .order_by(Creative.created_at)
            )
        )
        shown = previews(db, queue, own_hosts(request))
        owners = sku_owners(db, queue)
        signups: dict[str, list[tuple[str, bool]]] = {}  # whether each waiting brand's people proved their e-mail
        for email, advertiser_id, verified_at in db.execute(
            select(User.email, User.advertiser_id, User.email_verified_at)
            .where(User.advertiser_id.in_([a.id for a in waiting]))
            .order_by(User.created_at)
        ):
            signups.setdefault(advertiser_id or "", []).append((email, verified_at is not None))
        return render(
            request,
            "operator/review.html",
            status_code=status_code,
            title="Review",
            advertisers=waiting,
            signups=signups,
            previews=shown,
            owners=owners,
            errors=errors or {},
            typed=typed or {},
            ticked=ticked or set(),
            bulk=BULK,
            terms_typed=terms_typed or {},
            modes=terms_form.MODES,
        )


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
        rt = runtime_of(request)
        with session_scope(rt.db_sessions) as db:
            creative = creatives.update(db, user.principal, creative_id, spec, on_review=rt.on_creative_review)
            done = f"Creative {creative.id} {'approved: it can serve now' if status is ReviewStatus.APPROVED else 'rejected; the brand sees your reason'}."
    except (ValidationError, ShelfspaceError) as exc:
        found = errors_of(exc)
        message = found.get("review_note") or next(iter(found.values()))
        return _page(request, 400, errors={creative_id: {"reason": message}}, typed={creative_id: reason})
    except ValueError as exc:
        return _page(request, 400, errors={creative_id: {"reason": str(exc)}})
    return redirect_with(request, "/console/review", done)


@router.post("/console/review/creatives")
def review_many(request: Request, user: OperatorUser, form: CheckedForm) -> Response:
    """The ticked creatives approved or rejected at once, with one reason: all of them or
    none (one transaction), each audited and told to its brand as a single review is."""
    verdict, reason = text(form, "verdict"), text(form, "reason")
    ids = list(dict.fromkeys(str(i) for i in form.getlist("ids")))
    if not ids:
        return _page(
            request, 400, errors={BULK: {"reason": "Tick the creatives to review first."}}, typed={BULK: reason}
        )
    if len(ids) > MAX_AT_ONCE:
        return _page(
            request,
            400,
            errors={BULK: {"reason": f"Review at most {MAX_AT_ONCE} creatives at once."}},
            typed={BULK: reason},
        )
    if verdict not in set(Verdict):
        return _page(request, 400, errors={BULK: {"reason": "Choose approve or reject."}}, typed={BULK: reason})
    status = ReviewStatus.APPROVED if verdict == Verdict.APPROVE else ReviewStatus.REJECTED
    try:
        spec = CreativeUpdate(status=status, review_note=reason or None)
        rt = runtime_of(request)
        with session_scope(rt.db_sessions) as db:
            for creative_id in ids:
                creatives.update(db, user.principal, creative_id, spec, on_review=rt.on_creative_review)
    except (ValidationError, ShelfspaceError) as exc:
        found = errors_of(exc)
        message = found.get("review_note") or next(iter(found.values()))
        return _page(request, 400, errors={BULK: {"reason": message}}, typed={BULK: reason}, ticked=set(ids))
    done = (
        "approved: they can serve now" if status is ReviewStatus.APPROVED else "rejected; each brand sees your reason"
    )
    return redirect_with(request, "/console/review", f"{len(ids)} creative{'s' if len(ids) != 1 else ''} {done}.")


@router.post("/console/review/advertisers/{advertiser_id}")
def review_advertiser(request: Request, advertiser_id: str, user: OperatorUser, form: CheckedForm) -> Response:
    """Approve a brand with its terms, or decline it. The terms are finance's (`Right.BILLING`):
    anyone else approves it prepaid, as it signed up, and finance may give credit later."""
    verdict = text(form, "verdict")
    if verdict not in set(Verdict):
        return _page(request, 400, errors={advertiser_id: {"verdict": "choose approve or decline"}})
    if verdict == Verdict.REJECT:
        with session_scope(runtime_of(request).db_sessions) as db:
            name = advertisers.update(
                db, user.principal, advertiser_id, AdvertiserUpdate(status=AdvertiserStatus.SUSPENDED)
            ).name
        return redirect_with(request, "/console/review", f"{name} declined.")
    currency = runtime_of(request).settings.currency
    typed: dict[str, str] = {}
    wanted = None
    if user.may(Right.BILLING):
        typed, wanted, errors = terms_form.read(form, currency, approval=True)
        if wanted is None:
            return _page(request, 400, errors={advertiser_id: errors}, terms_typed={advertiser_id: typed})
    try:
        with session_scope(runtime_of(request).db_sessions) as db:  # approved with its terms, or not at all
            advertiser = advertisers.update(
                db, user.principal, advertiser_id, AdvertiserUpdate(status=AdvertiserStatus.ACTIVE)
            )
            if wanted is not None:
                terms.set_terms(
                    db, user.principal, advertiser_id, wanted.billing_mode, wanted.credit_limit, wanted.reason
                )
            name = advertiser.name
    except (ValidationError, ShelfspaceError) as exc:
        return _page(
            request,
            400,
            errors={advertiser_id: terms_form.errors_in_words(exc, currency)},
            terms_typed={advertiser_id: typed},
        )
    said = (
        terms_form.described(wanted.billing_mode, wanted.credit_limit, currency)
        if wanted is not None
        else "prepaid (it spends what it tops up); finance can give it credit on its page"
    )
    return redirect_with(request, "/console/review", f"{name} approved, {said}. It can build campaigns now.")


@router.get("/console/review/creatives/{creative_id}/preview")
def creative_markup(
    request: Request, creative_id: Annotated[str, Path(max_length=40, pattern=KEY_PATTERN)], user: OperatorUser
) -> Response:
    """An HTML banner's markup for the preview's frame (_preview.html), under the policy
    http/security_headers.py gives creatives: sandboxed, its inline styles allowed."""
    with session_scope(runtime_of(request).db_sessions) as db:
        creative = db.get(Creative, creative_id)
        markup = creative.html if creative is not None else None
    if markup is None:
        raise NotFound(f"no HTML creative {creative_id}")
    return creative_preview(markup)
