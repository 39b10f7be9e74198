"""Tracking endpoints: pages, apps and players call them without a key.

Impression and viewable answer 204 (or a 1x1 GIF with `?img=1`); click answers 302 to the
landing URL sealed in the link, and to nothing else. Each answer comes only after the
event is on disk. Invalid traffic gets the same answer as real traffic (a bot learns
nothing) but is recorded with its reason and counted nowhere. A token we did not sign, of
another kind, or expired, speaks of no ad we can count: it is only counted, by reason, in
`shelfspace_tracking_refused_total` (a row per forged token would let anyone fill the
disk). Each event carries pseudonyms of its address and device for the rules of
`tracking/counting.py`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from shelfspace.core.errors import InvalidInput, Unavailable
from shelfspace.events.model import Event, EventType, VideoEvent, ad_event_key
from shelfspace.http.params import Param, documented_params
from shelfspace.runtime import runtime_of
from shelfspace.tracking import counting, ivt
from shelfspace.tracking.keys import KeyRing
from shelfspace.tracking.recorder import Recorder
from shelfspace.tracking.signing import Opened, TokenRefused

# The smallest transparent GIF (43 bytes), for pixels that must be images.
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
NO_STORE = {"Cache-Control": "no-store, max-age=0"}

router = APIRouter(tags=["tracking"])


async def _event(kind: EventType, token: str, request: Request, now: float) -> tuple[Event | None, Opened | None]:
    """The event to record (None for a refused token: counted in the metric, not stored)
    and what the token said, if it could be opened."""
    keys: KeyRing = runtime_of(request).keys
    # A key this process has not loaded means a reload from the database: off the loop.
    signer = keys.signer_at_hand(token)
    if signer is None:
        signer = await run_in_threadpool(keys.signer_for, token)
    try:
        opened = signer.open(kind, token, now)
    except TokenRefused as refused:
        recorder: Recorder = runtime_of(request).recorder
        recorder.refuse(kind, refused.reason)
        return None, None if refused.facts is None else Opened(refused.facts, refused.landing)
    reason = ivt.classify(request.headers)
    facts = opened.facts
    address = request.client.host if request.client is not None else None
    source = counting.source_data(address, request.headers.get("user-agent", ""), keys.signer.pseudonym)
    return Event(
        ad_event_key(kind, facts.ad_id, reason), kind, now, facts, facts.user_id, invalid=reason, data=source or None
    ), opened


async def _record(request: Request, event: Event | None) -> None:
    if event is None:  # a refused token: counted already, nothing to store
        return
    recorder: Recorder = runtime_of(request).recorder
    try:
        await recorder.record([event])
    except Exception as error:  # not on disk: not acknowledged
        raise Unavailable("the event could not be stored; send it again") from error


def _pixel(img: bool) -> Response:
    if img:
        return Response(PIXEL, media_type="image/gif", headers=NO_STORE)
    return Response(status_code=204, headers=NO_STORE)


# What `_pixel` answers besides its 204, for the routes' `responses=`.
PIXEL_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "With `img=true`: a 1x1 transparent GIF.",
        "content": {"image/gif": {"schema": {"type": "string", "format": "binary"}}},
    }
}


TOKEN: Param[str] = Param("path", "token", str, "The signed token of the served ad's tracking URL.")
IMG: Param[bool] = Param("query", "img", bool, "Answer a 1x1 GIF instead of 204, for an <img> tag.", default=False)
VIDEO_EVENT: Param[VideoEvent] = Param("path", "event", VideoEvent, "The player's event.")
ERROR_CODE: Param[str | None] = Param(
    "query", "code", Annotated[str | None, Field(max_length=10)], "VAST [ERRORCODE], for `error`.", default=None
)
PIXEL_PARAMS = documented_params(TOKEN, IMG)
Img = Annotated[bool, Query(description=IMG.description)]  # the same flag on routes FastAPI reads


def _now(request: Request) -> float:
    return float(runtime_of(request).clock.now().timestamp())


# Hot routes (http/fast_lane.py): each takes the request alone and reads its parameters
# through http/params.py. GET for pixels and players; POST for `navigator.sendBeacon`
# (the publisher tag).
@router.post(
    "/track/impression/{token}",
    status_code=204,
    summary="Count an impression, sent as a beacon",
    openapi_extra=PIXEL_PARAMS,
    responses=PIXEL_RESPONSES,
)
@router.get(
    "/track/impression/{token}",
    status_code=204,
    summary="Count an impression (the ad began to render)",
    openapi_extra=PIXEL_PARAMS,
    responses=PIXEL_RESPONSES,
)
async def impression(request: Request) -> Response:
    return await _pixel_event(EventType.IMPRESSION, request)


@router.post(
    "/track/viewable/{token}",
    status_code=204,
    summary="Count a viewable impression, sent as a beacon",
    openapi_extra=PIXEL_PARAMS,
    responses=PIXEL_RESPONSES,
)
@router.get(
    "/track/viewable/{token}",
    status_code=204,
    summary="Count a viewable impression",
    openapi_extra=PIXEL_PARAMS,
    responses=PIXEL_RESPONSES,
)
async def viewable(request: Request) -> Response:
    return await _pixel_event(EventType.VIEWABLE, request)


async def _pixel_event(kind: EventType, request: Request) -> Response:
    img = IMG.read(request)
    event, _ = await _event(kind, TOKEN.read(request), request, _now(request))
    await _record(request, event)
    return _pixel(img)


@router.get(
    "/track/click/{token}",
    status_code=302,
    summary="Count a click and go to the ad's landing page",
    responses={302: {"description": "To the landing URL sealed in the link."}},
    openapi_extra=documented_params(TOKEN),
)
async def click(request: Request) -> Response:
    event, opened = await _event(EventType.CLICK, TOKEN.read(request), request, _now(request))
    await _record(request, event)
    if opened is None or opened.landing is None:
        raise InvalidInput.on("token", "not a Shelfspace click link, or it was altered")
    return RedirectResponse(opened.landing, status_code=302, headers=NO_STORE)


VIDEO_PARAMS = documented_params(VIDEO_EVENT, TOKEN, IMG, ERROR_CODE)


@router.post(
    "/track/video/{event}/{token}",
    status_code=204,
    summary="Count a video player's event, as a beacon",
    openapi_extra=VIDEO_PARAMS,
    responses=PIXEL_RESPONSES,
)
@router.get(
    "/track/video/{event}/{token}",
    status_code=204,
    summary="Count a video player's event (VAST TrackingEvents and Error)",
    openapi_extra=VIDEO_PARAMS,
    responses=PIXEL_RESPONSES,
)
async def video(request: Request) -> Response:
    event, img, code = VIDEO_EVENT.read(request), IMG.read(request), ERROR_CODE.read(request)
    recorded, _ = await _event(EventType.VIDEO, TOKEN.read(request), request, _now(request))
    if recorded is not None:
        # One record per ad and player event: a quartile reported twice counts once.
        key = recorded.key.replace("video:", f"video:{event}:", 1)
        data = (recorded.data or {}) | {"event": str(event)} | ({"code": code} if code else {})
        await _record(request, replace(recorded, key=key, data=data))
    return _pixel(img)
