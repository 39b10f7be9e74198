"""The snapshot: live line items compiled, per placement, into bitmaps by targeting value.

Each placement's candidates are numbered; for every targeting value (a keyword phrase, a
category, a country, …) a Python int holds one bit per candidate that targets it, and one
more int the candidates that do not restrict that dimension. Matching a request is a few
ORs and ANDs of ints, whatever the number of line items; only the survivors are looked at
one by one. The snapshot is immutable: a catalogue change builds a new one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from shelfspace.decisioning.inventory import (
    Inventory,
    LiveAdvertiser,
    LiveCampaign,
    LiveCreative,
    LiveLineItem,
    LivePlacement,
    LiveProduct,
    Pricing,
)
from shelfspace.decisioning.reasons import Reason
from shelfspace.decisioning.request import Matchable
from shelfspace.decisioning.text import category_prefixes

BANNER = "banner"
SPONSORED_PRODUCT = "sponsored_product"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A line item as it can serve on one placement."""

    line_item: LiveLineItem
    campaign: LiveCampaign
    advertiser: LiveAdvertiser
    creatives: tuple[LiveCreative, ...]  # approved and fitting; for sponsored products, one per SKU
    categories: frozenset[str]  # what the ad is about, for blocked categories: the brand's industry

    @property
    def id(self) -> str:
        return self.line_item.id


@dataclass(frozen=True, slots=True)
class Dimension:
    """One targeting dimension: who restricts nothing, and who targets each value."""

    unrestricted: int
    by_value: dict[str, int]

    def matching(self, values: Iterable[str]) -> int:
        mask = self.unrestricted
        for value in values:
            mask |= self.by_value.get(value, 0)
        return mask


def _dimension(candidates: tuple[Candidate, ...], values_of: Callable[[Candidate], frozenset[str]]) -> Dimension:
    unrestricted = 0
    by_value: dict[str, int] = defaultdict(int)
    for bit, candidate in enumerate(candidates):
        values = values_of(candidate)
        if not values:
            unrestricted |= 1 << bit
        for value in values:
            by_value[value] |= 1 << bit
    return Dimension(unrestricted, dict(by_value))


@dataclass(frozen=True, slots=True)
class ProductRelevance:
    """For a sponsored-product placement: which candidates promote an available product
    that a request could find relevant, by query word, category page and SKU.

    A first cut, exact for SKUs and categories and generous for queries (each query word
    in one of the candidate's products, not necessarily all in the same one); the engine
    checks the survivors product by product. Without it, every unrestricted sponsored
    product line item would be priced on every search."""

    by_word: dict[str, int]
    by_category: dict[str, int]
    by_sku: dict[str, int]

    @classmethod
    def of(cls, candidates: tuple[Candidate, ...], products: dict[str, LiveProduct]) -> ProductRelevance:
        by_word: dict[str, int] = defaultdict(int)
        by_category: dict[str, int] = defaultdict(int)
        by_sku: dict[str, int] = defaultdict(int)
        for position, candidate in enumerate(candidates):
            bit = 1 << position
            for creative in candidate.creatives:
                product = products.get(creative.sku or "")
                if product is None:
                    continue  # unavailable: relevant to nothing
                by_sku[product.sku] |= bit
                for word in product.words:
                    by_word[word] |= bit
                for path in product.category_paths:
                    by_category[path] |= bit
        return cls(dict(by_word), dict(by_category), dict(by_sku))

    def matching(self, request: Matchable) -> int:
        mask = 0
        for sku in request.skus:
            mask |= self.by_sku.get(sku, 0)
        if request.query_words:
            found = -1  # all bits
            for word in request.query_words:
                found &= self.by_word.get(word, 0)
            mask |= found
        if request.categories:
            mask |= self.by_category.get(request.categories[-1], 0)
        return mask


@dataclass(frozen=True, slots=True)
class PlacementIndex:
    placement: LivePlacement
    candidates: tuple[Candidate, ...]
    keywords: Dimension
    categories: Dimension
    audiences: Dimension
    countries: Dimension
    devices: Dimension
    # Line items that can never serve here: id -> (advertiser id, reason).
    excluded: dict[str, tuple[str, Reason]] = field(default_factory=dict)
    relevance: ProductRelevance | None = None  # sponsored-product placements only
    per_click: int = 0  # the CPC candidates' bits
    studied: int = 0  # the bits of candidates whose campaign holds users out to measure lift

    def targeting_masks(self, request: Matchable) -> list[tuple[Reason, int]]:
        """Per dimension, the candidates the request satisfies, in the order reasons are told."""
        audience_reason = Reason.AUDIENCE_MISMATCH if request.user_known else Reason.AUDIENCE_NEEDS_CONSENT
        masks = [
            (Reason.KEYWORD_MISMATCH, self.keywords.matching(request.phrases)),
            (Reason.CATEGORY_MISMATCH, self.categories.matching(request.categories)),
            (audience_reason, self.audiences.matching(request.segments)),
            (Reason.COUNTRY_MISMATCH, self.countries.matching((request.country,) if request.country else ())),
            (Reason.DEVICE_MISMATCH, self.devices.matching((request.device,) if request.device else ())),
        ]
        if self.relevance is not None:
            masks.append((Reason.NO_RELEVANT_PRODUCT, self.relevance.matching(request)))
        return masks

    def matching(self, request: Matchable) -> int:
        mask = (1 << len(self.candidates)) - 1
        for _, dimension_mask in self.targeting_masks(request):
            mask &= dimension_mask
        return mask


