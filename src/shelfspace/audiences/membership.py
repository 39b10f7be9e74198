"""Who is in which segment, kept in memory and answered in constant time.

`AudienceIndex` holds each user's recent first-party facts (views, searches, add-to-carts,
purchases), the compiled rules, and the answer the decision engine asks for on every
request: the user's segments, a dict lookup. It changes in three ways:
- new events: only the users they touch are evaluated again (`add_events`);
- time passing: a fact leaves a window with no event to say so. Each user's next such
  moment (a fact's time plus a window of some condition) waits in a heap, and `expire`
  evaluates again only the users whose moment has come;
- the rules or the product catalogue change: `set_audiences` evaluates everyone.

A segment smaller than the minimum size is not targetable: `segments_of` never returns
it, so no line item can reach so few people (their membership would say too much about
each of them). One thread writes (the refresher); readers see whole dicts swapped in.
"""

from __future__ import annotations

import hashlib
import heapq
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shelfspace.audiences.rules import (
    DAY,
    MAX_WITHIN_DAYS,
    Fact,
    Predicate,
    Rule,
    by_kind,
    compile_rule,
    conditions,
)
from shelfspace.decisioning.text import words
from shelfspace.events.model import BehaviourType, Event, EventType

EMPTY: frozenset[str] = frozenset()
DEFAULT_MIN_SIZE = 100
DIGEST_MASK = (1 << 64) - 1


def member_hash(user_id: str) -> int:
    """A user's share of a segment's digest: a stable 64-bit hash (the same in every process)."""
    return int.from_bytes(hashlib.blake2b(user_id.encode(), digest_size=8).digest(), "big")


def members_digest(user_ids: Iterable[str]) -> int:
    """Who is in a set, in 64 bits and whatever the order: the sum of the members' hashes.
    Two rules holding the same users have the same digest, which keys the noise on the sizes
    brands see (disclosure.py): rewriting a rule cannot buy fresh noise to average away."""
    return sum(member_hash(u) for u in user_ids) & DIGEST_MASK


@dataclass(frozen=True, slots=True)
class ProductFacts:
    brand: str | None
    category: str | None


def facts_of(event: Event, products: Mapping[str, ProductFacts]) -> list[Fact]:
    """What an event says a user did, for audiences: a behaviour event is one fact, an
    order one purchase per item (with what was paid). Other events say nothing here."""
    data = event.data or {}
    if event.type is EventType.BEHAVIOUR:
        sku = data.get("sku")
        product = products.get(sku) if sku else None
        category = data.get("category") or (product.category if product else None)
        query = frozenset(words(data["query"])) if data.get("query") else frozenset()
        return [(event.time, BehaviourType(data["type"]), sku, category, product.brand if product else None, query, 0)]
    if event.type is EventType.CONVERSION:
        found: list[Fact] = []
        for item in data.get("items", ()):
            product = products.get(item["sku"])
            found.append(
                (
                    event.time,
                    BehaviourType.PURCHASE,
                    item["sku"],
                    product.category if product else None,
                    product.brand if product else None,
                    frozenset(),
                    item["quantity"] * item["price_micros"],
                )
            )
        return found
    return []


@dataclass(frozen=True, slots=True)
class CompiledAudience:
    id: str
    predicate: Predicate
    windows: frozenset[int]  # seconds: every condition's window


def compiled(audiences: Iterable[tuple[str, Rule]]) -> list[CompiledAudience]:
    return [
        CompiledAudience(aid, compile_rule(rule), frozenset(int(c.within_days * DAY) for c in conditions(rule)))
        for aid, rule in audiences
    ]


