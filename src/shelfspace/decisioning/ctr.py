"""Predicted click-through rate: what turns a cost-per-click bid into an eCPM.

`SmoothedCtr` is a Beta-prior estimate per creative and placement: with no data it is the
format's prior, and observed clicks move it as impressions accumulate, so one lucky click
on ten impressions does not make a 10% CTR. A learned model replaces it by implementing
`CtrModel`.
"""

from __future__ import annotations

from typing import Protocol

# Prior CTR by ad format (typical onsite retail media figures), and how many impressions
# of evidence the prior is worth.
PRIOR_CTR: dict[str, float] = {"banner": 0.002, "native": 0.004, "sponsored_product": 0.01, "video": 0.005}
DEFAULT_PRIOR_CTR = 0.002
PRIOR_IMPRESSIONS = 2000.0


class CtrStats(Protocol):
    def ctr_stats(self, creative_id: str, placement_id: str) -> tuple[int, int]: ...


class CtrModel(Protocol):
    def predict(self, creative_id: str, placement_id: str, ad_format: str) -> float: ...


class SmoothedCtr:
    def __init__(self, stats: CtrStats, prior_impressions: float = PRIOR_IMPRESSIONS) -> None:
        self.stats = stats
        self.prior_impressions = prior_impressions

    def predict(self, creative_id: str, placement_id: str, ad_format: str) -> float:
        impressions, clicks = self.stats.ctr_stats(creative_id, placement_id)
        prior = PRIOR_CTR.get(ad_format, DEFAULT_PRIOR_CTR)
        return (clicks + prior * self.prior_impressions) / (impressions + self.prior_impressions)
