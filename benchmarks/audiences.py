"""Audiences benchmark: the segment index that answers the decision engine.

A network of `users` shoppers with twenty first-party facts each over the last month
(views, searches, carts, orders) and ten segments of the kinds brands ask for. Measured:
1. the decision engine's question, `segments_of(user)`, beside a bare dict lookup of a
   frozenset (the baseline: the least any in-memory answer can cost);
2. new events taken in, in batches of 1,000: only the users they touch are evaluated;
3. everyone evaluated again (when a rule or the catalogue changes), and an hour passing
   (only the users one of whose facts left a window are evaluated);
4. a rule counted before it is saved (the builder's "Count users").
Measured, never asserted.
"""

from __future__ import annotations

import random
import statistics
import time
import timeit
from typing import Any

from rich.table import Table

from shelfspace.audiences.membership import AudienceIndex, ProductFacts
from shelfspace.audiences.rules import RULE
from shelfspace.events.model import Event, EventType

CATEGORIES = ["dairy/milk", "dairy/cheese", "beverages/coffee", "beverages/tea", "snacks/crisps", "bakery/bread",
              "produce/fruit", "household/laundry", "personal-care/hair", "frozen/meat"]
BRANDS = ["Brightbean", "Dairyfold", "Crunchwell", "Leafy", "Homely"]
QUERIES = ["oat milk", "decaf coffee", "sourdough", "crisps", "shampoo", "frozen chicken"]
SEGMENTS: list[dict[str, Any]] = [
    {"event": "view", "category": "dairy", "within_days": 30},
    {"event": "purchase", "brand": "Brightbean", "within_days": 90},
    {"event": "purchase", "within_days": 30, "min_spend": 40},
    {"event": "search", "query": "coffee", "within_days": 14},
    {"all": [{"event": "add_to_cart", "category": "snacks", "within_days": 7},
             {"not": {"event": "purchase", "category": "snacks", "within_days": 7}}]},
    {"any": [{"event": "purchase", "category": "beverages/coffee", "within_days": 30},
             {"event": "view", "category": "beverages/coffee", "within_days": 14, "min_count": 2}]},
    {"event": "view", "min_count": 10, "within_days": 30},
    {"event": "add_to_cart", "sku": "SKU-0042", "within_days": 30},
    {"all": [{"event": "view", "category": "bakery", "within_days": 30}, {"event": "view", "category": "dairy",
                                                                         "within_days": 30}]},
    {"not": {"event": "purchase", "within_days": 30}},
]


def _products(rng: random.Random) -> dict[str, ProductFacts]:
    return {f"SKU-{n:04d}": ProductFacts(rng.choice(BRANDS), rng.choice(CATEGORIES)) for n in range(500)}


def _events(rng: random.Random, users: int, per_user: int, now: float, start: int = 0) -> list[Event]:
    skus = [f"SKU-{n:04d}" for n in range(500)]
    found: list[Event] = []
    for n in range(start, start + users * per_user):
        user = f"u-{n % users}"
        when = now - rng.random() * 30 * 86_400
        kind = rng.choices(["view", "search", "add_to_cart", "order"], weights=[60, 20, 12, 8])[0]
        if kind == "order":
            items = [{"sku": rng.choice(skus), "quantity": rng.randint(1, 3), "price_micros": rng.randint(1, 20) * 1_000_000}]
            found.append(Event(f"conversion:{n}", EventType.CONVERSION, when, user_id=user, data={"items": items}))
        else:
            data: dict[str, Any] = {"type": kind}
            if kind == "search":
                data["query"] = rng.choice(QUERIES)
            else:
                data["sku"] = rng.choice(skus)
            found.append(Event(f"behaviour:{n}", EventType.BEHAVIOUR, when, user_id=user, data=data))
    return found


def audience_benchmark(users: int = 100_000) -> Table:
    rng = random.Random(7)
    now = time.time()
    index = AudienceIndex(min_size=100)
    rules = [(f"aud_{n}", RULE.validate_python(rule)) for n, rule in enumerate(SEGMENTS)]
    index.set_audiences(rules, _products(rng), now)
    history = _events(rng, users, 20, now)
    started = time.perf_counter()
    for start in range(0, len(history), 10_000):  # as a process's first read of the log
        index.load(history[start:start + 10_000])
    index.evaluate_all(now)
    load_seconds = time.perf_counter() - started

    ids = [f"u-{rng.randrange(users)}" for _ in range(100_000)]
    plain = {f"u-{n}": frozenset({"aud_0", "aud_3"}) for n in range(users)}
    rounds = 5

    def per_call(stmt: Any) -> float:
        best = min(timeit.repeat(stmt, number=1, repeat=rounds))
        return best / len(ids) * 1e9

    lookup_ns = per_call(lambda: [index.segments_of(u) for u in ids])
    baseline_ns = per_call(lambda: [plain.get(u) for u in ids])

    batches = []
    fresh = _events(rng, users, 1, now, start=users * 20)[:10_000]
    for start in range(0, len(fresh), 1_000):
        t = time.perf_counter()
        index.add_events(fresh[start:start + 1_000], now)
        batches.append(time.perf_counter() - t)
    products = _products(random.Random(7))
    full = []
    for _ in range(3):
        t = time.perf_counter()
        index.set_audiences(rules, products, now)
        full.append(time.perf_counter() - t)
    t = time.perf_counter()
    aged = index.expire(now + 3600)
    hour = time.perf_counter() - t
    preview = []
    for _ in range(3):
        t = time.perf_counter()
        index.count(rules[4][1], now)
        preview.append(time.perf_counter() - t)

    table = Table(title=f"Audiences: {users:,} users, {len(history):,} facts, {len(rules)} segments "
                        f"(loaded in {load_seconds:.1f} s)")
    for column in ("measure", "value", "baseline", "ratio"):
        table.add_column(column, justify="right" if column != "measure" else "left")
    table.add_row("segments_of(user), per call", f"{lookup_ns:,.0f} ns", f"{baseline_ns:,.0f} ns (dict.get)",
                  f"{lookup_ns / baseline_ns:.1f}x")
    batch = statistics.median(batches)
    table.add_row("new events, batch of 1,000 (p50)", f"{batch * 1000:,.1f} ms",
                  f"{1_000 / batch:,.0f} events/s", "")
    table.add_row("rules changed: everyone evaluated (p50 of 3)", f"{statistics.median(full):,.2f} s",
                  f"{users / statistics.median(full):,.0f} users/s", "")
    table.add_row("an hour passes: users whose facts left a window", f"{hour * 1000:,.0f} ms",
                  f"{aged:,} users evaluated", "")
    table.add_row("count a rule before saving (p50 of 3)", f"{statistics.median(preview) * 1000:,.0f} ms", "", "")
    sizes = index.sizes()
    table.add_row("segment sizes", ", ".join(f"{sizes[a]:,}" for a, _ in rules), "", "")
    return table
