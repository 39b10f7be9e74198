"""The security headers of every response: one module owns the policy.

Two kinds of response, two sets of headers:

* Every response: `X-Content-Type-Options: nosniff` (a JSON error, a CSV or an uploaded
  image is never run as a script or rendered as a page by a browser guessing its type),
  and `Strict-Transport-Security` when the network's public URL is https (a browser that
  once reached it over https never falls back to http; behind plain http the header
  would be a lie, so it is left out).
* Our own HTML pages (any `text/html` response: the consoles, sign-in and sign-up, the
  media kit, the public case studies, invoices, the API docs): a Content-Security-Policy
  that runs only scripts from this origin or carrying the response's nonce, loads
  nothing from elsewhere and refuses to be framed (`frame-ancestors 'none'`, with
  `X-Frame-Options: DENY` for browsers older than CSP level 2), and a Referrer-Policy
  that sends other sites our origin only, never the page's path (case-study share
  tokens and campaign ids live in paths).

What is served to OTHER sites is left as it must be: the publisher tag (`/tag.js`), the
creatives and VAST documents fetched cross-origin, the tracking pixels and click
redirects loaded from publishers' pages. None of them is `text/html`, so none gets a
page's policy (no frame-ancestors, no referrer rule on a click's redirect), and the hot
routes (decisions, tracking, VAST, OpenRTB) skip even the content-type check: they get
the two cheap headers, precomputed, appended to the response's own.

Styles follow the scripts' rule (`'self'` and the nonce, no `'unsafe-inline'`): the
pages' own CSS is in static files, the standalone documents (case study, invoice; the
same HTML is printed to PDF) carry their `<style>` with the nonce, and the few sizes a
template computes are applied by script through the CSSOM, which CSP does not police.
Plotly (the charts) needs two exact inline stylesheets, allowed by their hashes
(`PLOTLY_STYLE_HASHES`), and no `'unsafe-eval'`: its cartesian charts build no code from
strings (the browser test draws every chart under this policy and sees no violation).

A response that sets one of these headers itself keeps its own value. Two exceptions
are made where they are served, both with helpers of this module: a page our own pages
frame (the case study in its editor) is marked by `frame_by_own_pages`, and its policy
says `frame-ancestors 'self'`; an advertiser's HTML banner previewed in the review queue
is answered by `creative_preview`, under a policy of its own.

A pure ASGI middleware, not Starlette's BaseHTTPMiddleware (which runs the rest of the
app in a task of its own and streams the body through a queue, a cost every decision
would pay): here a request costs one wrapper of `send`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Where a request's nonce is kept in the ASGI scope: set by the middleware before the
# route runs, read by the route (`csp_nonce`) to stamp its inline `<style>`/`<script>`.
NONCE_KEY = "shelfspace.csp_nonce"
HSTS_MAX_AGE_SECONDS = 365 * 24 * 3600

Headers = list[tuple[bytes, bytes]]


class Framing(StrEnum):
    """Who may show a page in a frame: X-Frame-Options' value, and the CSP's
    frame-ancestors said the same way."""

    NOBODY = "DENY"
    OWN_PAGES = "SAMEORIGIN"


FRAME_ANCESTORS = {Framing.NOBODY: "'none'", Framing.OWN_PAGES: "'self'"}


def frame_by_own_pages(response: Response) -> Response:
    """Let this origin's pages (never another site's) show `response` in a frame."""
    response.headers["X-Frame-Options"] = Framing.OWN_PAGES.value
    return response


# Plotly's inline stylesheets, by the SHA-256 of their text. An empty `<style>`: Plotly
# makes one per rule set and fills it through the CSSOM (`insertRule`, not checked by
# CSP), so allowing the empty text lets it style its hover labels and mode bar without
# letting any injected stylesheet in. MapLibre's stylesheet, bundled in plotly.min.js
# and inserted as the bundle loads (we draw no maps; refused, it would only report a
# violation on every chart page). A Plotly upgrade that changes the latter shows up in
# tests/browser/test_content_security_policy.py, whose failure names the new hash.
PLOTLY_STYLE_HASHES = (
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # "" (the empty stylesheet)
    "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='",  # .maplibregl-map{...} (plotly.js 4.1)
)


# An advertiser's HTML banner shown in our pages (the review queue's preview frames it).
# Not srcdoc: a srcdoc frame inherits the page's policy, which refuses the inline styles
# banners are written with. Its own document instead, under its own policy: `sandbox`
# (an opaque origin: no script, form, popup or cookie of ours), inline styles, images
# from this origin or data: only (a preview calls no advertiser's server, as
# dashboard/previews.py says), nothing else, framed by our own pages only.
CREATIVE_PREVIEW_POLICY = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'"
)


def creative_preview(markup: str) -> HTMLResponse:
    """`markup` (a banner's HTML) as a document our pages may frame, under its own policy."""
    return HTMLResponse(
        markup,
        headers={
            "Content-Security-Policy": CREATIVE_PREVIEW_POLICY,
            "X-Frame-Options": Framing.OWN_PAGES.value,
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


def csp_nonce(scope: MutableMapping[str, Any]) -> str:
    """This request's nonce (a route passes `request.scope`). The middleware puts one in
    the scope of every page request; a caller outside it (a test rendering a template)
    gets a fresh one, which no header lists: the browser would refuse that inline block,
    which is the safe way round."""
    nonce = scope.get(NONCE_KEY)
    if not isinstance(nonce, str):
        nonce = scope[NONCE_KEY] = secrets.token_urlsafe(16)
    return nonce


def content_security_policy(nonce: str, framing: Framing = Framing.NOBODY) -> str:
    """The pages' policy. `img-src data: blob:`: the wizard previews a chosen image as a
    data: URL and Plotly's "download as PNG" goes through one; `media-src blob:`: a video
    chosen for upload plays (and shows its length) before it is sent; `form-action 'self'`: a
    form injected into a page cannot post elsewhere; `base-uri 'none'`: nor can an
    injected <base> move our relative script URLs to another host."""
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        f"style-src 'self' 'nonce-{nonce}' {' '.join(PLOTLY_STYLE_HASHES)}; "
        "img-src 'self' data: blob:; media-src 'self' blob:; "
        "font-src 'self'; connect-src 'self'; "
        f"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {FRAME_ANCESTORS[framing]}"
    )


@dataclass(frozen=True, slots=True)
class HeaderPolicy:
    """The headers, precomputed once per app: a response only appends them."""

    every_response: tuple[tuple[bytes, bytes], ...]
    pages: tuple[tuple[bytes, bytes], ...]  # besides the policy itself, which carries the nonce

    @classmethod
    def for_network(cls, public_url: str | None) -> HeaderPolicy:
        every: list[tuple[bytes, bytes]] = [(b"x-content-type-options", b"nosniff")]
        if public_url is not None and public_url.lower().startswith("https://"):
            every.append((b"strict-transport-security", f"max-age={HSTS_MAX_AGE_SECONDS}".encode()))
        pages = [
            (b"x-frame-options", Framing.NOBODY.value.encode()),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
        ]
        return cls(tuple(every), tuple(pages))

    def page_headers(self, nonce: str, framing: Framing) -> Headers:
        return [(b"content-security-policy", content_security_policy(nonce, framing).encode()), *self.pages]


def _page_framing(headers: Headers) -> Framing | None:
    """None if the response is not an HTML page; else who may frame it (nobody, unless
    the route said otherwise with `frame_by_own_pages`)."""
    html, framing = False, Framing.NOBODY
    for name, value in headers:
        name = name.lower()
        if name == b"content-type":
            html = value[:9].lower() == b"text/html"
        elif name == b"x-frame-options" and value.upper() == Framing.OWN_PAGES.value.encode():
            framing = Framing.OWN_PAGES
    return framing if html else None


def _add_missing(headers: Headers, extra: Iterable[tuple[bytes, bytes]]) -> None:
    """Append the `extra` headers the response did not set itself."""
    present = {name.lower() for name, _ in headers}
    headers.extend(header for header in extra if header[0] not in present)


class SecurityHeaders:
    """ASGI middleware: `policy`'s headers on every response; the cheap ones alone on the
    paths starting with `hot_prefixes` (the ad-serving routes)."""

    def __init__(self, app: ASGIApp, policy: HeaderPolicy, hot_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.policy = policy
        self.hot_prefixes = hot_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        every = self.policy.every_response
        if self.hot_prefixes and scope["path"].startswith(self.hot_prefixes):

            async def send_cheap(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", ()), *every]
                await send(message)

            await self.app(scope, receive, send_cheap)
            return

        nonce = csp_nonce(scope)
        policy = self.policy

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: Headers = list(message.get("headers", ()))
                _add_missing(headers, every)
                framing = _page_framing(headers)
                if framing is not None:
                    _add_missing(headers, policy.page_headers(nonce, framing))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
