"""How large a request body may be, route by route: the one table, and the middleware that holds every request to it.

Anyone may send a body: the routes that need no key (decisions, the OpenRTB auction, the
beacons, the sign-in and sign-up forms) read it before anything is checked, and a route
that needs a key reads it before the key is looked at (FastAPI parses the body first). So
every body has a ceiling, enforced while it streams: a declared `Content-Length` over the
route's limit is refused on the first read, before a byte of the body is taken in, and a
body without one (chunked) is counted chunk by chunk and refused as soon as it passes the
limit. Nothing more than the limit (and the server's one read buffer) is ever held.

The refusal is raised from `receive`, so the app's own error handlers answer it: 413 in
the API's `{"error": {...}}` shape, or the dashboard's error page for a page, with the
limit named. The answer carries `Connection: close`: the rest of the body is never read.

The routes' own code (`http/raw_body.py`, the feed import, the creative upload) uses the
same numbers from here; they are not repeated anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shelfspace.core.errors import ErrorCode
from shelfspace.http.errors import error_response

KiB = 1024
MiB = 1024 * KiB

DECISION_BYTES = 64 * KiB  # 20 placements, 200 SKUs, a TCF string: a few KiB in practice
OPENRTB_BYTES = 256 * KiB  # a Prebid Server request with many imps and a long `ext`
EVENT_BATCH_BYTES = 64 * MiB  # 10,000 events (first_party.MAX_BATCH), orders with their items
PRODUCT_FEED_BYTES = 64 * MiB  # a whole shop's catalogue; bigger feeds are split
IDENTITIES_BYTES = 8 * MiB  # 10,000 users with an e-mail and a phone each
CREATIVE_IMAGE_BYTES = 2 * MiB  # a banner image (dashboard/uploads.py)
CREATIVE_VIDEO_BYTES = 50 * MiB  # a video creative's file: 30 s at about 12 Mbit/s (dashboard/uploads.py)
FORM_FIELDS_BYTES = 256 * KiB  # a page form's text fields, and multipart's boundaries and part headers
DEFAULT_BYTES = 1 * MiB  # everything else: JSON objects of the management API, page forms


class BodyKind(StrEnum):
    """What a route's body is: named in the refusal, so the caller knows which limit it hit."""

    DECISION = "a decision request"
    OPENRTB = "an OpenRTB bid request"
    DEMAND = "a demand partner request"
    EVENT_BATCH = "a batch of events"
    PRODUCT_FEED = "a product feed"
    IDENTITIES = "a batch of identities"
    CREATIVE_UPLOAD = "a campaign form with its creative image or video"
    CREATIVE_FILE = "a creative form with its image or video"
    FEED_UPLOAD = "a product feed upload"
    FORECAST = "a forecast request"
    OTHER = "a request body"


def _size(count: int) -> str:
    if count % MiB == 0:
        return f"{count // MiB} MiB"
    if count % KiB == 0:
        return f"{count // KiB} KiB"
    return f"{count} bytes"


@dataclass(frozen=True, slots=True)
class BodyLimit:
    kind: BodyKind
    max_bytes: int

    @property
    def message(self) -> str:
        return f"{self.kind} is at most {_size(self.max_bytes)} ({self.max_bytes} bytes)"


DEFAULT = BodyLimit(BodyKind.OTHER, DEFAULT_BYTES)
_EXACT: dict[str, BodyLimit] = {
    "/v1/decisions": BodyLimit(BodyKind.DECISION, DECISION_BYTES),
    "/openrtb2/auction": BodyLimit(BodyKind.OPENRTB, OPENRTB_BYTES),
    "/v1/events/conversions": BodyLimit(BodyKind.EVENT_BATCH, EVENT_BATCH_BYTES),
    "/v1/events/behaviour": BodyLimit(BodyKind.EVENT_BATCH, EVENT_BATCH_BYTES),
    "/v1/products/import": BodyLimit(BodyKind.PRODUCT_FEED, PRODUCT_FEED_BYTES),
    "/v1/identities": BodyLimit(BodyKind.IDENTITIES, IDENTITIES_BYTES),
    # A proposed campaign and line item: what POST /v1/campaigns and /v1/line-items take.
    "/v1/forecasts": BodyLimit(BodyKind.FORECAST, DEFAULT_BYTES),
    # The wizard's form with its creative's file: an image or a video (dashboard/brand/wizard.py).
    "/brand/campaigns/new": BodyLimit(BodyKind.CREATIVE_UPLOAD, CREATIVE_VIDEO_BYTES + FORM_FIELDS_BYTES),
    # A creative added to a line item or replacing another (dashboard/brand/creatives.py).
    "/brand/creatives/new": BodyLimit(BodyKind.CREATIVE_FILE, CREATIVE_VIDEO_BYTES + FORM_FIELDS_BYTES),
    "/console/products/feed": BodyLimit(BodyKind.FEED_UPLOAD, PRODUCT_FEED_BYTES + FORM_FIELDS_BYTES),
}
_PREFIXES: tuple[tuple[str, BodyLimit], ...] = (
    ("/v1/demand-partners", BodyLimit(BodyKind.DEMAND, OPENRTB_BYTES)),
    ("/track/programmatic/", BodyLimit(BodyKind.DEMAND, OPENRTB_BYTES)),
)