def bits(mask: int) -> Iterator[int]:
    """Positions of the set bits, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


@dataclass(frozen=True, slots=True)
class Snapshot:
    version: int
    built_at: datetime
    timezone: ZoneInfo
    placements: dict[str, PlacementIndex]
    products: dict[str, LiveProduct]
    campaigns: dict[str, LiveCampaign] = field(default_factory=dict)  # budgets, for charging events

    @property
    def line_item_count(self) -> int:
        return len({c.id for index in self.placements.values() for c in index.candidates})


def _fits(creative: LiveCreative, placement: LivePlacement, line_item: LiveLineItem) -> bool:
    if creative.format != placement.format:
        return False
    if creative.format == BANNER and placement.sizes:
        return creative.size in placement.sizes
    if creative.format == SPONSORED_PRODUCT:
        return creative.sku in line_item.products
    return True


def _creatives_for(line_item: LiveLineItem, placement: LivePlacement) -> tuple[LiveCreative, ...]:
    """Creatives that fit the placement. A sponsored product's SKU may be unavailable now:
    that is checked per request, so the loser is told `no_relevant_product`."""
    fitting = [c for c in line_item.creatives if _fits(c, placement, line_item)]
    if placement.format == SPONSORED_PRODUCT:
        order = {sku: i for i, sku in enumerate(line_item.products)}
        fitting.sort(key=lambda c: order.get(c.sku or "", len(order)))
    return tuple(fitting)


def symmetric_competitors(advertisers: dict[str, LiveAdvertiser]) -> dict[str, LiveAdvertiser]:
    """Competitive separation goes both ways, whichever side the operator marked."""
    rivals: dict[str, set[str]] = {a: set(adv.competitors) for a, adv in advertisers.items()}
    for a, adv in advertisers.items():
        for other in adv.competitors:
            rivals.setdefault(other, set()).add(a)
    return {a: replace(adv, competitors=frozenset(rivals[a])) for a, adv in advertisers.items()}


def compile_snapshot(inventory: Inventory, version: int, built_at: datetime, timezone: ZoneInfo) -> Snapshot:
    """Index every live line item under each placement it buys and can fill."""
    advertisers = symmetric_competitors(inventory.advertisers)
    per_placement: dict[str, list[Candidate]] = {pid: [] for pid in inventory.placements}
    excluded: dict[str, dict[str, tuple[str, Reason]]] = {pid: {} for pid in inventory.placements}
    for line_item in inventory.line_items:
        campaign = inventory.campaigns[line_item.campaign_id]
        advertiser = advertisers[line_item.advertiser_id]
        for pid in sorted(line_item.placements):
            placement = inventory.placements.get(pid)
            if placement is None:
                continue
            creatives = _creatives_for(line_item, placement)
            if not creatives:
                excluded[pid][line_item.id] = (line_item.advertiser_id, Reason.NO_FITTING_CREATIVE)
                continue
            categories = frozenset(category_prefixes(advertiser.category)) if advertiser.category else frozenset()
            per_placement[pid].append(Candidate(line_item, campaign, advertiser, creatives, categories))
    indexes = {}
    for pid, candidates in per_placement.items():
        # Numbered by bid, highest first (then by id, as the auction breaks ties): walking
        # the set bits of a match lowest first meets CPM bids in their rank order.
        ordered = tuple(sorted(candidates, key=lambda c: (-c.line_item.bid_micros, c.id)))
        placement = inventory.placements[pid]
        indexes[pid] = PlacementIndex(
            placement=placement,
            candidates=ordered,
            keywords=_dimension(ordered, lambda c: c.line_item.targeting.keywords),
            categories=_dimension(ordered, lambda c: c.line_item.targeting.categories),
            audiences=_dimension(ordered, lambda c: c.line_item.targeting.audiences),
            countries=_dimension(ordered, lambda c: c.line_item.targeting.countries),
            devices=_dimension(ordered, lambda c: c.line_item.targeting.devices),
            excluded=excluded[pid],
            relevance=ProductRelevance.of(ordered, inventory.products)
            if placement.format == SPONSORED_PRODUCT
            else None,
            per_click=sum(1 << n for n, c in enumerate(ordered) if c.line_item.pricing is Pricing.CPC),
            studied=sum(1 << n for n, c in enumerate(ordered) if c.campaign.holdout_percent > 0),
        )
    return Snapshot(
        version=version,
        built_at=built_at,
        timezone=timezone,
        placements=indexes,
        campaigns=dict(inventory.campaigns),
        products=inventory.products,
    )
