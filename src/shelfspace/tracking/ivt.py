"""Invalid traffic that can be told from one request: declared bots, prefetches, previews.

Bots are matched against the `crawler-user-agents` list (maintained upstream, installed
from PyPI); user agents repeat a lot, so answers are cached. Prefetch and preview
requests announce themselves in headers that browsers and link unfurlers send. Rules
that need other events (duplicates, clicks without an impression, click floods) are the
recorder's.
"""

from __future__ import annotations

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


@lru_cache(maxsize=16_384)
def is_declared_bot(user_agent: str) -> bool:
    return bool(crawleruseragents.is_crawler(user_agent))


def classify(headers: Mapping[str, str]) -> InvalidReason | None:
    """The reason this request cannot be a person seeing or clicking an ad, or None.

    `headers` must be looked up case-insensitively (Starlette's `Headers` is)."""
    for name, markers in PREFETCH_HEADERS.items():
        value = headers.get(name, "").lower()
        if value and any(marker in value for marker in markers):
            return InvalidReason.PREFETCH
    user_agent = headers.get("user-agent", "")
    if user_agent and is_declared_bot(user_agent):
        return InvalidReason.BOT
    return None
