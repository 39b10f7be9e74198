"""The segment index: what events in any batches give equals one full evaluation, the
minimum size hides small segments from decisions, windows age, erasure forgets."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shelfspace.audiences.membership import AudienceIndex, ProductFacts, members_digest
from shelfspace.audiences.rules import RULE
from shelfspace.events.model import Event, EventType

NOW = 1_790_000_000.0
DAY = 86_400.0
PRODUCTS = {"SKU-1": ProductFacts("Brightbean", "beverages/coffee"), "SKU-2": ProductFacts("Dairyfold", "dairy/milk")}
RULES = [
    ("coffee", {"event": "view", "category": "beverages", "within_days": 7}),
    ("carts", {"all": [{"event": "add_to_cart", "within_days": 3}, {"not": {"event": "purchase", "within_days": 3}}]}),
    ("spenders", {"event": "purchase", "brand": "brightbean", "within_days": 30, "min_spend": 10}),
    (
        "searchers",
        {
            "any": [
                {"event": "search", "query": "Oat Milks", "within_days": 30},
                {"event": "view", "sku": "SKU-2", "min_count": 2, "within_days": 30},
            ]
        },
    ),
]


def _index(min_size: int = 1) -> AudienceIndex:
    index = AudienceIndex(min_size)
    index.set_audiences([(aid, RULE.validate_python(rule)) for aid, rule in RULES], PRODUCTS, NOW)
    return index


def behaviour(key: str, user: str, days_ago: float, kind: str, **data: Any) -> Event:
    return Event(
        f"behaviour:{key}", EventType.BEHAVIOUR, NOW - days_ago * DAY, user_id=user, data={"type": kind, **data}
    )


def order(key: str, user: str, days_ago: float, sku: str, quantity: int, price: float) -> Event:
    items = [{"sku": sku, "quantity": quantity, "price_micros": int(price * 1_000_000)}]
    return Event(f"conversion:{key}", EventType.CONVERSION, NOW - days_ago * DAY, user_id=user, data={"items": items})


events = st.lists(
    st.one_of(
        st.builds(
            lambda k, u, d, kind, sku: behaviour(str(k), f"u{u}", d, kind, sku=sku),
            st.integers(0, 60),
            st.integers(0, 5),
            st.floats(0, 40),
            st.sampled_from(["view", "add_to_cart"]),
            st.sampled_from(["SKU-1", "SKU-2"]),
        ),
        st.builds(
            lambda k, u, d, q: behaviour(str(k), f"u{u}", d, "search", query=q),
            st.integers(0, 60),
            st.integers(0, 5),
            st.floats(0, 40),
            st.sampled_from(["oat milk", "tea"]),
        ),
        st.builds(
            lambda k, u, d, n: order(str(k), f"u{u}", d, "SKU-1", n, 4.5),
            st.integers(0, 60),
            st.integers(0, 5),
            st.floats(0, 40),
            st.integers(1, 4),
        ),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(events, st.integers(1, 10), st.floats(0, 40))
def test_events_in_any_batches_and_time_passing_give_what_one_full_evaluation_gives(
    stream: list[Event], batch: int, days_later: float
) -> None:
    incremental = _index()
    for start in range(0, len(stream), batch):
        incremental.add_events(stream[start : start + batch], NOW)
    incremental.add_events(stream, NOW)  # read again: nothing changes
    later = NOW + days_later * DAY
    incremental.expire(later)  # only the users whose facts left a window since
    full = AudienceIndex(1)
    full.set_audiences([(aid, RULE.validate_python(rule)) for aid, rule in RULES], PRODUCTS, later)
    full.add_events(stream, later)
    users = {e.user_id for e in stream if e.user_id}
    assert {u: incremental.segments_of(u) for u in users} == {u: full.segments_of(u) for u in users}
    assert incremental.sizes() == full.sizes()
    # The digest of who is in each segment (it keys the noise brands see) follows every change too.
    for aid, _ in RULES:
        assert incremental.digest(aid) == full.digest(aid) == members_digest(full.members(aid))


def test_each_rule_reads_the_facts_it_names() -> None:
    index = _index()
    index.add_events(
        [
            behaviour("1", "ann", 2, "view", sku="SKU-1"),  # coffee, from the catalogue
            behaviour("2", "bob", 1, "add_to_cart", sku="SKU-2"),
            behaviour("3", "cat", 1, "add_to_cart", sku="SKU-2"),
            order("4", "cat", 0.5, "SKU-2", 1, 2.0),
            order("5", "dan", 10, "SKU-1", 2, 4.5),
            order("6", "eve", 10, "SKU-1", 3, 4.5),  # 9.00 and 13.50
            behaviour("7", "fay", 5, "search", query="organic oat milk"),
            behaviour("8", "gus", 9, "view", sku="SKU-1"),
        ],
        NOW,
    )
    assert {u: index.segments_of(u) for u in ("ann", "bob", "cat", "dan", "eve", "fay", "gus")} == {
        "ann": {"coffee"},
        "bob": {"carts"},
        "cat": frozenset(),
        "dan": frozenset(),
        "eve": {"spenders"},
        "fay": {"searchers"},
        "gus": frozenset(),
    }


def test_a_segment_under_the_minimum_is_never_returned_to_decisions() -> None:
    index = _index(min_size=3)
    index.add_events([behaviour(str(n), f"u{n}", 1, "view", sku="SKU-1") for n in range(2)], NOW)
    assert index.sizes()["coffee"] == 2 and not index.targetable("coffee")
    assert index.segments_of("u0") == frozenset() and index.members("coffee") == ["u0", "u1"]
    index.add_events([behaviour("2", "u2", 1, "view", sku="SKU-1")], NOW)
    assert index.targetable("coffee") and index.segments_of("u0") == {"coffee"}  # every member, not only u2


def test_windows_age_and_erasure_forgets_older_facts_only() -> None:
    index = _index()
    index.add_events(
        [behaviour("1", "ann", 6.5, "view", sku="SKU-1"), behaviour("2", "bob", 1, "view", sku="SKU-1")], NOW
    )
    assert index.segments_of("ann") == {"coffee"}
    index.expire(NOW + DAY)  # 7.5 days ago now: out of the 7-day window
    assert index.segments_of("ann") == frozenset() and index.sizes()["coffee"] == 1
    index.forget({"bob": NOW}, NOW)
    assert index.segments_of("bob") == frozenset() and index.users == 1
    index.add_events([behaviour("3", "bob", 2, "view", sku="SKU-1")], NOW)  # older than the erasure: ignored
    assert index.segments_of("bob") == frozenset()
    index.add_events([behaviour("4", "bob", -0.01, "view", sku="SKU-1")], NOW + DAY)  # after it: counted
    assert index.segments_of("bob") == {"coffee"}
