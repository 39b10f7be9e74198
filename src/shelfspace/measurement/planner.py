"""Planning a lift study before it runs: how many users, how many days, and the smallest
lift the traffic can see. One function for the API (`POST /v1/lift/plan`) and the pages.

The plan is made for the statistic the verdict reads: purchases per user, compared with
the pooled standard error. Its variance depends on how often buyers buy again, which the
network's own history tells (`repeat_buying`): planning on buyers alone, as if each bought
once, left a plan with 72% to 74% power where 80% was asked.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import Field, model_validator

from shelfspace.catalog.services.campaigns import TEST_HOLDOUT_PERCENT
from shelfspace.core.inputs import InputModel
from shelfspace.events.log import EventLog
from shelfspace.events.model import EventType
from shelfspace.measurement.stats import (
    ALPHA,
    ONE_PURCHASE,
    POWER,
    RepeatBuying,
    minimum_detectable_effect,
    users_needed,
)

# A rate below one in a million squares to nothing in floating point (the sample size
# divides by the squared difference of two rates): refused, as no plan is made for it.
MIN_RATE = 1e-6
Rate = Annotated[float, Field(ge=MIN_RATE, lt=1)]
# Below this, 1 - alpha/2 rounds to 1.0 in floating point long before (about 1e-16) and the
# normal quantile is undefined; no study is planned at one in a million anyway.
MIN_ALPHA = 1e-6
# Far above any network's reach; it keeps the sample-size arithmetic within floats.
MAX_USERS_PER_DAY = 1_000_000_000

METHOD = (
    "Sample size for purchases per user, the statistic the verdict reads: two-sided, pooled variance under "
    "the null and each group's own under the alternative, with the variance of purchases per user from the "
    "buyers' rate and the network's repeat buying over the last 28 days (one purchase per buyer when it has "
    "too little history); users assumed new each day."
)
HISTORY_DAYS = 28
MIN_HISTORY_BUYERS = 30  # fewer, and the plan assumes one purchase per buyer


def repeat_buying(event_log: EventLog, now: datetime) -> tuple[RepeatBuying, int]:
    """Purchases per buyer over the last `HISTORY_DAYS` days (mean and mean square), and the
    buyers they come from."""
    per_buyer = Counter(
        event.user_id
        for event in event_log.between(
            (now - timedelta(days=HISTORY_DAYS)).timestamp(), now.timestamp(), EventType.CONVERSION
        )
        if event.counted and event.user_id is not None
    )
    buyers = len(per_buyer)
    if buyers < MIN_HISTORY_BUYERS:
        return ONE_PURCHASE, buyers
    return RepeatBuying(sum(per_buyer.values()) / buyers, sum(n * n for n in per_buyer.values()) / buyers), buyers


class PlanIn(InputModel):
    baseline_rate: Rate = Field(description="The control group's expected conversion rate, e.g. 0.02.")
    expected_rate: Rate | None = Field(default=None, description="The rate hoped for in treatment, e.g. 0.022.")
    holdout_percent: int = Field(
        default=TEST_HOLDOUT_PERCENT,
        ge=1,
        le=50,
        description=(
            "Users held out as control; by default a test campaign's own share, so a plan is made for the campaign "
            "that will run."
        ),
    )
    users_per_day: int | None = Field(
        default=None, ge=1, le=MAX_USERS_PER_DAY, description="New users the campaign can reach per day."
    )
    days: int | None = Field(default=None, ge=1, le=366, description="The flight length, for `mde`.")
    campaign_id: str | None = Field(
        default=None,
        max_length=40,
        description=("Plan for this campaign: its holdout share unless `holdout_percent` is given."),
    )
    alpha: float = Field(default=ALPHA, ge=MIN_ALPHA, lt=0.5, description="Two-sided significance level.")
    power: float = Field(default=POWER, gt=0.5, lt=1)

    @model_validator(mode="after")
    def _something_to_plan(self) -> PlanIn:
        if self.expected_rate is None and (self.users_per_day is None or self.days is None):
            raise ValueError("give expected_rate, or users_per_day and days for the minimum detectable effect")
        if self.expected_rate is not None and self.expected_rate == self.baseline_rate:
            raise ValueError("expected_rate equals baseline_rate: there is no effect to detect")
        return self


def plan(spec: PlanIn, buying: RepeatBuying = ONE_PURCHASE, history_buyers: int = 0) -> dict[str, Any]:
    """Users per group to tell `expected_rate` from `baseline_rate` (read as purchases per
    user, with `buying`) and the days of traffic that takes; with `days` (or the days
    needed), `mde`: the smallest absolute lift in the buyers' rate that traffic detects at
    `alpha` and `power`."""
    control_share = spec.holdout_percent / 100
    answer: dict[str, Any] = {
        "alpha": spec.alpha,
        "power": spec.power,
        "holdout_percent": spec.holdout_percent,
        "repeat_buying": {
            "purchases_per_buyer": round(buying.per_buyer, 4),
            "purchases_per_buyer_squared": round(buying.per_buyer_squared, 4),
            "buyers": history_buyers,
            "days": HISTORY_DAYS,
            "from_history": history_buyers >= MIN_HISTORY_BUYERS,
        },
    }
    if spec.expected_rate is not None:
        treatment, control = users_needed(
            spec.baseline_rate, spec.expected_rate, control_share, spec.alpha, spec.power, buying
        )
        # The smaller group decides: the total needed is whichever share runs out last.
        total = max(math.ceil(treatment / (1 - control_share)), math.ceil(control / control_share))
        answer |= {
            "users_per_group": {"treatment": treatment, "control": control},
            "users_total": total,
            "days": math.ceil(total / spec.users_per_day) if spec.users_per_day else None,
        }
    days = spec.days or answer.get("days")
    mde = None
    if days and spec.users_per_day:
        reached = spec.users_per_day * days
        mde = minimum_detectable_effect(
            spec.baseline_rate,
            round(reached * (1 - control_share)),
            round(reached * control_share),
            spec.alpha,
            spec.power,
            buying,
        )
    return answer | {
        "mde": round(mde, 6) if mde is not None else None,
        "mde_relative": round(mde / spec.baseline_rate, 6) if mde is not None else None,
        "days_for_mde": days,
        "method": METHOD,
    }
