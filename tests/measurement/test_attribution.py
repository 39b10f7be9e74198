"""Closed-loop attribution: which ad interaction gets the credit for each purchased item.

Each rule of `shelfspace.core.attribution` has a fixture here, with its boundaries:
the lookback windows are inclusive to the microsecond, the new-to-brand window is
[purchase - 365 days, purchase), and the answer never depends on input order or repeats.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

from shelfspace.core.attribution import (
    Conversion,
    Credit,
    Interaction,
    InteractionKind,
    Item,
    MatchKind,
    ViewThrough,
    Windows,
    attribute,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
DAY = timedelta(days=1)
T = TypeVar("T")


# --- helpers -----------------------------------------------------------------------------


def _maker(kind: InteractionKind) -> Callable[..., Interaction]:
    """click(), view(), viewable(): one interaction of that kind, at T0 for user u1 on sku-1 of acme
    unless told (a viewable one is the ad's counted impression measured viewable, MRC, dated
    when it became so)."""

    def make(
        ad_id: str = "ad-1",
        *,
        at: datetime = T0,
        user: str = "u1",
        skus: tuple[str, ...] = ("sku-1",),
        brands: tuple[str, ...] = ("acme",),
    ) -> Interaction:
        return _interaction(ad_id, kind, at, user, skus, brands)

    return make


click, view, viewable = (
    _maker(kind) for kind in (InteractionKind.CLICK, InteractionKind.VIEW, InteractionKind.VIEWABLE)
)


def _interaction(
    ad_id: str, kind: InteractionKind, at: datetime, user: str, skus: tuple[str, ...], brands: tuple[str, ...]
) -> Interaction:
    return Interaction(
        ad_id=ad_id,
        kind=kind,
        time=at,
        user_id=user,
        advertiser_id="adv-1",
        campaign_id="c-1",
        line_item_id="li-1",
        creative_id="cr-1",
        placement_id="pl-1",
        skus=frozenset(skus),
        brands=frozenset(brands),
    )


def item(sku: str = "sku-1", brand: str | None = "acme", quantity: int = 1, price: int = 2_500_000) -> Item:
    return Item(sku=sku, brand=brand, quantity=quantity, price_micros=price)


def order(
    id_: str = "o1", *, at: datetime = T0 + DAY / 2, user: str = "u1", items: tuple[Item, ...] = ()
) -> Conversion:
    """A purchase half a day after T0 of one `item()`, unless told otherwise."""
    return Conversion(id=id_, user_id=user, time=at, items=items or (item(),))


def winners(credits: list[Credit]) -> list[tuple[str, int, str, str]]:
    """(conversion, item index, winning ad, its kind): what most tests look at."""
    return [(c.conversion_id, c.item_index, c.interaction.ad_id, c.interaction.kind.value) for c in credits]


def credited_ad(interactions: list[Interaction], conversion: Conversion, windows: Windows = Windows()) -> str | None:
    credits = attribute(interactions, [conversion], windows)
    assert len(credits) <= len(conversion.items)
    return credits[0].interaction.ad_id if credits else None


# --- a credit ----------------------------------------------------------------------------


def test_a_promoted_item_is_credited_to_the_click_with_its_revenue() -> None:
    ad = click()
    purchase = order(items=(item(quantity=3, price=2_500_000),))
    assert attribute([ad], [purchase]) == [
        Credit(
            conversion_id="o1",
            item_index=0,
            sku="sku-1",
            quantity=3,
            revenue_micros=7_500_000,
            match=MatchKind.PROMOTED,
            new_to_brand=True,
            interaction=ad,
            converted_at=purchase.time,
        )
    ]


def test_nothing_in_nothing_out() -> None:
    assert attribute([], []) == []
    assert attribute([click()], []) == []
    assert attribute([], [order()]) == []


def test_each_item_is_credited_separately_and_credits_come_sorted() -> None:
    purchase_b = order("o-b", items=(item("sku-1"), item("other", brand="nobody"), item("sku-2", brand="acme")))
    purchase_a = order("o-a", items=(item("sku-1"),))
    credits = attribute([click()], [purchase_b, purchase_a])
    assert [(c.conversion_id, c.item_index, c.sku, c.match) for c in credits] == [
        ("o-a", 0, "sku-1", MatchKind.PROMOTED),
        ("o-b", 0, "sku-1", MatchKind.PROMOTED),
        ("o-b", 2, "sku-2", MatchKind.HALO),
    ]


# --- precedence --------------------------------------------------------------------------


def test_a_click_beats_a_later_view_of_the_same_item() -> None:
    assert credited_ad([click("clicked", at=T0), view("viewed", at=T0 + DAY / 4)], order()) == "clicked"


def test_a_click_beats_a_view_even_when_the_click_is_only_a_halo_match() -> None:
    halo_click = click("halo-click", skus=("sku-2",))
    promoted_view = view("promoted-view", at=T0 + DAY / 4)
    credits = attribute([halo_click, promoted_view], [order()])
    assert [(c.interaction.ad_id, c.match) for c in credits] == [("halo-click", MatchKind.HALO)]


def test_a_promoted_match_beats_a_later_halo_match() -> None:
    promoted = click("promoted", at=T0)
    halo = click("halo", at=T0 + DAY / 4, skus=("sku-2",))
    credits = attribute([halo, promoted], [order()])
    assert [(c.interaction.ad_id, c.match) for c in credits] == [("promoted", MatchKind.PROMOTED)]


def test_a_promoted_view_beats_a_later_halo_view() -> None:
    promoted = view("promoted", at=T0)
    halo = view("halo", at=T0 + DAY / 4, skus=("sku-2",))
    assert credited_ad([halo, promoted], order()) == "promoted"


def test_the_latest_of_two_clicks_wins() -> None:
    early, late = click("zz-early", at=T0), click("aa-late", at=T0 + US)
    assert credited_ad([late, early], order()) == "aa-late"
    assert credited_ad([early, late], order()) == "aa-late"


def test_the_latest_of_two_views_wins() -> None:
    assert credited_ad([view("late", at=T0 + DAY / 4), view("early", at=T0)], order()) == "late"


def test_the_smallest_ad_id_breaks_an_exact_tie() -> None:
    assert credited_ad([click("ad-b"), click("ad-a"), click("ad-c")], order()) == "ad-a"


def test_a_click_and_a_view_of_the_same_ad_are_two_interactions() -> None:
    """Same ad_id, different kind: not repeats of each other, and the click wins."""
    credits = attribute([view("ad-1", at=T0), click("ad-1", at=T0 + US)], [order()])
    assert winners(credits) == [("o1", 0, "ad-1", "click")]


# --- windows -----------------------------------------------------------------------------


def test_a_click_counts_until_exactly_14_days_later_inclusive() -> None:
    assert credited_ad([click()], order(at=T0 + 14 * DAY)) == "ad-1"
    assert credited_ad([click()], order(at=T0 + 14 * DAY + US)) is None


def test_a_view_counts_until_exactly_1_day_later_inclusive() -> None:
    assert credited_ad([view()], order(at=T0 + DAY)) == "ad-1"
    assert credited_ad([view()], order(at=T0 + DAY + US)) is None


def test_a_view_past_its_window_does_not_count_where_a_click_would() -> None:
    purchase = order(at=T0 + 2 * DAY)
    assert credited_ad([view("viewed")], purchase) is None
    assert credited_ad([view("viewed"), click("clicked")], purchase) == "clicked"


def test_a_view_still_in_its_window_loses_to_an_older_click() -> None:
    purchase = order(at=T0 + 10 * DAY)
    assert credited_ad([click("clicked", at=T0), view("viewed", at=T0 + 10 * DAY - US)], purchase) == "clicked"


def test_an_interaction_at_the_instant_of_the_purchase_counts() -> None:
    assert credited_ad([click(at=T0)], order(at=T0)) == "ad-1"
    assert credited_ad([view(at=T0)], order(at=T0)) == "ad-1"


def test_an_interaction_after_the_purchase_never_counts() -> None:
    assert credited_ad([click(at=T0 + US)], order(at=T0)) is None
    assert credited_ad([view(at=T0 + US)], order(at=T0)) is None
    assert credited_ad([click("before", at=T0 - DAY), click("after", at=T0 + US)], order(at=T0)) == "before"


def test_custom_windows() -> None:
    week = Windows(post_click_days=7, post_view_days=3)
    assert credited_ad([click()], order(at=T0 + 7 * DAY), week) == "ad-1"
    assert credited_ad([click()], order(at=T0 + 7 * DAY + US), week) is None
    assert credited_ad([view()], order(at=T0 + 3 * DAY), week) == "ad-1"
    assert credited_ad([view()], order(at=T0 + 3 * DAY + US), week) is None


def test_a_zero_day_window_keeps_only_the_same_instant() -> None:
    no_views = Windows(post_view_days=0)
    assert credited_ad([view()], order(at=T0), no_views) == "ad-1"
    assert credited_ad([view()], order(at=T0 + US), no_views) is None
    assert credited_ad([click()], order(at=T0 + US), no_views) == "ad-1"


# --- the view-through rule ----------------------------------------------------------------

VIEWABLE_ONLY = Windows(view_through=ViewThrough.VIEWABLE)


def test_by_default_any_counted_impression_is_a_view_and_a_viewable_event_adds_nothing() -> None:
    assert Windows().view_through is ViewThrough.IMPRESSION
    assert credited_ad([view("served")], order()) == "served"
    assert credited_ad([viewable("seen")], order()) is None  # its impression is the view
    assert credited_ad([view("ad-1", at=T0), viewable("ad-1", at=T0 + US)], order()) == "ad-1"
    assert winners(attribute([view(at=T0), viewable(at=T0 + US)], [order()])) == [("o1", 0, "ad-1", "view")]


def test_viewable_only_a_viewable_impression_earns_and_a_merely_served_one_does_not() -> None:
    assert credited_ad([viewable("seen")], order(), VIEWABLE_ONLY) == "seen"
    assert credited_ad([view("served")], order(), VIEWABLE_ONLY) is None
    # The served one is later and would win by recency under the default rule.
    both = [viewable("seen", at=T0), view("served", at=T0 + DAY / 4)]
    assert credited_ad(both, order(), VIEWABLE_ONLY) == "seen"
    assert credited_ad(both, order()) == "served"
    assert winners(attribute([view(), viewable()], [order()], VIEWABLE_ONLY)) == [("o1", 0, "ad-1", "viewable")]


def test_viewable_only_clicks_are_unchanged() -> None:
    for rule in ViewThrough:
        windows = Windows(view_through=rule)
        assert credited_ad([click()], order(at=T0 + 14 * DAY), windows) == "ad-1"
        assert credited_ad([click()], order(at=T0 + 14 * DAY + US), windows) is None
        assert (
            credited_ad([viewable("seen", at=T0 + DAY / 4), view("served"), click("clicked")], order(), windows)
            == "clicked"
        )  # a click beats either view
        assert credited_ad([click(at=T0 + US)], order(at=T0), windows) is None


def test_viewable_only_the_view_window_is_counted_from_the_moment_it_became_viewable() -> None:
    seen = viewable(at=T0)
    assert credited_ad([seen], order(at=T0), VIEWABLE_ONLY) == "ad-1"  # the same instant
    assert credited_ad([seen], order(at=T0 + DAY), VIEWABLE_ONLY) == "ad-1"  # exactly one day: inclusive
    assert credited_ad([seen], order(at=T0 + DAY + US), VIEWABLE_ONLY) is None
    assert credited_ad([seen], order(at=T0 - US), VIEWABLE_ONLY) is None  # viewable after the purchase
    week = Windows(post_click_days=7, post_view_days=3, view_through=ViewThrough.VIEWABLE)
    assert credited_ad([seen], order(at=T0 + 3 * DAY), week) == "ad-1"
    assert credited_ad([seen], order(at=T0 + 3 * DAY + US), week) is None
    no_views = Windows(post_view_days=0, view_through=ViewThrough.VIEWABLE)
    assert credited_ad([seen], order(at=T0), no_views) == "ad-1"
    assert credited_ad([seen], order(at=T0 + US), no_views) is None


def test_viewable_views_follow_the_precedence_of_views() -> None:
    purchase = order(items=(item("sku-1"),))
    assert credited_ad([viewable("older", at=T0), viewable("newer", at=T0 + US)], purchase, VIEWABLE_ONLY) == "newer"
    halo = viewable("halo", at=T0 + DAY / 4, skus=("sku-9",))
    assert credited_ad([viewable("promoted", at=T0), halo], purchase, VIEWABLE_ONLY) == "promoted"


def test_the_rule_names_its_view_and_the_window_that_reaches_furthest() -> None:
    assert ViewThrough.IMPRESSION.view_kind is InteractionKind.VIEW
    assert ViewThrough.VIEWABLE.view_kind is InteractionKind.VIEWABLE
    assert [k for k in InteractionKind if VIEWABLE_ONLY.earns(k)] == [InteractionKind.CLICK, InteractionKind.VIEWABLE]
    assert [k for k in InteractionKind if Windows().earns(k)] == [InteractionKind.CLICK, InteractionKind.VIEW]
    assert Windows().longest_days == 14 and Windows(post_click_days=7, post_view_days=30).longest_days == 30
    assert "50%" in ViewThrough.VIEWABLE.meaning and "2 seconds for video" in ViewThrough.VIEWABLE.meaning


# --- who and what matches ----------------------------------------------------------------


def test_another_users_interaction_never_counts() -> None:
    assert credited_ad([click(user="u2")], order(user="u1")) is None
    credits = attribute([click("for-u1", user="u1"), click("for-u2", user="u2")], [order("o2", user="u2")])
    assert winners(credits) == [("o2", 0, "for-u2", "click")]


def test_halo_only_when_the_brand_matches() -> None:
    banner = click(skus=(), brands=("acme", "acme kids"))
    assert credited_ad([banner], order(items=(item("sku-9", brand="acme"),))) == "ad-1"
    assert credited_ad([banner], order(items=(item("sku-9", brand="acme kids"),))) == "ad-1"
    assert credited_ad([banner], order(items=(item("sku-9", brand="globex"),))) is None
    assert credited_ad([banner], order(items=(item("sku-9", brand=None),))) is None
    assert credited_ad([click(brands=())], order(items=(item("sku-9", brand="acme"),))) is None


def test_the_same_sku_matches_even_when_its_brand_is_unknown_or_different() -> None:
    """PROMOTED is about the SKU alone: a catalogue without the brand still credits the product."""
    assert attribute([click()], [order(items=(item(brand=None),))])[0].match is MatchKind.PROMOTED
    assert attribute([click()], [order(items=(item(brand="globex"),))])[0].match is MatchKind.PROMOTED


def test_an_item_neither_promoted_nor_of_the_brand_is_not_credited() -> None:
    assert attribute([click()], [order(items=(item("sku-9", brand="globex"),))]) == []


# --- new to brand ------------------------------------------------------------------------


def new_to_brand(
    purchase: Conversion,
    *,
    others: tuple[Conversion, ...] = (),
    history: tuple[Conversion, ...] = (),
    windows: Windows = Windows(),
) -> bool:
    """Whether the first item of `purchase` is credited as new-to-brand (it must be credited)."""
    interactions = [click(at=purchase.time - DAY / 2)]
    credits = attribute(interactions, [purchase, *others], windows, history)
    credits = [c for c in credits if c.conversion_id == purchase.id]
    assert credits and credits[0].item_index == 0
    return credits[0].new_to_brand


NOW = T0 + 400 * DAY


def test_new_to_brand_without_any_earlier_purchase() -> None:
    assert new_to_brand(order(at=NOW))


def test_a_purchase_exactly_365_days_before_is_prior() -> None:
    """The prior window is [purchase - 365 days, purchase): its start is inside."""
    earlier = order("old", at=NOW - 365 * DAY, items=(item("sku-7"),))
    assert not new_to_brand(order(at=NOW), history=(earlier,))


def test_a_purchase_just_over_365_days_before_is_not_prior() -> None:
    earlier = order("old", at=NOW - 365 * DAY - US, items=(item("sku-7"),))
    assert new_to_brand(order(at=NOW), history=(earlier,))


def test_a_purchase_at_the_same_instant_is_not_prior() -> None:
    """The window is open at the purchase's time: simultaneous orders are both new."""
    same_time = order("other", at=NOW, items=(item("sku-7"),))
    assert new_to_brand(order(at=NOW), history=(same_time,))
    assert new_to_brand(order(at=NOW), others=(same_time,))
    assert not new_to_brand(order(at=NOW), history=(order("just-before", at=NOW - US),))


