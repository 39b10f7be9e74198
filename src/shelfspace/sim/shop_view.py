"""The network as the simulator sees it: read through the public API, so it works on any network."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from shelfspace.catalog.enums import AdFormat, Channel
from shelfspace.client import ApiError, Shelfspace


@dataclass(frozen=True, slots=True)
class ShopProduct:
    sku: str
    title: str
    brand: str
    category: str
    price: Decimal
    keyword: str  # what a shopper types to find it, e.g. "milk"


@dataclass(frozen=True, slots=True)
class ShopPlacement:
    id: str
    channel: Channel
    format: AdFormat
    max_ads: int


@dataclass(slots=True)
class ShopView:
    placements: list[ShopPlacement]
    products: list[ShopProduct]
    brands_of_advertiser: dict[str, tuple[str, ...]]  # advertiser id -> brand names it sells under, sorted
    category_of_advertiser: dict[str, str]
    by_category: dict[str, list[ShopProduct]] = field(default_factory=dict)
    by_brand: dict[str, list[ShopProduct]] = field(default_factory=dict)
    by_sku: dict[str, ShopProduct] = field(default_factory=dict)
    all_brand_names: frozenset[str] = field(default_factory=frozenset)  # every advertiser's, for surveys

    def __post_init__(self) -> None:
        categories: defaultdict[str, list[ShopProduct]] = defaultdict(list)
        brands: defaultdict[str, list[ShopProduct]] = defaultdict(list)
        for product in self.products:
            categories[product.category.split("/", 1)[0]].append(product)
            brands[product.brand].append(product)
            self.by_sku[product.sku] = product
        self.by_category, self.by_brand = dict(categories), dict(brands)
        self.all_brand_names = frozenset(n for names in self.brands_of_advertiser.values() for n in names)

    def placements_where(self, channel: Channel, formats: set[AdFormat] | None = None) -> list[ShopPlacement]:
        return [p for p in self.placements if p.channel is channel and (formats is None or p.format in formats)]


class DiscoveryFailed(Exception):
    """The server did not list what the simulator needs (wrong URL or key)."""


def _all(shelfspace: Shelfspace, resource: str) -> list[dict[str, Any]]:
    try:
        return list(shelfspace.all(resource, limit=200))
    except (ApiError, httpx.HTTPError) as exc:
        raise DiscoveryFailed(f"listing {resource} failed: {exc}") from None


def keyword_of(title: str, brand: str) -> str:
    """`Dairyland Whole milk, 1 l` → `milk`: the word a shopper searches for."""
    name = title.split(",", 1)[0].removeprefix(brand).strip()
    words = [w for w in name.lower().split() if w.isalpha()]
    return words[-1] if words else name.lower()


def discover(shelfspace: Shelfspace) -> ShopView:
    """The network, read with an operator key through the public API.

    Placements and products are sorted by their own keys, not listed in id order: ids
    carry random bits after the millisecond, so two seedings of the same network list
    objects made in the same millisecond in different orders, and the same seed would
    then send different shoppers."""
    placements = sorted(
        (
            ShopPlacement(p["id"], Channel(p["channel"]), AdFormat(p["format"]), int(p.get("max_ads") or 1))
            for p in _all(shelfspace, "placements")
            if p.get("status", "active") == "active"
        ),
        key=lambda p: p.id,
    )
    products = sorted(
        (
            ShopProduct(
                p["sku"],
                p["title"],
                p.get("brand") or "",
                p.get("category") or "general",
                Decimal(str(p["price"])) if p.get("price") is not None else Decimal("1"),
                keyword_of(p["title"], p.get("brand") or ""),
            )
            for p in _all(shelfspace, "products")
            if p.get("available", True)
        ),
        key=lambda p: p.sku,
    )
    advertisers = _all(shelfspace, "advertisers")
    # Sorted, not a set: a set of strings iterates in an order that changes with each process.
    brands = {a["id"]: tuple(sorted({a["name"], *(a.get("brands") or [])})) for a in advertisers}
    categories = {a["id"]: a.get("category") or "" for a in advertisers}
    return ShopView(placements, products, brands, categories)
