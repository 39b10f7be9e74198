"""The main navigation: each side's pages, and only those the person's team role opens
(the right of each link is the page's own, from accounts/route_rights.py)."""

from __future__ import annotations

from shelfspace.accounts.route_rights import page_right
from shelfspace.dashboard.session import DashboardUser

CONSOLE: tuple[tuple[str, str], ...] = (
    ("/console", "Overview"),
    ("/console/inventory", "Inventory"),
    ("/console/forecast", "Forecast"),
    ("/console/products", "Products"),
    ("/console/campaigns", "Campaigns"),
    ("/console/audiences", "Audiences"),
    ("/console/review", "Review"),
    ("/console/advertisers", "Advertisers"),
    ("/console/billing", "Billing"),
    ("/console/rules", "Rules"),
    ("/console/health", "Delivery health"),
    ("/console/demand-partners", "Demand partners"),
    ("/console/team", "Team"),
    ("/console/keys", "API keys"),
    ("/console/audit", "Audit history"),
    ("/media-kit", "Media kit"),
)
BRAND: tuple[tuple[str, str], ...] = (
    ("/brand", "Campaigns"),
    ("/brand/campaigns/new", "New campaign"),
    ("/brand/creatives", "Creatives"),
    ("/brand/audiences", "Audiences"),
    ("/brand/billing", "Billing"),
    ("/brand/team", "Team"),
    ("/brand/keys", "API keys"),
    ("/brand/audit", "History"),
    ("/media-kit", "Media kit"),
)


def links_for(user: DashboardUser) -> list[tuple[str, str]]:
    """(href, label) of the pages this person may open, in the side's order."""

    def opens(href: str) -> bool:
        right = page_right("GET", href)
        return right is None or user.may(right)

    return [(href, label) for href, label in (CONSOLE if user.is_operator else BRAND) if opens(href)]
