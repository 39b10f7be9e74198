"""One placement's bids, walked lazily from the top: what the engine ranks and keeps.

A bid is a candidate priced with its best creative (and product); the ranking merges CPM
bids, which come already in rank order, with CPC bids, priced up front into a heap, and
remembers what it kept (advertisers, products, held-out bids by rank) so the walk can
resume when a reservation is refused. The page is what earlier placements of the same
answer already hold.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field

from shelfspace.decisioning import auction
from shelfspace.decisioning.index import Candidate
from shelfspace.decisioning.inventory import LiveCreative, LiveProduct


@dataclass(slots=True)
class Bid:
    candidate: Candidate
    creative: LiveCreative
    product: LiveProduct | None
    predicted_ctr: float | None  # predicted for CPC bids; a CPM bid's eCPM needs none
    ecpm: int
    held_out: bool = False


@dataclass(slots=True)
class Page:
    """What earlier placements of the same answer already hold."""

    advertisers: set[str] = field(default_factory=set)
    skus: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Ranking:
    """One placement's bids, walked lazily from the top.

    CPM bids come from `cpm`, already in rank order (the snapshot numbers candidates by
    bid), and are priced only when reached; CPC bids, whose eCPM depends on the predicted
    CTR, are all priced up front into the `pending` heap. `pop` merges the two. `ranked`
    holds the bids checked and kept, so the walk can resume when a reservation is refused.
    """

    cpm: Iterator[Bid]
    pending: list[tuple[tuple[int, int, str], int, Bid]] = field(default_factory=list)
    ranked: list[Bid] = field(default_factory=list)
    advertisers: set[str] = field(default_factory=set)
    skus: set[str] = field(default_factory=set)
    # Bids of an advertiser that already has one kept: they compete again if that one's
    # reservation is refused (its budget or its funds ran short).
    aside: dict[str, list[Bid]] = field(default_factory=dict)
    pushed: int = 0  # heap entries' second key: bids never compare with each other
    _next_cpm: Bid | None = None

    @staticmethod
    def _order(bid: Bid) -> tuple[int, int, str]:
        return auction.rank_key(bid.ecpm, bid.candidate.line_item.pricing, bid.candidate.id)

    @property
    def bidding(self) -> int:
        return sum(1 for b in self.ranked if not b.held_out)

    def pop(self) -> Bid | None:
        """The best bid not yet looked at, or None when there is none."""
        if self._next_cpm is None:
            self._next_cpm = next(self.cpm, None)
        cpm = self._next_cpm
        if self.pending and (cpm is None or self.pending[0][0] < self._order(cpm)):
            return heapq.heappop(self.pending)[2]
        self._next_cpm = None
        return cpm

    def push(self, bid: Bid) -> None:
        self.pushed += 1
        heapq.heappush(self.pending, (self._order(bid), self.pushed, bid))

    def keep(self, bid: Bid) -> None:
        self.ranked.append(bid)
        if len(self.ranked) > 1 and self._order(self.ranked[-2]) > self._order(bid):
            self.ranked.sort(key=self._order)  # a bid set aside came back: keep rank order
        self.advertisers.add(bid.candidate.advertiser.id)
        if bid.product is not None:
            self.skus.add(bid.product.sku)

    def keep_ghost(self, bid: Bid) -> None:
        """A held-out bid, kept only for where it ranks: it takes no advertiser's or
        product's place from the bids below it."""
        self.ranked.append(bid)
        self.ranked.sort(key=self._order)

    def set_aside(self, bid: Bid) -> None:
        self.aside.setdefault(bid.candidate.advertiser.id, []).append(bid)

    def drop(self, bid: Bid) -> None:
        self.ranked.remove(bid)
        self.advertisers.discard(bid.candidate.advertiser.id)
        if bid.product is not None:
            self.skus.discard(bid.product.sku)
        for waiting in self.aside.pop(bid.candidate.advertiser.id, []):
            self.push(waiting)