def test_a_later_purchase_does_not_make_an_earlier_one_repeat() -> None:
    assert new_to_brand(order(at=NOW), others=(order("later", at=NOW + US),))


def test_the_conversion_itself_does_not_count_as_an_earlier_purchase() -> None:
    two_of_the_brand = order(at=NOW, items=(item("sku-1"), item("sku-2")))
    credits = attribute([click(at=NOW - DAY, skus=("sku-1", "sku-2"))], [two_of_the_brand])
    assert [c.new_to_brand for c in credits] == [True, True]


def test_earlier_purchases_among_the_conversions_count_too() -> None:
    earlier = order("o0", at=NOW - 30 * DAY, items=(item("sku-7"),))
    assert not new_to_brand(order(at=NOW), others=(earlier,))


def test_only_the_same_brand_and_the_same_user_count() -> None:
    assert new_to_brand(order(at=NOW), history=(order("old", at=NOW - DAY, items=(item(brand="globex"),)),))
    assert new_to_brand(order(at=NOW), history=(order("old", at=NOW - DAY, items=(item(brand=None),)),))
    assert new_to_brand(order(at=NOW), history=(order("old", at=NOW - DAY, user="u2"),))
    assert not new_to_brand(order(at=NOW), history=(order("old", at=NOW - DAY, items=(item("x"), item("sku-3"))),))


