"""Closed-loop sales attribution: which ad interaction gets the credit for which purchased item.

The retailer knows both sides of the loop: the ads a signed-in shopper clicked or saw, and
what that shopper then bought. This module joins the two. It is pure (no SQL, no HTTP, no
clock, no global state) so the rules advertisers are billed and reported on can be read,
tested and quoted on their own, and so a report can be recomputed byte for byte.
It lives in `core/` because the rollups apply it (reporting/job.py), the settings carry
its terms (config.py `attribution_windows`) and measurement reads it: one rule below them
all, as `core/buying.py` is for what an event costs.

Eligibility. A purchased item is eligible for an ad interaction when all of these hold:

- the interaction and the purchase belong to the same user;
- the interaction happened at or before the purchase;
- the purchase came at most the lookback window after the interaction: 14 days after a
  click, 1 day after a view by default (see `Windows`). Both ends are inclusive: a purchase
  exactly 14 days 00:00:00 after a click counts, one microsecond later does not;
- a view is one the network's view-through rule accepts (`Windows.view_through`): with
  `ViewThrough.IMPRESSION` (the default) any counted impression (VIEW), dated when it was
  served; with `ViewThrough.VIEWABLE` only a counted impression that was then measured
  viewable (VIEWABLE: the MRC standard, at least 50% of the ad's pixels in view for 1
  continuous second, 2 seconds for video), dated when it became viewable (the rollups
  make a viewable event an interaction only after a counted impression of its ad). The
  other kind of view earns nothing, so callers may pass both; clicks are the same under
  either rule;
- the item matches the ad: PROMOTED when its SKU is one the line item promotes, otherwise
  HALO when its brand is one of the advertiser's brands. An item of an unknown brand can
  only match as PROMOTED.

Precedence. Each purchased item is credited to at most one interaction (a single winner,
no fractional credit), chosen among the eligible ones by, in this order:

1. a click beats a view;
2. then a promoted-product match (same SKU) beats a halo match (same brand);
3. then the latest interaction beats earlier ones;
4. then the smallest ad id, so that the result never depends on input order.

So an older click on the product beats a newer click on another product of the brand, and
any click beats any view.

New to brand. A credited item is new-to-brand when it has a known brand and the same user
bought nothing of that brand in the 365 days before (`Windows.new_to_brand_days`), that is
in the half-open interval [purchase time - 365 days, purchase time). A purchase exactly 365
days earlier is therefore prior and makes the item not new-to-brand; purchases at the same
instant (including the items of the conversion itself) are not prior. Earlier purchases
come from both the conversions being attributed and the `history` passed in.

Repeats. Interactions are identified by (ad_id, kind) and conversions by id; a repeat
counts once, and a purchase given both as a conversion and in `history` is one purchase.
If repeats disagree (which should not happen with valid upstream data) the earliest copy
wins, with the remaining fields as tie-breakers, so the answer still does not depend on the
order of the inputs.

Money is integer micros (1 unit = 1_000_000). Times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_R = TypeVar("_R")
_K = TypeVar("_K", bound=Hashable)


class InteractionKind(StrEnum):
    CLICK = "click"
    VIEW = "view"  # a counted impression: the ad was served
    VIEWABLE = "viewable"  # a counted viewable event: the served ad met the MRC viewability standard

    @property
    def is_view(self) -> bool:
        return self is not InteractionKind.CLICK


class ViewThrough(StrEnum):
    """Which views may earn view-through credit: a network setting, one of the published terms."""

    IMPRESSION = "impression"  # any counted (served) impression
    VIEWABLE = "viewable"  # only an impression measured viewable (MRC: 50% of pixels, 1 s; 2 s for video)

    @property
    def view_kind(self) -> InteractionKind:
        """The one kind of interaction that is a view under this rule."""
        return InteractionKind.VIEWABLE if self is ViewThrough.VIEWABLE else InteractionKind.VIEW

    @property
    def meaning(self) -> str:
        """What a view is under this rule, in words (reports and case studies quote it)."""
        if self is ViewThrough.VIEWABLE:
            return (
                "a viewable impression only: at least 50% of the ad's pixels in view for 1 continuous second "
                "(2 seconds for video), MRC/IAB, dated when it became viewable"
            )
        return "any counted impression (served and not invalid traffic), viewable or not"


class MatchKind(StrEnum):
    """How a purchased item relates to the ad: the very product, or another of the brand."""

    PROMOTED = "promoted"
    HALO = "halo"


@dataclass(frozen=True, slots=True)
class Interaction:
    """A counted (valid) click, impression or viewable event of a served ad, with what the ad promoted."""

    ad_id: str
    kind: InteractionKind
    time: datetime
    user_id: str
    advertiser_id: str
    campaign_id: str
    line_item_id: str
    creative_id: str
    placement_id: str
    skus: frozenset[str]  # SKUs the line item promotes (may be empty, e.g. a banner)
    brands: frozenset[str]  # the advertiser's brand names, lower-case (may be empty)


@dataclass(frozen=True, slots=True)
class Item:
    """One line of a purchase."""

    sku: str
    brand: str | None  # lower-case brand of the SKU from the catalogue, None if unknown
    quantity: int
    price_micros: int  # unit price


@dataclass(frozen=True, slots=True)
class Conversion:
    """One purchase (an order) by a known user."""

    id: str
    user_id: str
    time: datetime
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Windows:
    """The network's attribution terms: lookback windows in whole days, and which views
    count (`view_through`). The defaults are the network's published terms. Every caller
    (the rollup job, reports, case studies, lift, the simulator's truth) carries one, built
    from the settings by `config.Settings.attribution_windows`."""

    post_click_days: int = 14
    post_view_days: int = 1
    new_to_brand_days: int = 365
    view_through: ViewThrough = ViewThrough.IMPRESSION

    @property
    def longest_days(self) -> int:
        """The longest lookback: how far before a purchase an interaction may earn it."""
        return max(self.post_click_days, self.post_view_days)

    def earns(self, kind: InteractionKind) -> bool:
        """Whether an interaction of this kind may earn credit: a click, or the rule's view."""
        return kind is InteractionKind.CLICK or kind is self.view_through.view_kind


@dataclass(frozen=True, slots=True)
class Credit:
    """One purchased item credited to the one interaction that won it."""

    conversion_id: str
    item_index: int  # position of the item in conversion.items
    sku: str
    quantity: int
    revenue_micros: int  # quantity * price_micros
    match: MatchKind
    new_to_brand: bool
    interaction: Interaction
    converted_at: datetime


def attribute(
    interactions: Iterable[Interaction],
    conversions: Iterable[Conversion],
    windows: Windows = Windows(),
    history: Iterable[Conversion] = (),
) -> list[Credit]:
    """Credit each item of each conversion to at most one interaction (rules in the module doc).

    `history` holds earlier purchases that are not being attributed but still decide
    whether an item is new to its brand. Credits come sorted by (conversion_id, item_index).
    The work is linear in the input plus, per conversion, the user's interactions that fall
    inside the lookback window.
    """
    eligible = (i for i in interactions if windows.earns(i.kind))  # views of the other rule earn nothing
    timelines = _timelines(_unique(eligible, key=_interaction_id, order=_interaction_order).values())
    purchases = _unique(conversions, key=_conversion_id, order=_conversion_order)
    earlier = _unique(history, key=_conversion_id, order=_conversion_order)
    # A purchase passed both as a conversion and as history is the conversion's copy.
    brand_purchases = _brand_purchase_times(
        [*purchases.values(), *(c for id_, c in earlier.items() if id_ not in purchases)]
    )
    lookback = _Lookback(
        click=timedelta(days=windows.post_click_days),
        view=timedelta(days=windows.post_view_days),
    )
    prior = timedelta(days=windows.new_to_brand_days)

    credits: list[Credit] = []
    for conversion in sorted(purchases.values(), key=_conversion_id):
        timeline = timelines.get(conversion.user_id)
        if timeline is None:
            continue
        in_reach = timeline.before(conversion.time, lookback.longest)
        candidates = [i for i in in_reach if lookback.covers(i, conversion.time)]
        if not candidates:
            continue
        for index, item in enumerate(conversion.items):
            winner = _winner(candidates, item)
            if winner is None:
                continue
            interaction, match = winner
            credits.append(
                Credit(
                    conversion_id=conversion.id,
                    item_index=index,
                    sku=item.sku,
                    quantity=item.quantity,
                    revenue_micros=item.quantity * item.price_micros,
                    match=match,
                    new_to_brand=_is_new_to_brand(brand_purchases, conversion, item, prior),
                    interaction=interaction,
                    converted_at=conversion.time,
                )
            )
    return credits


# --- eligibility and precedence ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Lookback:
    click: timedelta
    view: timedelta

    @property
    def longest(self) -> timedelta:
        return max(self.click, self.view)

    def covers(self, interaction: Interaction, converted_at: datetime) -> bool:
        """Inclusive at both ends: 0 <= converted_at - interaction.time <= window."""
        window = self.click if interaction.kind is InteractionKind.CLICK else self.view
        return timedelta(0) <= converted_at - interaction.time <= window


def _match(interaction: Interaction, item: Item) -> MatchKind | None:
    if item.sku in interaction.skus:
        return MatchKind.PROMOTED
    if item.brand is not None and item.brand in interaction.brands:
        return MatchKind.HALO
    return None


_KIND_RANK = {InteractionKind.CLICK: 0, InteractionKind.VIEW: 1, InteractionKind.VIEWABLE: 1}
_MATCH_RANK = {MatchKind.PROMOTED: 0, MatchKind.HALO: 1}


def _precedence(interaction: Interaction, match: MatchKind) -> tuple[int, int, timedelta, str]:
    """Smaller wins: click, then promoted, then latest (hence time negated), then smallest ad id."""
    return (_KIND_RANK[interaction.kind], _MATCH_RANK[match], _EPOCH - interaction.time, interaction.ad_id)


def _winner(candidates: Iterable[Interaction], item: Item) -> tuple[Interaction, MatchKind] | None:
    best: tuple[Interaction, MatchKind] | None = None
    for interaction in candidates:
        match = _match(interaction, item)
        if match is None:
            continue
        if best is None or _precedence(interaction, match) < _precedence(*best):
            best = (interaction, match)
    return best


@dataclass(frozen=True, slots=True)
class _Timeline:
    """One user's interactions sorted by time, so a lookback window is two binary searches."""

    times: tuple[datetime, ...]
    interactions: tuple[Interaction, ...]

    def before(self, end: datetime, lookback: timedelta) -> tuple[Interaction, ...]:
        """The interactions in [end - lookback, end]."""
        low = bisect_left(self.times, end - lookback)
        high = bisect_right(self.times, end)
        return self.interactions[low:high]


def _timelines(interactions: Iterable[Interaction]) -> dict[str, _Timeline]:
    by_user: dict[str, list[Interaction]] = defaultdict(list)
    for interaction in interactions:
        by_user[interaction.user_id].append(interaction)
    timelines: dict[str, _Timeline] = {}
    for user_id, own in by_user.items():
        own.sort(key=_interaction_order)
        timelines[user_id] = _Timeline(tuple(i.time for i in own), tuple(own))
    return timelines


# --- new to brand ------------------------------------------------------------------------


def _brand_purchase_times(conversions: Iterable[Conversion]) -> dict[tuple[str, str], list[datetime]]:
    """For each (user, brand): the sorted times of the conversions with an item of the brand."""
    times: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for conversion in conversions:
        for brand in {item.brand for item in conversion.items if item.brand is not None}:
            times[(conversion.user_id, brand)].append(conversion.time)
    for bought in times.values():
        bought.sort()
    return times


def _is_new_to_brand(
    brand_purchases: dict[tuple[str, str], list[datetime]], conversion: Conversion, item: Item, prior: timedelta
) -> bool:
    """No purchase of the item's brand by the user in [conversion.time - prior, conversion.time).

    The interval is open at the conversion's time, which also leaves out the conversion
    itself. An item of unknown brand is never new-to-brand: nothing can be claimed for it.
    """
    if item.brand is None:
        return False
    bought = brand_purchases.get((conversion.user_id, item.brand), [])
    first = bisect_left(bought, conversion.time - prior)
    end = bisect_left(bought, conversion.time)
    return end <= first


# --- repeats -----------------------------------------------------------------------------


def _unique(records: Iterable[_R], *, key: Callable[[_R], _K], order: Callable[[_R], tuple[Any, ...]]) -> dict[_K, _R]:
    """One record per key; of disagreeing repeats, the first in `order`, whatever the input order."""
    unique: dict[_K, _R] = {}
    for record in records:
        seen = unique.get(key(record))
        if seen is None or order(record) < order(seen):
            unique[key(record)] = record
    return unique


def _interaction_id(interaction: Interaction) -> tuple[str, str]:
    return (interaction.ad_id, interaction.kind.value)


def _interaction_order(interaction: Interaction) -> tuple[Any, ...]:
    """A total order on interactions: time first, then every other field."""
    return (
        interaction.time,
        interaction.ad_id,
        interaction.kind.value,
        interaction.user_id,
        interaction.advertiser_id,
        interaction.campaign_id,
        interaction.line_item_id,
        interaction.creative_id,
        interaction.placement_id,
        tuple(sorted(interaction.skus)),
        tuple(sorted(interaction.brands)),
    )


def _conversion_id(conversion: Conversion) -> str:
    return conversion.id


def _conversion_order(conversion: Conversion) -> tuple[Any, ...]:
    """A total order on conversions: time first, then every other field (None brand first)."""
    items = tuple((i.sku, i.brand is not None, i.brand or "", i.quantity, i.price_micros) for i in conversion.items)
    return (conversion.time, conversion.id, conversion.user_id, items)
