"""What the outbound auctions did, counted in this process's memory.

Bid requests, bids, wins and timeouts are not events anyone acts on, and a durable row
per auction would put a write on the decision path; so they are counted here, per
partner, network day and placement for the report, and per partner and outcome for
Prometheus (`shelfspace_demand_partner_bids_total`). They restart from zero with the
process (`since` says when) and each process counts its own. Impressions and revenue,
which are money, come from the event log instead.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import prometheus_client
from prometheus_client import CollectorRegistry

from shelfspace.demand.notices import NoticeKind, NoticeOutcome


class BidOutcome(StrEnum):
    """What became of a partner's answer (whole-response outcomes) or of one bid in it."""

    WON = "won"
    OUTBID = "outbid"  # valid, but another bid for the slot was higher
    BELOW_FLOOR = "below_floor"
    UNKNOWN_IMP = "unknown_imp"  # `impid` names no imp we sent
    ZERO_PRICE = "zero_price"
    NO_MARKUP = "no_markup"  # no `adm`: nothing to show
    WRONG_CURRENCY = "wrong_currency"  # `cur` (USD when absent) is not the network's
    NO_BID = "no_bid"  # 204, or a response with no bids
    TIMEOUT = "timeout"  # no complete answer within the partner's `timeout_ms`
    HTTP_ERROR = "http_error"  # refused connection, or a status other than 200/204
    NOT_PUBLIC = "not_public"  # the endpoint resolves to a private address: not called (core/outbound.py)
    MALFORMED = "malformed"  # not an OpenRTB BidResponse, or for another request id


class Measure(StrEnum):
    BID_REQUESTS = "bid_requests"  # an imp for this placement sent to the partner
    BIDS = "bids"  # a bid received for it, valid or not
    WINS = "wins"
    TIMEOUTS = "timeouts"


def bids_metric(registry: CollectorRegistry) -> prometheus_client.Counter:
    """`shelfspace_demand_partner_bids_total{partner,outcome}`: a real Prometheus counter, so
    that with several processes (multiprocess mode) /metrics adds up every process's."""
    return prometheus_client.Counter(
        "shelfspace_demand_partner_bids",
        "Demand partners' answers and bids, by what became of them.",
        ["partner", "outcome"],
        registry=registry,
    )


def notices_metric(registry: CollectorRegistry) -> prometheus_client.Counter:
    """`shelfspace_demand_partner_notices_total{partner,kind,outcome}`: each win (`nurl`)
    and billing (`burl`) notice, sent or why not (demand/notices.py NoticeOutcome)."""
    return prometheus_client.Counter(
        "shelfspace_demand_partner_notices",
        "Demand partners' win and billing notices, by what became of them.",
        ["partner", "kind", "outcome"],
        registry=registry,
    )


@dataclass(slots=True)
class AuctionStats:
    since: datetime
    metric: prometheus_client.Counter | None = None
    notice_metric: prometheus_client.Counter | None = None
    notices: Counter[tuple[str, NoticeKind, NoticeOutcome]] = field(default_factory=Counter)
    outcomes: Counter[tuple[str, BidOutcome]] = field(default_factory=Counter)
    by_day: Counter[tuple[str, str, str, Measure]] = field(default_factory=Counter)  # partner, day, placement
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def outcome(self, partner_id: str, outcome: BidOutcome, n: int = 1) -> None:
        with self._lock:
            self.outcomes[(partner_id, outcome)] += n
        if self.metric is not None:
            self.metric.labels(partner_id, str(outcome)).inc(n)

    def notice(self, partner_id: str, kind: NoticeKind, outcome: NoticeOutcome) -> None:
        with self._lock:
            self.notices[(partner_id, kind, outcome)] += 1
        if self.notice_metric is not None:
            self.notice_metric.labels(partner_id, str(kind), str(outcome)).inc()

    def measure(self, partner_id: str, day: str, placement_id: str, measure: Measure, n: int = 1) -> None:
        with self._lock:
            self.by_day[(partner_id, day, placement_id, measure)] += n

    def of_partner(self, partner_id: str) -> dict[tuple[str, str], Counter[Measure]]:
        """(day, placement) -> counts, for one partner."""
        found: dict[tuple[str, str], Counter[Measure]] = {}
        with self._lock:
            for (partner, day, placement, measure), n in self.by_day.items():
                if partner == partner_id:
                    found.setdefault((day, placement), Counter())[measure] += n
        return found