def test_an_item_without_a_brand_is_never_new_to_brand() -> None:
    assert not new_to_brand(order(at=NOW, items=(item(brand=None),)))


def test_custom_new_to_brand_window() -> None:
    month = Windows(new_to_brand_days=30)
    earlier = order("old", at=NOW - 30 * DAY, items=(item("sku-7"),))
    assert not new_to_brand(order(at=NOW), history=(earlier,), windows=month)
    assert new_to_brand(order(at=NOW + US), history=(earlier,), windows=month)


def test_a_conversion_also_in_history_counts_once_as_itself() -> None:
    purchase = order(at=NOW)
    assert new_to_brand(purchase, history=(purchase,))


# --- repeats and order -------------------------------------------------------------------


def test_repeated_conversions_are_credited_once() -> None:
    purchase = order()
    assert len(attribute([click()], [purchase, purchase, purchase])) == 1


def test_repeated_interactions_count_once() -> None:
    ad = click()
    assert attribute([ad, ad, ad], [order()]) == attribute([ad], [order()])


def test_disagreeing_repeats_resolve_to_the_earliest_copy_whatever_the_order() -> None:
    first_click, re_sent = click("ad-1", at=T0), click("ad-1", at=T0 + DAY)
    purchase = order(at=T0 + 14 * DAY + DAY / 2)  # inside the re-sent copy's window only
    assert attribute([first_click, re_sent], [purchase]) == []
    assert attribute([re_sent, first_click], [purchase]) == []

    early, late = order("o1", at=T0 + DAY / 2), order("o1", at=T0 + DAY)
    for conversions in ([early, late], [late, early]):
        assert [c.converted_at for c in attribute([click()], conversions)] == [early.time]


