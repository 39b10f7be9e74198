"""POST /brand/campaigns/{id}/duplicate: a paused copy of the campaign, its line items and
creatives (catalog/duplicate.py says what is copied and how), then its edit page, whose
flash says what the copy holds and what waits for review."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import Request
from starlette.responses import Response

from shelfspace.catalog.duplicate import Copied, duplicate
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.rendering import redirect_with
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AdvertiserUser
from shelfspace.db.session import session_scope
from shelfspace.runtime import runtime_of

router = page_router()


def _counted(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def told(made: Copied) -> str:
    said = [f"{made.campaign.name} is made, paused: {_counted(made.line_items, 'line item')}."]
    if made.approved:
        said.append(
            f"{_counted(made.approved, 'creative')} keep{'s' if made.approved == 1 else ''} the approval of "
            "the original (the same ad on the same placements)."
        )
    if made.pending:
        said.append(
            f"{_counted(made.pending, 'creative')} wait{'s' if made.pending == 1 else ''} for the operator's "
            "review, as the original's did."
        )
    if made.rejected:
        said.append(
            f"{_counted(made.rejected, 'rejected creative')} {'was' if made.rejected == 1 else 'were'} not "
            "copied: add new ones."
        )
    for name, why in made.skipped:
        said.append(f"Line item {name} was not copied: {why}")
    said.append("Change what you need, then resume it on its page.")
    return " ".join(said)


@router.post("/brand/campaigns/{campaign_id}/duplicate")
def duplicate_campaign(request: Request, campaign_id: str, user: AdvertiserUser, form: CheckedForm) -> Response:
    rt = runtime_of(request)
    tz = ZoneInfo(rt.settings.timezone)
    with session_scope(rt.db_sessions) as db:  # the copy whole, or nothing
        made = duplicate(db, user.principal, campaign_id, rt.clock.now(), tz, audiences=rt.audience_check)
        copy_id = made.campaign.id
    return redirect_with(request, f"/brand/campaigns/{copy_id}/edit", told(made))
