"""The right each API route and each page needs (accounts/rights.py says who holds it).

One table per surface, read by prefix, so a reader sees every area's rule at once and a
new route falls under the rule of its area. Reads need `READ` unless their area is
restricted as a whole (keys, people, the audit history, money, partners); writes need
the right of their area. A write no rule covers is refused to all but an admin of the
operator (`UNDECLARED`), and a test walks the OpenAPI document and the page routes so
none ships that way.

Finer rules live with the services, asked of the principal (`Principal.require`): a
campaign manager may change a creative but not review it, an advertiser's name but not
its billing terms.
"""

from __future__ import annotations

from shelfspace.accounts.rights import Right

UNDECLARED = Right.SECURITY  # fail closed: only an operator admin holds it

# (path prefix, right) for every method: whole areas restricted to one right.
_API_AREAS: tuple[tuple[str, Right], ...] = (
    ("/v1/api-keys", Right.KEYS),
    ("/v1/users", Right.TEAM),
    ("/v1/invites", Right.TEAM),
    ("/v1/audit-log", Right.AUDIT),
    ("/v1/access-policy", Right.SECURITY),
    ("/v1/billing", Right.BILLING),
    ("/v1/demand-partners", Right.INVENTORY),
    ("/v1/audiences/{id}/export", Right.INVENTORY),  # people's contacts leave the network
    ("/v1/audiences/{id}/exports", Right.INVENTORY),
)

# Reads that take a body (a preview, a forecast, a plan) or mark one's own notice read.
_API_READS_BY_POST: tuple[str, ...] = (
    "/v1/audiences/preview",
    "/v1/forecasts",
    "/v1/lift/plan",
    "/v1/notifications/",
    "/v1/decisions",
)

# (path prefix, right) for writes, most specific first.
_API_WRITES: tuple[tuple[str, Right], ...] = (
    ("/v1/advertisers/{id}/top-ups", Right.BILLING),
    ("/v1/advertisers/{id}/credits", Right.BILLING),
    ("/v1/advertisers/{id}/refunds", Right.BILLING),
    ("/v1/advertisers/{id}/terms", Right.BILLING),
    ("/v1/invoices", Right.BILLING),
    ("/v1/advertisers/{id}", Right.CAMPAIGNS),  # the brand's profile; status, terms, rules: the service asks more
    ("/v1/advertisers", Right.REVIEW),  # onboarding a brand
    ("/v1/campaigns", Right.CAMPAIGNS),
    ("/v1/line-items", Right.CAMPAIGNS),
    ("/v1/creatives", Right.CAMPAIGNS),  # a review (status) needs REVIEW: the service asks
    ("/v1/audiences", Right.CAMPAIGNS),
    ("/v1/brand-lift-studies", Right.CAMPAIGNS),
    ("/v1/placements", Right.INVENTORY),
    ("/v1/products", Right.INVENTORY),
    ("/v1/events", Right.INVENTORY),
    ("/v1/identities", Right.INVENTORY),
)


def _first(path: str, rules: tuple[tuple[str, Right], ...]) -> Right | None:
    for prefix, right in rules:
        if path == prefix or path.startswith(prefix + "/"):
            return right
    return None


def api_right(method: str, path: str) -> Right:
    """The right an API operation needs; `path` is the route's template (`/v1/campaigns/{id}`)."""
    area = _first(path, _API_AREAS)
    if area is not None:
        return area
    if method.upper() in {"GET", "HEAD"}:
        return Right.READ
    if any(path == p or (p.endswith("/") and path.startswith(p)) for p in _API_READS_BY_POST):
        return Right.READ
    return _first(path, _API_WRITES) or UNDECLARED


def api_declared(method: str, path: str) -> bool:
    """Whether a rule above names the operation (the tests ask it of every route)."""
    return api_right(method, path) is not UNDECLARED or _first(path, _API_AREAS) is UNDECLARED


# Pages: (path prefix, right) for every method, most specific first. `/account`, `/login`
# and the like are a person's own and need no right; they are not routes under these.
_PAGE_AREAS: tuple[tuple[str, Right], ...] = (
    ("/console/review", Right.REVIEW),
    ("/console/rules", Right.REVIEW),
    ("/console/inventory", Right.INVENTORY),
    ("/console/products", Right.INVENTORY),
    ("/console/demand-partners", Right.INVENTORY),
    ("/console/audiences/{audience_id}/export", Right.INVENTORY),  # people's contacts leave the network
    ("/console/billing", Right.BILLING),
    ("/console/team", Right.TEAM),
    ("/console/keys", Right.KEYS),
    ("/console/audit", Right.AUDIT),
    ("/console/security", Right.SECURITY),
    ("/brand/team", Right.TEAM),
    ("/brand/keys", Right.KEYS),
    ("/brand/audit", Right.AUDIT),
)

# Pages that are forms for changing campaigns: shown only to those who may send them.
_PAGE_FORMS: tuple[str, ...] = (
    "/brand/campaigns/new",
    "/brand/creatives/new",
    "/console/campaigns/{campaign_id}/case-study/edit",
)

_PAGE_WRITES: tuple[tuple[str, Right], ...] = (
    ("/console/advertisers/{advertiser_id}/terms", Right.BILLING),
    ("/console/advertisers", Right.REVIEW),
    ("/brand/notifications", Right.READ),  # marking one's own notices read
    ("/brand/settings/notifications", Right.READ),  # one's own choice of e-mails
    ("/brand/campaigns/{campaign_id}/pacing-forecast", Right.READ),  # a forecast the pacing panel asks for
    ("/brand", Right.CAMPAIGNS),
    ("/console", Right.CAMPAIGNS),
)


def page_right(method: str, path: str) -> Right | None:
    """The right a page needs; None for pages outside the console and the brand's area."""
    if not (path.startswith("/console") or path.startswith("/brand")):
        return None
    area = _first(path, _PAGE_AREAS)
    if area is not None:
        return area
    if path in _PAGE_FORMS or path.endswith(("/edit", "/duplicate", "/line-items/new")):
        return Right.CAMPAIGNS
    if method.upper() in {"GET", "HEAD"}:
        return Right.READ
    return _first(path, _PAGE_WRITES) or UNDECLARED


def page_declared(method: str, path: str) -> bool:
    """Whether a rule above names the page (the tests ask it of every page route): a page
    of an area restricted to `SECURITY` is declared, though its right is `UNDECLARED`'s."""
    return page_right(method, path) is not UNDECLARED or _first(path, _PAGE_AREAS) is UNDECLARED
