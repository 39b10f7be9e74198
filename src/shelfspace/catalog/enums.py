"""The catalogue's vocabularies, and which combinations of them make sense.

The compatibility tables are data, not branches: adding a channel means adding a row.
`Pricing` and `Pacing` are the engine's as much as the catalogue's, so they are defined
in `core/buying.py` (the layer both import) and only re-exported here; so is
`AdvertiserStatus`, a brand account's standing, from `accounts/approval.py`.
"""

from __future__ import annotations

from enum import StrEnum

from shelfspace.accounts.approval import AdvertiserStatus
from shelfspace.core.buying import Pacing, Pricing

__all__ = [
    "CLICKABLE_CHANNELS",
    "CLICKABLE_FORMATS",
    "FORMATS_BY_CHANNEL",
    "SIZED_FORMATS",
    "AdFormat",
    "AdvertiserStatus",
    "BillingMode",
    "CapPeriod",
    "Channel",
    "DeliveryStatus",
    "Device",
    "Pacing",
    "PlacementStatus",
    "Pricing",
    "ReviewStatus",
]


class Channel(StrEnum):
    WEB = "web"
    APP = "app"
    SEARCH = "search"
    VIDEO = "video"
    CTV = "ctv"
    EMAIL = "email"
    INSTORE = "instore"


class AdFormat(StrEnum):
    BANNER = "banner"
    NATIVE = "native"
    SPONSORED_PRODUCT = "sponsored_product"
    VIDEO = "video"


class PlacementStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class BillingMode(StrEnum):
    """How an advertiser pays: from a wallet it tops up first, or on credit, invoiced after."""

    PREPAID = "prepaid"
    CREDIT = "credit"


class DeliveryStatus(StrEnum):
    """Status of campaigns and line items."""

    LIVE = "live"
    PAUSED = "paused"
    ARCHIVED = "archived"


class ReviewStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Device(StrEnum):
    DESKTOP = "desktop"
    MOBILE = "mobile"
    TABLET = "tablet"
    CTV = "ctv"
    OTHER = "other"


class CapPeriod(StrEnum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    FLIGHT = "flight"  # the whole life of the line item


FORMATS_BY_CHANNEL: dict[Channel, frozenset[AdFormat]] = {
    Channel.WEB: frozenset(AdFormat),
    Channel.APP: frozenset(AdFormat),
    Channel.SEARCH: frozenset({AdFormat.SPONSORED_PRODUCT, AdFormat.NATIVE, AdFormat.BANNER}),
    Channel.VIDEO: frozenset({AdFormat.VIDEO}),
    Channel.CTV: frozenset({AdFormat.VIDEO}),
    Channel.EMAIL: frozenset({AdFormat.BANNER, AdFormat.NATIVE, AdFormat.SPONSORED_PRODUCT}),
    Channel.INSTORE: frozenset({AdFormat.BANNER, AdFormat.VIDEO}),
}

# Paying per click needs something to click: a TV, an in-store screen or a video player
# in front of a sofa has none, so those sell by the thousand impressions only.
CLICKABLE_CHANNELS = frozenset({Channel.WEB, Channel.APP, Channel.SEARCH, Channel.EMAIL})
CLICKABLE_FORMATS = frozenset({AdFormat.BANNER, AdFormat.NATIVE, AdFormat.SPONSORED_PRODUCT})

# Formats whose creatives have a pixel size that must fit the placement.
SIZED_FORMATS = frozenset({AdFormat.BANNER})
