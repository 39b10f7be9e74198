"""What may serve, as plain frozen data: the snapshot the engine reads on every request.

Built from the catalogue by `delivery.snapshot_loader` and never changed after; a catalogue
change builds a new snapshot with a higher `version`, swapped in whole. Money is integer
micros, as in the database. `Pricing` and `Pacing` are `core/buying.py`'s (the catalogue
stores the same ones), re-exported here for the engine's modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from shelfspace.core.buying import Pacing, Pricing
from shelfspace.counters.protocol import BudgetLimits
from shelfspace.decisioning.text import category_prefixes

__all__ = [
    "Daypart",
    "FrequencyCap",
    "Inventory",
    "LiveAdvertiser",
    "LiveCampaign",
    "LiveCreative",
    "LiveLineItem",
    "LivePlacement",
    "LiveProduct",
    "Pacing",
    "Pricing",
    "Targeting",
]


@dataclass(frozen=True, slots=True)
class Daypart:
    """Hours of some weekdays (0 = Monday) in the network's time zone, `end` excluded."""

    weekdays: frozenset[int]
    start: time
    end: time | None  # None: until midnight (24:00)

    def contains(self, local: datetime) -> bool:
        clock = local.time()
        return local.weekday() in self.weekdays and self.start <= clock and (self.end is None or clock < self.end)


@dataclass(frozen=True, slots=True)
class FrequencyCap:
    count: int
    period: str  # hour, day, week, month or flight


@dataclass(frozen=True, slots=True)
class LivePlacement:
    id: str
    channel: str
    format: str
    sizes: tuple[str, ...]
    floor_micros: int
    max_ads: int
    blocked_categories: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveCreative:
    id: str
    format: str
    size: str | None = None
    image_url: str | None = None
    click_url: str | None = None
    media_url: str | None = None
    duration_seconds: int | None = None
    title: str | None = None
    body: str | None = None
    sku: str | None = None
    media_type: str | None = None
    bitrate_kbps: int | None = None
    html: str | None = None


@dataclass(frozen=True, slots=True)
class LiveProduct:
    sku: str
    title: str
    brand: str | None
    category: str | None
    price_micros: int | None
    image_url: str | None
    url: str | None
    words: frozenset[str]  # normalised words of title, brand and category, for relevance
    # The category and every level above it: a category page takes the products below it.
    category_paths: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "category_paths", frozenset(category_prefixes(self.category)) if self.category else frozenset()
        )


@dataclass(frozen=True, slots=True)
class LiveAdvertiser:
    id: str
    category: str | None = None
    competitors: frozenset[str] = frozenset()
    domain: str | None = None  # the brand's web domain: OpenRTB bids name it in `adomain`


@dataclass(frozen=True, slots=True)
class LiveCampaign:
    id: str
    advertiser_id: str
    start: datetime
    end: datetime | None
    budget_total_micros: int
    budget_daily_micros: int | None
    pacing: Pacing
    holdout_percent: int
    # The advertiser's funds (wallet or capped credit) shared by all its campaigns; None: no limit.
    funds_micros: int | None = None

    def limits(self, day: str) -> BudgetLimits:
        """What a reservation and a charge on `day` must stay within."""
        return BudgetLimits(
            self.id, day, self.budget_total_micros, self.budget_daily_micros, self.advertiser_id, self.funds_micros
        )


@dataclass(frozen=True, slots=True)
class Targeting:
    """Normalised targeting; an empty set means no restriction on that dimension."""

    keywords: frozenset[str] = frozenset()  # phrases, see text.phrase
    categories: frozenset[str] = frozenset()
    audiences: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    devices: frozenset[str] = frozenset()
    dayparts: tuple[Daypart, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveLineItem:
    id: str
    campaign_id: str
    advertiser_id: str
    pricing: Pricing
    bid_micros: int
    placements: frozenset[str]
    targeting: Targeting = field(default_factory=Targeting)
    frequency_cap: FrequencyCap | None = None
    products: tuple[str, ...] = ()
    creatives: tuple[LiveCreative, ...] = ()


@dataclass(frozen=True, slots=True)
class Inventory:
    """Everything live, before indexing."""

    placements: dict[str, LivePlacement]
    advertisers: dict[str, LiveAdvertiser]
    campaigns: dict[str, LiveCampaign]
    line_items: tuple[LiveLineItem, ...]
    products: dict[str, LiveProduct]  # available products only
