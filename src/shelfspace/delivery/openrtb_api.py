"""`POST /openrtb2/auction`: Shelfspace as the Prebid Server endpoint of Prebid.js.

The page's Prebid.js posts an OpenRTB 2.6 bid request (`s2sConfig.endpoint`); the answer
is a bid response with one seat, `shelfspace`, or 204 when nothing bids. The translation
is `openrtb.py`; this route runs the engine, counts and signs as every serving route does
(`serving.py`).

CORS: Prebid.js sends the request with credentials (`withCredentials`), and browsers
refuse `Access-Control-Allow-Origin: *` for those; so the page's origin is echoed with
`Access-Control-Allow-Credentials: true`, errors included (the page can read a 422), but
only an origin the operator listed (SHELFSPACE_PREBID_ORIGINS, plus the network's own
public URL: `Settings.auction_origins`). A browser request from any other origin is
refused (403, no CORS headers) before it runs an auction: a stranger's page can neither
read bids nor spend the network's opportunities. A call with no Origin (a server, such as
a real Prebid Server, or curl) is not a browser's and is answered as before.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from starlette.responses import Response

from shelfspace.config import Settings
from shelfspace.core.errors import Forbidden, ShelfspaceError
from shelfspace.core.jsonbody import JsonBody
from shelfspace.decisioning.engine import ServedAd
from shelfspace.decisioning.inventory import LivePlacement
from shelfspace.delivery.openrtb import Markup, MediaType, banner_markup, bid_response, bids_of, read_request
from shelfspace.delivery.openrtb_models import BidRequest, BidResponse
from shelfspace.delivery.serving import decide, note_decision, tracking_for, video_ad
from shelfspace.delivery.snapshots import SnapshotHolder
from shelfspace.delivery.vast_xml import vast
from shelfspace.http.errors import ERROR_RESPONSES
from shelfspace.http.openapi import ErrorStatus, error_responses
from shelfspace.http.raw_body import parse_body, read_body
from shelfspace.runtime import runtime_of

PATH = "/openrtb2/auction"
PREFLIGHT_MAX_AGE = "600"
DOCUMENTED: dict[str, Any] = {
    "security": [{}],  # no key: pages call it
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["id", "imp"],
                    "description": "An OpenRTB 2.6 BidRequest, as Prebid Server receives it; unknown fields are allowed.",
                }
            }
        },
    },
}

router = APIRouter(tags=["programmatic"], responses={422: ERROR_RESPONSES[422]})


def allowed_origin(request: Request) -> str | None:
    """The request's Origin if the operator allows it; None without one; Forbidden if
    it is one the operator did not list."""
    origin = request.headers.get("origin")
    if not origin:
        return None
    settings: Settings = runtime_of(request).settings
    if origin.lower().rstrip("/") not in settings.auction_origins():
        raise Forbidden(
            f"pages of {origin[:200]!r} may not call {PATH}: the operator lists the origins that may "
            "in SHELFSPACE_PREBID_ORIGINS"
        )
    return origin


def cors_headers(origin: str | None) -> dict[str, str]:
    if origin is None:
        return {"Vary": "Origin"}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}


@router.post(
    PATH,
    summary="OpenRTB 2.6 auction (Prebid Server endpoint)",
    response_class=JsonBody,
    response_model=BidResponse,
    responses=error_responses(ErrorStatus.FORBIDDEN, FORBIDDEN="The page's Origin is not one the operator lists.")
    | {200: {"description": "An OpenRTB 2.6 BidResponse: one seat, `shelfspace`."}, 204: {"description": "No bid."}},
    openapi_extra=DOCUMENTED,
)
async def auction(request: Request) -> Response:
    """Bid on each imp whose `tagid` names a Shelfspace placement (see docs/programmatic.md)."""
    origin = allowed_origin(request)  # a refused origin: the app's error handler answers, with no CORS
    try:
        response = await _auction(request)
    except (ShelfspaceError, RequestValidationError) as error:
        # Rendered by the app's one error handler; only the CORS headers are added here.
        kind = ShelfspaceError if isinstance(error, ShelfspaceError) else RequestValidationError
        response = await request.app.exception_handlers[kind](request, error)
    response.headers.update(cors_headers(origin))
    return response


@router.options(PATH, include_in_schema=False)
def preflight(request: Request) -> Response:
    """The browser's CORS preflight for a credentialed POST with a JSON content type."""
    asked = request.headers.get("access-control-request-headers", "content-type")
    headers = cors_headers(allowed_origin(request)) | {
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": asked,
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
    }
    return Response(status_code=204, headers=headers)


async def _auction(request: Request) -> Response:
    rt = runtime_of(request)
    bid_request = parse_body(BidRequest, await read_body(request))
    holder: SnapshotHolder = rt.snapshots
    snapshot = holder.snapshot  # one snapshot for reading and deciding

    def placement_of(placement_id: str) -> LivePlacement | None:
        index = snapshot.placements.get(placement_id)
        return index.placement if index is not None else None

    currency: str = rt.settings.currency
    wanted = read_request(bid_request, placement_of, currency)
    if wanted.request is None:
        return Response(status_code=204)
    decision = await decide(rt.serving, snapshot, wanted.request)
    now = rt.clock.now()
    served_at = int(now.timestamp())

    def markup(ad: ServedAd, media: MediaType) -> Markup:
        if media is MediaType.VIDEO:  # test requests never get here (they carry no tracking)
            video = video_ad(rt.serving, ad, wanted.user_id, served_at)
            return Markup(vast(video).decode("utf-8"), video.impression_url)
        if wanted.test:
            return Markup(banner_markup(ad, None), None)
        urls = tracking_for(rt.serving, ad, wanted.user_id, served_at)
        return Markup(banner_markup(ad, urls), urls["impression"])

    bids = bids_of(wanted, decision, markup)
    if not wanted.test:  # test auctions are not billable, nor opportunities
        filled = [(pid, n, bids.filled.get(pid, 0)) for pid, n in wanted.asked().items()]
        note_decision(rt.serving, wanted.request, decision, filled, now)
    answer = bid_response(bid_request, wanted, decision.request_id, bids, currency)
    if answer is None:
        return Response(status_code=204)
    return JsonBody(answer.to_json())