def test_inputs_may_be_one_shot_iterators() -> None:
    credits = attribute(iter([click()]), iter([order()]), history=iter([order("old", at=T0 - DAY)]))
    assert winners(credits) == [("o1", 0, "ad-1", "click")]
    assert not credits[0].new_to_brand


def test_invalid_items_do_not_crash() -> None:
    """Quantities and prices are validated upstream; here they just pass through."""
    purchase = order(items=(item(quantity=0), item(quantity=-2, price=3), item(price=-1)))
    assert [c.revenue_micros for c in attribute([click()], [purchase])] == [0, -6, -1]


USERS = ("u1", "u2")
SKUS = ("sku-1", "sku-2", "sku-3")
BRANDS = ("acme", "globex")
OFFSETS = st.integers(min_value=0, max_value=20 * 24).map(lambda hours: T0 + timedelta(hours=hours))

interactions_strategy = st.builds(
    _interaction,
    ad_id=st.sampled_from(("ad-1", "ad-2", "ad-3", "ad-4", "ad-5")),
    kind=st.sampled_from(InteractionKind),
    at=OFFSETS,
    user=st.sampled_from(USERS),
    skus=st.lists(st.sampled_from(SKUS), max_size=2).map(tuple),
    brands=st.lists(st.sampled_from(BRANDS), max_size=2).map(tuple),
)
items_strategy = st.builds(
    item,
    sku=st.sampled_from(SKUS),
    brand=st.sampled_from((*BRANDS, None)),
    quantity=st.integers(1, 3),
    price=st.integers(0, 5_000_000),
)
conversions_strategy = st.builds(
    order,
    id_=st.sampled_from(("o1", "o2", "o3", "o4", "o5", "o6")),
    at=OFFSETS,
    user=st.sampled_from(USERS),
    items=st.lists(items_strategy, min_size=1, max_size=3).map(tuple),
)


