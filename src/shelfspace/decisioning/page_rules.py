"""The rules between a line item and one page that the engine and the forecast share: the
page's own rules (day-parts, blocked categories, competitors on the page), a sponsored
product's relevance, and the frequency cap's counter and how long it is kept.

Pure functions of the snapshot's data and the request: the engine calls them per bid,
forecasting/replay.py applies the same ones to a proposed line item.
"""

from __future__ import annotations

from datetime import datetime

from shelfspace.decisioning.index import Candidate, PlacementIndex
from shelfspace.decisioning.inventory import FrequencyCap, LiveProduct
from shelfspace.decisioning.reasons import Reason
from shelfspace.decisioning.request import Matchable

FLIGHT_SECONDS = 400 * 86400  # a cap over the whole flight: kept as long as any flight runs


def page_rule(
    candidate: Candidate, index: PlacementIndex, matchable: Matchable, advertisers: set[str]
) -> Reason | None:
    """The rules that depend on the page and its time of day, not on spend: day-parts,
    the placement's blocked categories, competitors already on the page. A forecast
    applies the same ones to a proposed line item."""
    dayparts = candidate.line_item.targeting.dayparts
    if dayparts and not any(d.contains(matchable.local_time) for d in dayparts):
        return Reason.OUTSIDE_DAYPART
    if candidate.categories & index.placement.blocked_categories:
        return Reason.BLOCKED_CATEGORY
    if competes(candidate, advertisers):
        return Reason.COMPETITOR_ON_PAGE
    return None


def competes(candidate: Candidate, advertisers: set[str]) -> bool:
    """The snapshot made competitor lists symmetric: A listing B keeps both apart."""
    return not candidate.advertiser.competitors.isdisjoint(advertisers)


def cap_key(line_item_id: str, cap: FrequencyCap, local: datetime) -> str:
    """The user's counter for a line item's cap: the line item and the period's bucket."""
    period = cap.period
    if period == "day":
        bucket = local.strftime("%Y-%m-%d")
    elif period == "hour":
        bucket = local.strftime("%Y-%m-%dT%H")
    elif period == "week":
        bucket = "%04d-W%02d" % local.isocalendar()[:2]
    elif period == "month":
        bucket = local.strftime("%Y-%m")
    else:
        bucket = "flight"
    return f"{line_item_id}:{bucket}"


def cap_expiry(cap: FrequencyCap, now: datetime) -> float:
    """When the user's counter may be forgotten: a day after its period ends."""
    seconds = {"hour": 3600, "day": 86400, "week": 7 * 86400, "month": 31 * 86400}
    return now.timestamp() + seconds.get(cap.period, FLIGHT_SECONDS) + 86400


def relevant(product: LiveProduct, matchable: Matchable) -> bool:
    """A sponsored product fits the request: the shopper searched for it, browses its
    category, or it is among the SKUs the page shows."""
    if product.sku in matchable.skus:
        return True
    if matchable.query_words and matchable.query_words <= product.words:
        return True
    return bool(matchable.categories) and matchable.categories[-1] in product.category_paths
