"""Routes of demand partners: the catalogue's five verbs (operator only), the partner's
report, and the impression URL of a partner's ad.

(No `from __future__ import annotations`: FastAPI reads these annotations.)
"""

from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

import structlog
from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from shelfspace.catalog.api import Resource, resource_router
from shelfspace.core.errors import FieldProblem, InvalidInput, Unavailable
from shelfspace.core.inputs import KEY_PATTERN
from shelfspace.core.jsonbody import JsonBody
from shelfspace.demand import service
from shelfspace.demand.impressions import PATH, PartnerImpression
from shelfspace.demand.models import DemandPartner
from shelfspace.demand.report import partner_report
from shelfspace.demand.schemas import PartnerCreate, PartnerFilters, PartnerOut, PartnerReport, PartnerUpdate
from shelfspace.demand.serving import Demand
from shelfspace.http.deps import Caller, Db
from shelfspace.tracking import ivt
from shelfspace.tracking.api import NO_STORE, PIXEL, Img
from shelfspace.tracking.keys import KeyRing
from shelfspace.tracking.signing import TokenRefused

log = structlog.get_logger(__name__)

MAX_REPORT_DAYS = 366

PARTNERS = Resource("demand-partners", "demand partner", DemandPartner, service, PartnerCreate, PartnerUpdate,
                    PartnerOut, PartnerFilters)
router = resource_router(PARTNERS)


@router.get("/{id}/report", response_model=PartnerReport, summary="A demand partner's report by day and placement")
def report(db: Db, by: Caller, request: Request,
           id: Annotated[str, Path(max_length=100, pattern=KEY_PATTERN, description="The demand partner's id.")],
           start: Annotated[date, Query(alias="from", description="First day, in the network's time zone.")],
           end: Annotated[date, Query(alias="to", description="Last day, included.")]) -> JsonBody:
    """Impressions, revenue (clearing prices / 1000) and eCPM from the event log; bid
    requests, bids, wins and timeouts as this process counted them since `counted_since`."""
    if end < start:
        raise InvalidInput.collect([FieldProblem("to", "must not be before `from`")])
    if (end - start).days >= MAX_REPORT_DAYS:
        raise InvalidInput.collect([FieldProblem("to", f"a report covers at most {MAX_REPORT_DAYS} days")])
    partner = service.get(db, by, id)
    state = request.app.state
    return JsonBody(partner_report(state.event_log, state.demand.stats, partner.id, start, end,
                                   ZoneInfo(state.settings.timezone), state.settings.currency))


tracking = APIRouter(tags=["tracking"])


# GET for pixels; POST for `navigator.sendBeacon` (the publisher tag).
@tracking.post(PATH + "/{token}", status_code=204, summary="Count a demand partner's impression, sent as a beacon")
@tracking.get(PATH + "/{token}", status_code=204, summary="Count a demand partner's impression (its spend)")
async def impression(token: str, request: Request, img: Img = False) -> Response:
    """Recorded durably (once per ad) before the answer; then the partner's `burl` and
    `nurl` are called in the background with the price filled in."""
    state = request.app.state
    now = state.clock.now().timestamp()
    keys: KeyRing = state.keys
    # A key this process does not know is looked up in the database: off the event loop.
    signer = keys.signer_at_hand(token)
    if signer is None:
        signer = await run_in_threadpool(keys.signer_for, token)
    try:
        shown = PartnerImpression.opened(signer, token, now)
    except TokenRefused as refused:  # the same answer as real traffic: a forger learns nothing
        log.info("demand_impression_refused", reason=str(refused.reason))
        return _pixel(img)
    reason = ivt.classify(request.headers)
    try:
        [new] = await state.recorder.record([shown.event(now, reason)])
    except Exception as error:  # not on disk: not acknowledged
        raise Unavailable("the event could not be stored; send it again") from error
    if new:  # counted for the first time: the partner owes it, tell it so
        demand: Demand = state.demand
        demand.notify(shown)
    return _pixel(img)


def _pixel(img: bool) -> Response:
    if img:
        return Response(PIXEL, media_type="image/gif", headers=NO_STORE)
    return Response(status_code=204, headers=NO_STORE)