class AudienceIndex:
    def __init__(self, min_size: int = DEFAULT_MIN_SIZE) -> None:
        self.min_size = min_size
        self._audiences: list[CompiledAudience] = []
        self._products: Mapping[str, ProductFacts] = {}
        self._history: dict[str, dict[str, list[Fact]]] = {}  # user -> event key -> facts
        self._forgotten: dict[str, float] = {}  # user -> erased at (epoch seconds)
        self._members: dict[str, frozenset[str]] = {}  # every segment each user is in
        self._visible: dict[str, frozenset[str]] = {}  # only the targetable ones: what decisions read
        self._sizes: dict[str, int] = {}
        self._digests: dict[str, int] = {}  # each segment's members_digest, kept up to date with the sizes
        self._targetable: frozenset[str] = EMPTY
        self._windows: tuple[int, ...] = ()  # every window of every live rule, in seconds
        self._due: list[tuple[float, str]] = []  # heap: (when a fact of the user leaves a window, user)
        self._due_at: dict[str, float] = {}  # each user's entry that counts (older heap entries are stale)
        self._lock = threading.Lock()  # writers only; readers take the current dicts

    # --- reads (any thread) -----------------------------------------------------------

    def segments_of(self, user_id: str) -> frozenset[str]:
        """The decision engine's question: one dict lookup."""
        return self._visible.get(user_id, EMPTY)

    def sizes(self) -> dict[str, int]:
        return dict(self._sizes)

    def visible_members(self) -> Mapping[str, frozenset[str]]:
        """Every user's targetable segments, as decisions read them (the current map,
        never changed in place): a forecast hashes it to match sampled requests."""
        return self._visible

    def targetable(self, audience_id: str) -> bool:
        return audience_id in self._targetable

    def members(self, audience_id: str) -> list[str]:
        """The segment's user ids, for exports (never shown to advertisers)."""
        return sorted(u for u, segments in self._members.items() if audience_id in segments)

    def digest(self, audience_id: str) -> int | None:
        """The segment's `members_digest`, or None while this process has not counted it."""
        return self._digests.get(audience_id)

    def count(self, rule: Rule, now: float) -> int:
        """How many users a rule would hold now (a preview: nothing is kept)."""
        return self.matching(rule, now)[0]

    def matching(self, rule: Rule, now: float) -> tuple[int, int]:
        """How many users a rule would hold now, and their `members_digest`."""
        predicate = compile_rule(rule)
        histories = list(self._history.items())
        found = [
            user for user, facts in histories if predicate(by_kind(f for fs in list(facts.values()) for f in fs), now)
        ]
        return len(found), members_digest(found)

    @property
    def users(self) -> int:
        return len(self._history)

    # --- writes (the refresher's thread) ------------------------------------------------

    def set_audiences(
        self, audiences: Iterable[tuple[str, Rule]], products: Mapping[str, ProductFacts], now: float
    ) -> None:
        with self._lock:
            self._audiences = compiled(audiences)
            self._windows = tuple(sorted({w for a in self._audiences for w in a.windows}))
            if products is not self._products:
                self._products = products
            self._evaluate_all(now)

    def add_events(self, events: Iterable[Event], now: float) -> int:
        """Take new events in; the users they touch are evaluated again. Returns how many
        users changed segments. An event seen before (same key) changes nothing and costs
        no evaluation, so reading part of the log again is cheap."""
        with self._lock:
            return self._evaluate(self._store(events), now)

    def load(self, events: Iterable[Event]) -> None:
        """A process's first read of the log, batch by batch: facts stored, nobody
        evaluated yet (`evaluate_all` once at the end, not once per batch)."""
        with self._lock:
            self._store(events)

    def evaluate_all(self, now: float) -> None:
        with self._lock:
            self._evaluate_all(now)

    def _store(self, events: Iterable[Event]) -> set[str]:
        """Keep the events' facts; the users with new facts."""
        touched: set[str] = set()
        for event in events:
            user = event.user_id
            if user is None or not event.counted or self._forgotten.get(user, -1.0) >= event.time:
                continue
            history = self._history.setdefault(user, {})
            if event.key in history:
                continue
            facts = facts_of(event, self._products)
            if facts:
                history[event.key] = facts
                touched.add(user)
            elif not history:
                del self._history[user]
        return touched

    def forget(self, erased: Mapping[str, float], now: float) -> None:
        """Data-subject erasures: the users' facts up to the erasure time go, at once."""
        with self._lock:
            self._forgotten.update(erased)
            for user, when in erased.items():
                kept = {k: fs for k, fs in self._history.get(user, {}).items() if fs[0][0] > when}
                if kept:
                    self._history[user] = kept
                else:
                    self._history.pop(user, None)
            self._evaluate(set(erased), now)

    def expire(self, now: float) -> int:
        """Evaluate again the users one of whose facts has left a window since; returns
        how many were."""
        with self._lock:
            users: set[str] = set()
            while self._due and self._due[0][0] < now:  # a fact at exactly since = now - window is still in
                when, user = heapq.heappop(self._due)
                if self._due_at.get(user) == when:
                    del self._due_at[user]
                    users.add(user)
            self._evaluate(users, now)
            if len(self._due) > 2 * len(self._due_at) + 1024:  # mostly stale entries: keep the live ones
                self._due = [(when, user) for user, when in self._due_at.items()]
                heapq.heapify(self._due)
            return len(users)

    # --- evaluation -----------------------------------------------------------------------

    def _evaluate_all(self, now: float) -> None:
        keep_since = now - MAX_WITHIN_DAYS * DAY  # any new audience may look this far back
        for user in list(self._history):
            kept = {k: fs for k, fs in self._history[user].items() if fs[0][0] >= keep_since}
            if kept:
                self._history[user] = kept
            else:
                del self._history[user]
        members: dict[str, frozenset[str]] = {}
        self._due, self._due_at = [], {}
        for user, by_key in self._history.items():
            segments = self._segments(user, by_key, now)
            if segments:
                members[user] = segments
        self._publish(members)

    def _evaluate(self, users: set[str], now: float) -> int:
        """Evaluate some users again and update their entries and the sizes in place (a
        dict entry set is atomic, so readers never see a half-made answer)."""
        changed = 0
        sizes = dict(self._sizes)
        digests = dict(self._digests)
        for user in users:
            before = self._members.get(user, EMPTY)
            after = self._segments(user, self._history.get(user, {}), now)
            if after == before:
                continue
            changed += 1
            share = member_hash(user)
            for aid in before - after:
                sizes[aid] -= 1
                digests[aid] = (digests.get(aid, 0) - share) & DIGEST_MASK
            for aid in after - before:
                sizes[aid] = sizes.get(aid, 0) + 1
                digests[aid] = (digests.get(aid, 0) + share) & DIGEST_MASK
            if after:
                self._members[user] = after
            else:
                self._members.pop(user, None)
            visible = after & self._targetable
            if visible:
                self._visible[user] = visible
            else:
                self._visible.pop(user, None)
        if changed:
            self._digests = digests
            self._set_sizes(sizes)  # a segment crossing the minimum size rebuilds every view
        return changed

    def _segments(self, user: str, history: Mapping[str, list[Fact]], now: float) -> frozenset[str]:
        """The user's segments now; and the next moment one of their facts leaves a window,
        when they must be evaluated again."""
        facts = by_kind(f for fs in history.values() for f in fs)
        due = min(
            (t + w for fs in history.values() for t in (fs[0][0],) for w in self._windows if t + w >= now), default=None
        )
        if due is not None and self._due_at.get(user) != due:
            self._due_at[user] = due
            heapq.heappush(self._due, (due, user))
        return frozenset(a.id for a in self._audiences if a.predicate(facts, now))

    def _publish(self, members: dict[str, frozenset[str]]) -> None:
        sizes: dict[str, int] = {a.id: 0 for a in self._audiences}
        digests: dict[str, int] = {a.id: 0 for a in self._audiences}
        for user, segments in members.items():
            share = member_hash(user)
            for aid in segments:
                sizes[aid] += 1
                digests[aid] = (digests[aid] + share) & DIGEST_MASK
        self._members = members
        self._digests = digests
        self._set_sizes(sizes, rebuild=True)

    def _set_sizes(self, sizes: dict[str, int], rebuild: bool = False) -> None:
        """New sizes; when they change which segments are targetable (or after a full
        evaluation), every user's targetable view is made again and swapped in whole."""
        self._sizes = sizes
        targetable = frozenset(aid for aid, n in sizes.items() if n >= self.min_size)
        if rebuild or targetable != self._targetable:
            self._visible = {u: s & targetable for u, s in self._members.items() if s & targetable}
            self._targetable = targetable
