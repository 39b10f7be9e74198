"""Where a demand partner's win (`nurl`) and billing (`burl`) notices may go.

A bid names these URLs itself, and Shelfspace calls them when the ad is shown; a partner
(or whoever answers at its endpoint) could otherwise make the server call any host on
the internet. So a notice is called only on the partner's declared notice domains, or,
when it declared none, on its endpoint's own host: the host itself or any name under
one of them. A bid whose notice points elsewhere still serves and still pays; only that
notice is not called, counted as `off_domain` in `shelfspace_demand_partner_notices_total`
and logged. The public-address rule (core/outbound.py) applies on top, when calling.
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlsplit

from shelfspace.core.outbound import WEB_SCHEMES


class NoticeKind(StrEnum):
    BILLING = "burl"
    WIN = "nurl"


class NoticeOutcome(StrEnum):
    """What became of one notice of a shown ad (or of a winning bid's, for `off_domain`)."""

    SENT = "sent"  # the partner answered below 400
    REJECTED = "rejected"  # the partner answered 400 or more
    FAILED = "failed"  # no answer: refused connection, timeout, TLS
    OFF_DOMAIN = "off_domain"  # its host is not one of the partner's notice domains: never called
    NOT_WEB = "not_web"  # not an http(s) URL: never called
    NOT_PUBLIC = "not_public"  # its host resolves to a private address: refused by core/outbound.py


def host_of(url: str) -> str | None:
    return urlsplit(url).hostname


def notice_domains(endpoint: str, declared: list[str]) -> frozenset[str]:
    """The domains a partner's notices may go to: those it declared, else its endpoint's host."""
    if declared:
        return frozenset(d.lower().rstrip(".") for d in declared)
    host = host_of(endpoint)
    return frozenset({host}) if host else frozenset()


def refusal_of(url: str, domains: frozenset[str]) -> NoticeOutcome | None:
    """Why `url` may not be called as this partner's notice, or None if it may."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in WEB_SCHEMES or not host:
        return NoticeOutcome.NOT_WEB
    if any(host == domain or host.endswith("." + domain) for domain in domains):
        return None
    return NoticeOutcome.OFF_DOMAIN