# A creative edited, with a new image or video (dashboard/brand/creative_edit.py): /brand/creatives/{id}/edit.
_CREATIVE_EDIT = (
    "/brand/creatives/",
    "/edit",
    BodyLimit(BodyKind.CREATIVE_FILE, CREATIVE_VIDEO_BYTES + FORM_FIELDS_BYTES),
)


def limit_for(path: str) -> BodyLimit:
    """The body limit of the route at `path` (the default for any route not in the table)."""
    exact = _EXACT.get(path)
    if exact is not None:
        return exact
    if path.startswith(_CREATIVE_EDIT[0]) and path.endswith(_CREATIVE_EDIT[1]) and path.count("/") == 4:
        return _CREATIVE_EDIT[2]
    for prefix, limit in _PREFIXES:
        if path.startswith(prefix):
            return limit
    return DEFAULT


class BodyTooLarge(HTTPException):
    """Raised from `receive`. An `HTTPException` on purpose: FastAPI passes those through
    when it reads a body parameter (any other error there becomes a 400), and the app's
    handler renders them in the API's shape or as a page."""

    def __init__(self, limit: BodyLimit) -> None:
        super().__init__(status_code=413, detail=limit.message)
        self.limit = limit


def framing(scope: Scope) -> tuple[int | None, bool]:
    """How the request says its body ends: its declared length, and whether it comes in
    chunks (`Transfer-Encoding`, which wins over a length). Neither: no body. A plain
    tuple: this runs on every request, hot routes included."""
    declared, chunked = None, False
    for name, value in scope["headers"]:
        if name == b"content-length":
            declared = int(value) if value.isdigit() else None
        elif name == b"transfer-encoding":
            chunked = True
    return declared, chunked


class _Guarded:
    """One request's receive and send, held to its limit."""

    __slots__ = ("limit", "declared_over", "received", "refused", "started", "_receive", "_send")

    def __init__(self, limit: BodyLimit, declared_over: bool, receive: Receive, send: Send) -> None:
        self.limit = limit
        self.declared_over = declared_over
        self.received = 0
        self.refused = False
        self.started = False
        self._receive = receive
        self._send = send

    async def receive(self) -> Message:
        if self.declared_over:
            return self._refuse()
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit.max_bytes:
                return self._refuse()
        return message

    def _refuse(self) -> Message:
        self.refused = True
        if self.started:  # too late for a 413: the request ends here for whoever listens
            return {"type": "http.disconnect"}
        raise BodyTooLarge(self.limit)

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            if self.refused or self.declared_over:  # the unread rest of the body is not worth reading
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
        await self._send(message)


class BodyLimits:
    """ASGI middleware: every HTTP request's body held to `limit_for(path)`.

    A body whose declared length is within the limit goes through untouched: HTTP/1.1
    framing (uvicorn's parser) ends it at that length, so there is nothing to count, and
    the hot routes pay only for a look at the headers. Only a chunked body is counted."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        declared, chunked = framing(scope)
        declared_over = not chunked and declared is not None and declared > limit.max_bytes
        if not chunked and not declared_over:  # no body, or a declared one that fits
            await self.app(scope, receive, send)
            return
        guarded = _Guarded(limit, declared_over, receive, send)
        try:
            await self.app(scope, guarded.receive, guarded.send)
        except BodyTooLarge as refused:
            if guarded.started:
                raise
            # Only if no handler answered it (an app mounted without the app's handlers).
            answer = error_response(413, ErrorCode.PAYLOAD_TOO_LARGE, refused.limit.message)
            await answer(scope, guarded.receive, guarded.send)
