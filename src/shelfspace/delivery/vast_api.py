"""`GET /v1/vast`: one video ad for a player (web video, CTV), as VAST 4.2.

The same auction as `POST /v1/decisions`, for one video placement; the answer carries our
signed tracking URLs for the impression, viewability, the quartiles, the click and errors.
No fill is an empty VAST (200), as players expect. A hot route: served by
`http/fast_lane.py`, its query read and validated by `http/params.py`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import Field
from starlette.responses import Response

from shelfspace.catalog.enums import AdFormat, Device
from shelfspace.catalog.fields import Country
from shelfspace.core.errors import InvalidInput
from shelfspace.decisioning.engine import UnknownPlacements
from shelfspace.decisioning.request import Context, DecisionRequest, SlotRequest
from shelfspace.delivery.serving import decide, note_decision, video_ad
from shelfspace.delivery.snapshots import SnapshotHolder
from shelfspace.delivery.vast_xml import empty_vast, vast
from shelfspace.http.errors import ERROR_RESPONSES
from shelfspace.http.params import Param, documented_params, read_all
from shelfspace.runtime import runtime_of

router = APIRouter(tags=["decisions"], responses={422: ERROR_RESPONSES[422]})

VAST_MEDIA_TYPE = "application/xml"
# Players fetch VAST from their own pages and apps: any origin may read it.
HEADERS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}


PLACEMENT: Param[str] = Param(
    "query", "placement", Annotated[str, Field(min_length=1, max_length=64)], "A video placement's id."
)
USER: Param[str | None] = Param(
    "query", "user", Annotated[str | None, Field(max_length=200)], "The operator's own user id.", default=None
)
CONSENT: Param[bool] = Param("query", "consent", bool, "May the user's own data be used?", default=False)
DEVICE: Param[Device | None] = Param("query", "device", Device | None, "The device the player runs on.", default=None)
COUNTRY: Param[str | None] = Param("query", "country", Country | None, "ISO 3166-1 alpha-2.", default=None)


@router.get(
    "/v1/vast",
    summary="A video ad as VAST 4.2",
    response_class=Response,
    responses={200: {"content": {VAST_MEDIA_TYPE: {}}, "description": "VAST 4.2; empty VAST for no fill."}},
    openapi_extra={"security": [{}]}  # no key: players ask for ads as pages do
    | documented_params(PLACEMENT, USER, CONSENT, DEVICE, COUNTRY),
)
async def vast_ad(request: Request) -> Response:
    placement, user, consent, device, country = read_all(request, PLACEMENT, USER, CONSENT, DEVICE, COUNTRY)
    rt = runtime_of(request)
    holder: SnapshotHolder = rt.snapshots
    index = holder.snapshot.placements.get(placement)
    if index is not None and index.placement.format != AdFormat.VIDEO:
        raise InvalidInput.on("placement", f"{placement!r} is a {index.placement.format} placement, not video")
    ask = DecisionRequest(
        slots=(SlotRequest(placement, 1),),
        context=Context(device=device, country=country),
        user_id=user,
        consent=consent,
        debug=False,
    )
    try:
        decision = await decide(rt.serving, holder.snapshot, ask)
    except UnknownPlacements:
        raise InvalidInput.on("placement", f"no placement {placement!r}") from None
    now = rt.clock.now()
    ads = decision.ads.get(placement, [])
    note_decision(rt.serving, ask, decision, [(placement, 1, len(ads))], now)
    if not ads:
        return Response(empty_vast(), media_type=VAST_MEDIA_TYPE, headers=HEADERS)
    return Response(
        vast(video_ad(rt.serving, ads[0], user, int(now.timestamp()))), media_type=VAST_MEDIA_TYPE, headers=HEADERS
    )
