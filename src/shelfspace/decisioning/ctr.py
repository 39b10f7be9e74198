"""Predicted click-through rate: what turns a cost-per-click bid into an eCPM.

Clicks are the easiest thing in advertising to fake, and a CPC line item whose predicted
CTR rises wins the auction at the same bid, so the model trusts traffic little:
- it learns only from counted events: the recorder feeds it valid impressions and clicks
  alone (`tracking/counting.py` and `tracking/ivt.py` decide what is valid);
- `SmoothedCtr` shrinks twice: a creative's rate on a placement towards the placement's
  rate, and the placement's towards its format's prior. Each prior is worth a number of
  clicks (`PRIOR_CLICKS`, `PLACEMENT_PRIOR_CLICKS`: a Beta prior of that many clicks in
  as many impressions as the rate gives), so the handful of clicks an attacker gets past
  the invalid-traffic rules is a small move, and only many impressions agreeing move
  the estimate far;
- what it predicts is published at most once a `PUBLISH_SECONDS` per creative and
  placement, each time within a factor `MAX_STEP` of the last: however many clicks
  arrive in a minute, a price moves by at most that factor in it, which leaves the
  invalid-traffic rules and the operator time to see an attack before it pays.
A learned model replaces it by implementing `CtrModel`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

# Prior CTR by ad format (typical onsite retail media figures), and how many impressions
# of evidence the prior is worth.
PRIOR_CTR: dict[str, float] = {"banner": 0.002, "native": 0.004, "sponsored_product": 0.01, "video": 0.005}
DEFAULT_PRIOR_CTR = 0.002
PRIOR_CLICKS = 20.0  # a creative's rate towards its placement's: 10,000 impressions of a banner
PLACEMENT_PRIOR_CLICKS = 50.0  # a placement's rate towards its format's prior
PUBLISH_SECONDS = 60.0
MAX_STEP = 1.25
# The creative id under which the counters keep a placement's totals (all creatives).
PLACEMENT_WIDE = ""


def prior_ctr(ad_format: str) -> float:
    """The click rate a placement of this format is expected to have before any evidence."""
    return PRIOR_CTR.get(ad_format, DEFAULT_PRIOR_CTR)


class CtrStats(Protocol):
    def ctr_stats(self, creative_id: str, placement_id: str) -> tuple[int, int]: ...


class CtrModel(Protocol):
    def predict(self, creative_id: str, placement_id: str, ad_format: str) -> float: ...


class SmoothedCtr:
    """`now` (epoch seconds) bounds the change between publications; without it every
    prediction is the current estimate (tests of the estimate, replays)."""

    def __init__(
        self,
        stats: CtrStats,
        prior_clicks: float = PRIOR_CLICKS,
        placement_prior_clicks: float = PLACEMENT_PRIOR_CLICKS,
        now: Callable[[], float] | None = None,
        publish_seconds: float = PUBLISH_SECONDS,
        max_step: float = MAX_STEP,
    ) -> None:
        self.stats = stats
        self.prior_clicks = prior_clicks
        self.placement_prior_clicks = placement_prior_clicks
        self.now = now
        self.publish_seconds = publish_seconds
        self.max_step = max_step
        self._published: dict[tuple[str, str], tuple[float, float]] = {}  # → (rate, when)

    def placement_rate(self, placement_id: str, ad_format: str) -> float:
        impressions, clicks = self.stats.ctr_stats(PLACEMENT_WIDE, placement_id)
        prior = prior_ctr(ad_format)
        return (clicks + self.placement_prior_clicks) / (impressions + self.placement_prior_clicks / prior)

    def estimate(self, creative_id: str, placement_id: str, ad_format: str) -> float:
        """The shrunk rate from the counts as they are now, unbounded."""
        impressions, clicks = self.stats.ctr_stats(creative_id, placement_id)
        prior = self.placement_rate(placement_id, ad_format)
        return (clicks + self.prior_clicks) / (impressions + self.prior_clicks / prior)

    def predict(self, creative_id: str, placement_id: str, ad_format: str) -> float:
        if self.now is None:
            return self.estimate(creative_id, placement_id, ad_format)
        key, now = (creative_id, placement_id), self.now()
        published = self._published.get(key)
        if published is not None and 0 <= now - published[1] < self.publish_seconds:
            return published[0]
        rate = self.estimate(creative_id, placement_id, ad_format)
        if published is not None:  # one step from the last published rate, whatever the counts say
            rate = min(max(rate, published[0] / self.max_step), published[0] * self.max_step)
        self._published[key] = (rate, now)
        return rate
