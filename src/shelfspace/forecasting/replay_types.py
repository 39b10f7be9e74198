"""The values a proposal's forecast is made of and answers with: the proposal, the funnel
of sampled slots, a sampled day's chances, each flight day's figures, the rivals and the
limits. Apart from `replay.py` (which replays the proposal) and `limits.py` (which puts
its losses into words) so that both read them without importing each other."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from shelfspace.decisioning.inventory import LiveAdvertiser, LiveCampaign, LiveLineItem
from shelfspace.decisioning.reasons import Reason


class Limit(StrEnum):
    """What stops a line item buying more, largest loss first in a forecast."""

    TARGETING = "targeting"  # the requests on its placements that its targeting does not match
    FLOOR = "floor"  # its eCPM is under the slot's floor
    BID = "bid"  # other line items rank above it
    HOLDOUT = "holdout"  # users its campaign holds out to measure lift are shown nothing
    CAP = "cap"  # its frequency cap
    BUDGET = "budget"  # its daily or total budget, or pacing
    FUNDS = "funds"  # the advertiser's funds


@dataclass(frozen=True, slots=True)
class Proposal:
    """A line item as it would be live: its campaign's dates and budgets as they are (not
    scaled), and, when it is a live line item at new settings, the one it replaces."""

    line_item: LiveLineItem
    campaign: LiveCampaign
    advertiser: LiveAdvertiser
    replaces: str | None = None
    spent_micros: int = 0  # the campaign's spend so far (a live campaign's)
    funds_left_micros: int | None = None  # the advertiser's funds left; None: no limit


@dataclass(slots=True)
class Funnel:
    """Sampled slots at each step, over the days forecast (scaled when reported)."""

    requests: int = 0  # slots on its placements
    targeted: int = 0  # its targeting, day-parts, categories and competitors allow it
    above_floor: int = 0
    won: int = 0  # it would rank among the winners
    held_out: int = 0  # of those, the users its campaign holds out (a ghost, never an ad)
    within_cap: int = 0
    served: int = 0


class Chance(NamedTuple):
    """A slot the proposal would win (a tuple: a forecast makes one per slot won)."""

    at: float
    user_hash: str | None  # with consent only: a cap counts nobody else
    cost_micros: int  # expected: price per thousand / 1000, or price per click × click rate
    ctr: float


@dataclass(slots=True)
class SampledDay:
    """One sampled day of the proposal: its chances to win, in time order, and what it met."""

    chances: list[Chance] = field(default_factory=list)
    funnel: Funnel = field(default_factory=Funnel)
    dimensions: Counter[Reason] = field(default_factory=Counter)  # slots each targeting dimension lets through
    met: Counter[str] = field(default_factory=Counter)  # rival line item -> auctions together
    beaten: Counter[str] = field(default_factory=Counter)  # rival line item -> auctions it ranked above it
    lost_to: list[int] = field(default_factory=list)  # eCPM needed where it lost on bid


@dataclass(frozen=True, slots=True)
class DayForecast:
    day: date
    requests: int
    avails: int  # requests its targeting matches
    impressions: int
    clicks: float
    spend_micros: int
    reach: int  # unique users
    sampled_day: date  # the sampled day it replays


@dataclass(frozen=True, slots=True)
class Rival:
    line_item_id: str
    advertiser_id: str
    auctions: int  # scaled: auctions they would meet in
    won_share: float  # of those, the share the proposal ranks above it


@dataclass(frozen=True, slots=True)
class LimitFound:
    limit: Limit
    lost_share: float  # of the requests before this step
    message: str


@dataclass(frozen=True, slots=True)
class Forecast:
    days: list[DayForecast]
    reach: int  # unique users over the flight forecast
    funnel: Funnel  # scaled
    limits: list[LimitFound]  # largest loss first
    rivals: list[Rival]
    ecpm_micros: int  # the proposal's eCPM per placement, the highest
    predicted_ctr: float
    sampled_days: list[date]
    open_ended: bool  # no end date: OPEN_ENDED_DAYS forecast

    @property
    def impressions(self) -> int:
        return sum(d.impressions for d in self.days)

    @property
    def clicks(self) -> float:
        return sum(d.clicks for d in self.days)

    @property
    def spend_micros(self) -> int:
        return sum(d.spend_micros for d in self.days)

    @property
    def frequency(self) -> float | None:
        return self.impressions / self.reach if self.reach else None


# The click rate a creative is predicted to get on a placement: (creative, placement, format) -> rate.
PredictCtr = Callable[[str, str, str], float]
