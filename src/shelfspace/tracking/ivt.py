"""Invalid traffic that can be told from one request: declared bots, prefetches, previews.

Bots are matched against the `crawler-user-agents` list (maintained upstream, installed
from PyPI); user agents repeat a lot, so answers are cached. A list of bots cannot name
every script, so a request must also look like a person's software: a User-Agent that is
present, and shaped like a browser's or an app's (a `product/version` and a parenthesised
platform comment, RFC 9110 section 10.1.5: `Mozilla/5.0 (iPhone; ...)`, `ShopApp/5.2
(iPhone; iOS 17.1)`, `Roku/DVP-12.5 (12.5.0)`), not a bare name (`x`, `Googlebot`), a
runtime (`Java/17`) or an HTTP library (`curl/8.4`, `python-requests/2.31`, even with a
comment). A server-side integration (a CTV player's backend, an app's server) passes the
device's user agent on, as VAST and OpenRTB ask it to. Prefetch and preview
requests announce themselves in headers that browsers and link unfurlers send. Rules
that need other events (duplicates, clicks without an impression, click floods) are the
recorder's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

import crawleruseragents

from shelfspace.events.model import InvalidReason

# Header → values (lower-case) that mean "no person is looking yet".
PREFETCH_HEADERS: dict[str, tuple[str, ...]] = {
    "sec-purpose": ("prefetch", "prerender"),  # Chrome, Edge (also "prefetch;prerender")
    "purpose": ("prefetch", "preview"),  # Chrome (older), Safari
    "x-purpose": ("preview", "prefetch"),  # Safari's top sites, some unfurlers
    "x-moz": ("prefetch",),  # Firefox
}


# The first product of HTTP libraries and runtimes: software that fetches, not a person's
# browser or app (compared case-insensitively).
LIBRARIES = frozenset(
    {
        "curl",
        "wget",
        "python-requests",
        "python-urllib",
        "python-httpx",
        "python",
        "aiohttp",
        "httpx",
        "urllib3",
        "go-http-client",
        "okhttp",
        "java",
        "apache-httpclient",
        "jakarta commons-httpclient",
        "libwww-perl",
        "lwp",
        "axios",
        "node-fetch",
        "node",
        "undici",
        "got",
        "postmanruntime",
        "insomnia",
        "guzzlehttp",
        "ruby",
        "faraday",
        "httpie",
        "powershell",
        "winhttp",
        "wininet",
        "scrapy",
        "reqwest",
        "dart",
        "php",
        "perl",
        "restsharp",
        "http_request2",
        "rest-client",
        "libcurl",
        "pycurl",
        "mechanize",
        "httpclient",
        "cfnetwork-probe",
        "zgrab",
    }
)
MAX_USER_AGENT = 1_024  # longer than any browser's: padding or an injection attempt
_PRODUCT = re.compile(r"([A-Za-z][\w.!#$%&'*+^`|~ -]*?)/([A-Za-z0-9][^\s/()]*)")
_COMMENT = re.compile(r"\([^()]*[A-Za-z0-9][^()]*\)")


@lru_cache(maxsize=16_384)
def is_declared_bot(user_agent: str) -> bool:
    return bool(crawleruseragents.is_crawler(user_agent))


@lru_cache(maxsize=16_384)
def agent_reason(user_agent: str) -> InvalidReason | None:
    """Why this User-Agent cannot be a person's browser or app, or None (see the module's
    docstring for the rule)."""
    agent = user_agent.strip().removeprefix('"').removesuffix('"')  # some apps quote it whole
    if not agent:
        return InvalidReason.NO_USER_AGENT
    if is_declared_bot(agent):
        return InvalidReason.BOT
    first = _PRODUCT.match(agent)
    if (
        len(agent) > MAX_USER_AGENT
        or first is None
        or first.group(1).strip().casefold() in LIBRARIES
        or _COMMENT.search(agent) is None
    ):
        return InvalidReason.NOT_A_BROWSER
    return None


def classify(headers: Mapping[str, str]) -> InvalidReason | None:
    """The reason this request cannot be a person seeing or clicking an ad, or None.

    `headers` must be looked up case-insensitively (Starlette's `Headers` is)."""
    for name, markers in PREFETCH_HEADERS.items():
        value = headers.get(name, "").lower()
        if value and any(marker in value for marker in markers):
            return InvalidReason.PREFETCH
    return agent_reason(headers.get("user-agent", ""))
