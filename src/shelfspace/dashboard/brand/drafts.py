"""Campaign drafts: a wizard a brand saves to finish later.

A draft is the wizard's fields as typed (a file uploaded before it was saved is kept: an
image by its address, a video by its stored name), stored per advertiser, so anyone of
the brand's people can finish it. It is not validated when saved, and books nothing: the
wizard checks it when it is finished, and the draft is deleted in the transaction that
creates its campaign. The brand's home lists them; each can be resumed or deleted.
Another brand's draft is "not found".
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Path, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from shelfspace.catalog.models import CampaignDraft
from shelfspace.core.errors import InvalidInput, NotFound
from shelfspace.core.ids import new_id
from shelfspace.core.inputs import KEY_PATTERN
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.rendering import redirect_with
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AdvertiserUser, DashboardUser
from shelfspace.db.session import session_scope
from shelfspace.runtime import runtime_of

router = page_router()

MAX_DRAFTS = 20  # an advertiser's drafts at once
MAX_BYTES = 64 * 1024  # a draft's fields, as JSON
UNTITLED = "Untitled campaign"
DraftId = Annotated[str, Path(max_length=40, pattern=KEY_PATTERN)]


def _found(db: Session, user: DashboardUser, draft_id: str) -> CampaignDraft | None:
    draft = db.get(CampaignDraft, draft_id) if draft_id and len(draft_id) <= 40 else None
    return draft if draft is not None and draft.advertiser_id == user.advertiser_id else None


def _mine(db: Session, user: DashboardUser, draft_id: str) -> CampaignDraft:
    draft = _found(db, user, draft_id)
    if draft is None:
        raise NotFound(f"no draft {draft_id!r}")
    return draft


def listed(db: Session, user: DashboardUser) -> list[CampaignDraft]:
    """The brand's drafts, the last saved first."""
    return list(
        db.scalars(
            select(CampaignDraft)
            .where(CampaignDraft.advertiser_id == user.advertiser_id)
            .order_by(CampaignDraft.updated_at.desc())
            .limit(MAX_DRAFTS)
        )
    )


def load(request: Request, user: DashboardUser, draft_id: str) -> dict[str, Any]:
    """A draft's fields as they were saved."""
    with session_scope(runtime_of(request).db_sessions) as db:
        return dict(_mine(db, user, draft_id).fields)


def save(request: Request, user: DashboardUser, draft_id: str, fields: dict[str, Any]) -> Response:
    """Keep the wizard's fields: in the draft it was resumed from, or a new one. InvalidInput
    when the brand has too many drafts or the fields are too large to keep."""
    if len(json.dumps(fields)) > MAX_BYTES:
        raise InvalidInput("This draft is too large to keep: shorten the longest fields (keywords, text).")
    name = (str(fields.get("name") or "").strip() or UNTITLED)[:200]
    with session_scope(runtime_of(request).db_sessions) as db:
        draft = _found(db, user, draft_id)  # a draft deleted meanwhile is saved anew
        if draft is not None:
            draft.name, draft.fields, draft.saved_by = name, fields, user.id
        else:
            count = (
                db.scalar(
                    select(func.count())
                    .select_from(CampaignDraft)
                    .where(CampaignDraft.advertiser_id == user.advertiser_id)
                )
                or 0
            )
            if count >= MAX_DRAFTS:
                raise InvalidInput(
                    f"You have {count} drafts already: finish or delete one on your campaigns page to save another."
                )
            db.add(
                CampaignDraft(
                    id=new_id("drf"), advertiser_id=user.advertiser_id, name=name, fields=fields, saved_by=user.id
                )
            )
    return redirect_with(
        request,
        "/brand#drafts",
        f"Draft \u201c{name}\u201d is saved. Nothing is booked: finish it from your campaigns when you're ready.",
    )


def finished(db: Session, user: DashboardUser, draft_id: str) -> None:
    """The draft a campaign was made from is done: deleted with the campaign's transaction."""
    draft = _found(db, user, draft_id)
    if draft is not None:
        db.delete(draft)


@router.post("/brand/drafts/{draft_id}/delete")
def delete_draft(request: Request, draft_id: DraftId, user: AdvertiserUser, form: CheckedForm) -> Response:
    with session_scope(runtime_of(request).db_sessions) as db:
        draft = _mine(db, user, draft_id)
        name = draft.name
        db.delete(draft)
    return redirect_with(request, "/brand#drafts", f"Draft \u201c{name}\u201d is deleted.")