def shuffled_with_repeats(records: list[T], rng: random.Random) -> list[T]:
    doubled = records + rng.sample(records, k=rng.randint(0, len(records)))
    rng.shuffle(doubled)
    return doubled


@settings(max_examples=200, deadline=None)
@given(
    interactions=st.lists(interactions_strategy, max_size=12),
    conversions=st.lists(conversions_strategy, max_size=6),
    history=st.lists(conversions_strategy, max_size=4),
    rng=st.randoms(use_true_random=False),
    rule=st.sampled_from(ViewThrough),
)
def test_shuffling_and_repeating_the_inputs_does_not_change_the_credits(
    interactions: list[Interaction],
    conversions: list[Conversion],
    history: list[Conversion],
    rng: random.Random,
    rule: ViewThrough,
) -> None:
    """Same (ad_id, kind) or same conversion id with different content included: ids collide often."""
    windows = Windows(view_through=rule)
    expected = attribute(interactions, conversions, windows, history)
    again = attribute(
        shuffled_with_repeats(interactions, rng),
        shuffled_with_repeats(conversions, rng),
        windows,
        shuffled_with_repeats(history, rng),
    )
    assert again == expected
    assert [(c.conversion_id, c.item_index) for c in expected] == sorted(
        {(c.conversion_id, c.item_index) for c in expected}
    )


@settings(max_examples=200, deadline=None)
@given(
    interactions=st.lists(interactions_strategy, max_size=12),
    conversions=st.lists(conversions_strategy, max_size=6),
    history=st.lists(conversions_strategy, max_size=4),
)
def test_viewable_only_is_the_default_rule_with_the_viewable_views_as_its_views(
    interactions: list[Interaction], conversions: list[Conversion], history: list[Conversion]
) -> None:
    """The rule changes which views count and nothing else: windows, precedence, new to
    brand and clicks are the same."""
    as_views = [replace(i, kind=InteractionKind.VIEW) for i in interactions if i.kind is InteractionKind.VIEWABLE]
    clicks = [i for i in interactions if i.kind is InteractionKind.CLICK]
    viewable_only = attribute(interactions, conversions, VIEWABLE_ONLY, history)
    relabelled = attribute([*clicks, *as_views], conversions, Windows(), history)
    kind_of = {InteractionKind.VIEWABLE: InteractionKind.VIEW}
    assert [
        replace(c, interaction=replace(c.interaction, kind=kind_of.get(c.interaction.kind, c.interaction.kind)))
        for c in viewable_only
    ] == relabelled
