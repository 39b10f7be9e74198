"""A brand's notices (/brand/notifications) and each person's choice of them
(/brand/settings/notifications).

The list shows the brand's notices the signed-in person keeps in the app, newest first, a
page at a time (all, or only the unread ones); each can be marked read, or all at once. A
notice read by one of the brand's people is read for all of them (notifications/models.py).
The settings page is a table of the kinds, with a box for the app and one for e-mail each;
no row stored means the kind's default (notifications/kinds.py). The count beside the bell
in the brand's navigation is dashboard/rendering.py `unread_notices`, on every brand page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from sqlalchemy import func, select
from starlette.responses import Response

from shelfspace.core.inputs import KEY_PATTERN
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import texts
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AdvertiserUser
from shelfspace.db.session import session_scope
from shelfspace.notifications import service
from shelfspace.notifications.kinds import KINDS, NoticeKind
from shelfspace.notifications.models import Notice
from shelfspace.runtime import runtime_of

router = page_router()

PER_PAGE = 20
MAX_PAGE = 10_000
NoticeId = Annotated[str, Path(max_length=40, pattern=KEY_PATTERN)]
LIST = "/brand/notifications"
SETTINGS = "/brand/settings/notifications"


@router.get(LIST)
def notifications_page(
    request: Request,
    user: AdvertiserUser,
    page: Annotated[str, Query(max_length=10)] = "1",
    show: Annotated[str, Query(max_length=10)] = "all",
) -> Response:
    """Wrong values of `page` and `show` fall back to the first page of all notices."""
    assert user.advertiser_id is not None
    asked, show = _page_of(page), "unread" if show == "unread" else "all"
    with session_scope(runtime_of(request).db_sessions) as db:
        hidden = service.hidden_kinds(db, user.id)
        mine = service.for_person(user.advertiser_id, user.id, hidden)
        unread = int(db.scalar(select(func.count()).select_from(mine.where(Notice.read_at.is_(None)).subquery())) or 0)
        shown = mine.where(Notice.read_at.is_(None)) if show == "unread" else mine
        total = int(db.scalar(select(func.count()).select_from(shown.subquery())) or 0)
        pages = max(1, -(-total // PER_PAGE))
        page_number = min(asked, pages)
        notices = list(
            db.scalars(shown.order_by(Notice.id.desc()).offset((page_number - 1) * PER_PAGE).limit(PER_PAGE))
        )
    return render(
        request,
        "brand/notifications.html",
        title="Notifications",
        notices=notices,
        unread=unread,
        show=show,
        page=page_number,
        pages=pages,
        total=total,
        per_page=PER_PAGE,
        hidden=hidden,
        kinds=KINDS,
    )


def _page_of(raw: str) -> int:
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_PAGE else 1


def _list_url(form_page: str, form_show: str) -> str:
    """Back to the list as it was (its page and filter), from the form's own fields."""
    page = _page_of(form_page)
    show = "unread" if form_show == "unread" else "all"
    query = "&".join(p for p in (f"page={page}" if page > 1 else "", "show=unread" if show == "unread" else "") if p)
    return LIST + (f"?{query}" if query else "")


@router.post(LIST + "/read-all")
def read_all(request: Request, user: AdvertiserUser, form: CheckedForm) -> Response:
    assert user.advertiser_id is not None
    with session_scope(runtime_of(request).db_sessions) as db:
        count = service.mark_all_read(db, user.advertiser_id, user.id, runtime_of(request).clock.now())
    done = f"{count} notification{'s' if count != 1 else ''} marked read." if count else "Nothing was unread."
    return redirect_with(request, LIST, done)


@router.post(LIST + "/{notice_id}/read")
def read_one(request: Request, notice_id: NoticeId, user: AdvertiserUser, form: CheckedForm) -> Response:
    with session_scope(runtime_of(request).db_sessions) as db:
        notice = service.mark_read(db, user.principal, notice_id, runtime_of(request).clock.now())
        title = notice.title
    back = _list_url(str(form.get("page") or ""), str(form.get("show") or ""))
    return redirect_with(request, back, f"“{title}” marked read.")


@router.get(SETTINGS)
def settings_page(request: Request, user: AdvertiserUser) -> Response:
    with session_scope(runtime_of(request).db_sessions) as db:
        chosen = service.choices(db, user.id)
    return render(
        request, "brand/notification_settings.html", title="Notification settings", choices=chosen, kinds=KINDS
    )


@router.post(SETTINGS)
def save_settings(request: Request, user: AdvertiserUser, form: CheckedForm) -> Response:
    in_app, email = set(texts(form, "in_app")), set(texts(form, "email"))
    chosen = [service.Choice(kind, kind.value in in_app, kind.value in email) for kind in NoticeKind]
    with session_scope(runtime_of(request).db_sessions) as db:
        service.choose(db, user.id, chosen)
    return redirect_with(request, SETTINGS, "Your notification settings are saved.")
