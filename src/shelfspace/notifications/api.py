"""GET /v1/notifications and POST /v1/notifications/{id}/read: what brands were told
(creatives reviewed, budgets and funds, campaigns started and ended), for integrators.

An advertiser key lists and reads its own brand's notices (another brand's reads as not
found); an operator key every brand's, or one brand's with `advertiser_id`.

(No `from __future__ import annotations`: FastAPI reads these annotations.)
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from shelfspace.accounts.caller import Caller
from shelfspace.core.errors import InvalidInput
from shelfspace.core.inputs import KEY_PATTERN
from shelfspace.core.jsonbody import JsonBody
from shelfspace.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shelfspace.http.deps import Db
from shelfspace.http.errors import ERROR_RESPONSES
from shelfspace.notifications import service
from shelfspace.notifications.kinds import NoticeKind
from shelfspace.notifications.models import Notice
from shelfspace.notifications.schemas import NotificationOut, NotificationPage
from shelfspace.runtime import runtime_of

router = APIRouter(tags=["notifications"], responses=ERROR_RESPONSES)
NoticeId = Annotated[str, Path(max_length=40, pattern=KEY_PATTERN, description="The notification's id.")]


@router.get("/v1/notifications", response_model=NotificationPage, summary="List notifications, newest first")
def list_notifications(
    db: Db,
    by: Caller,
    advertiser_id: Annotated[
        str | None, Query(max_length=40, pattern=KEY_PATTERN, description="Operator: one brand's only.")
    ] = None,
    kind: Annotated[NoticeKind | None, Query(description="Only this kind.")] = None,
    unread: Annotated[bool | None, Query(description="true: only unread ones; false: only read ones.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=40, pattern=KEY_PATTERN, description="`next_cursor` of the previous page.")
    ] = None,
) -> JsonBody:
    """A brand's notices, newest first (keyset pages: `cursor` is the last id of the page before)."""
    stmt = service.visible(by, advertiser_id)
    if kind is not None:
        stmt = stmt.where(Notice.kind == kind)
    if unread is not None:
        stmt = stmt.where(Notice.read_at.is_(None) if unread else Notice.read_at.is_not(None))
    if cursor is not None:
        if not cursor.startswith("ntc_"):
            raise InvalidInput.on("cursor", "not a cursor returned by this list")
        stmt = stmt.where(Notice.id < cursor)
    rows = list(db.scalars(stmt.order_by(Notice.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return JsonBody(
        {
            "data": [NotificationOut.model_validate(r) for r in rows],
            "has_more": more,
            "next_cursor": rows[-1].id if more else None,
        }
    )


@router.post("/v1/notifications/{id}/read", response_model=NotificationOut, summary="Mark a notification read")
def read_notification(request: Request, db: Db, by: Caller, id: NoticeId) -> JsonBody:
    """Read for the whole brand (its people's bells count it no more); marking it again keeps
    the first time."""
    notice = service.mark_read(db, by, id, runtime_of(request).clock.now())
    return JsonBody(NotificationOut.model_validate(notice))
