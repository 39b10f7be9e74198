"""What the event log holds: one row per distinct event, valid or not, with its facts.

An event's `key` is its identity: the same impression of the same served ad sent twice
has the same key and is stored once. Invalid traffic is stored too, under a key of its
own (so a bot's hit never takes the place of the real impression), with a named reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    IMPRESSION = "impression"
    VIEWABLE = "viewable"
    CLICK = "click"
    CONVERSION = "conversion"
    BEHAVIOUR = "behaviour"
    VIDEO = "video"  # a video player's progress (start, quartiles, complete) or error, from VAST
    SURVEY = "survey"  # a brand lift survey's answer: one per study and user
    # A demand partner's ad was shown: its first-price spend (data: partner_id, placement_id,
    # bid_id, price_micros); no campaign's facts, so no campaign rollup counts it.
    PROGRAMMATIC = "programmatic"


class BehaviourType(StrEnum):
    """What a shopper did, in a BEHAVIOUR event (data `type`): audiences' rules read these."""

    VIEW = "view"
    SEARCH = "search"
    ADD_TO_CART = "add_to_cart"
    PURCHASE = "purchase"


class VideoEvent(StrEnum):
    """What a VAST player reports beyond the impression: the quartiles, and errors."""

    START = "start"
    FIRST_QUARTILE = "firstQuartile"
    MIDPOINT = "midpoint"
    THIRD_QUARTILE = "thirdQuartile"
    COMPLETE = "complete"
    ERROR = "error"


class InvalidReason(StrEnum):
    """Why an event is recorded but not counted (general and sophisticated IVT, kept simple)."""

    BOT = "bot"  # a declared crawler's user agent
    PREFETCH = "prefetch"  # a browser prefetch or a link preview, not a person
    BAD_SIGNATURE = "bad_signature"  # a forged or altered tracking URL
    EXPIRED = "expired"  # the URL's lifetime is over
    CLICK_WITHOUT_IMPRESSION = "click_without_impression"
    CLICK_FLOOD = "click_flood"  # too many clicks from one user in a short time
    ANSWER_FLOOD = "answer_flood"  # too many survey answers from one address in a short time
    NO_USER_AGENT = "no_user_agent"  # no User-Agent header: no browser or app omits it
    NOT_A_BROWSER = "not_a_browser"  # an HTTP library or a bare name, not a browser's or an app's agent
    ADDRESS_FLOOD = "address_flood"  # too many clicks from one address, or one device (address and agent)
    IMPLAUSIBLE_CTR = "implausible_ctr"  # an address clicks far more of what it sees than people do
    NO_IMPRESSION = "no_impression"  # a viewable or video event before any counted impression of its ad
    REPEAT_CLICK = "repeat_click"  # a later click of an ad whose earlier click counted (the rollup judges it again)


@dataclass(frozen=True, slots=True, kw_only=True)
class AdFacts:
    """What a signed tracking URL says about the ad it tracks, fixed when it was served."""

    ad_id: str
    placement_id: str
    advertiser_id: str
    campaign_id: str
    line_item_id: str
    creative_id: str
    sku: str | None
    pricing: str  # a `core/buying.py` Pricing value, as the signed URL carries it
    price_micros: int  # per thousand impressions (CPM) or per click (CPC)
    user_id: str | None
    served_at: int  # epoch seconds
    budget_day: str  # the network-time day whose budget reserved it


@dataclass(frozen=True, slots=True)
class Event:
    key: str
    type: EventType
    time: float  # epoch seconds, when the event happened (arrived, for tracking)
    ad: AdFacts | None = None
    user_id: str | None = None
    invalid: InvalidReason | None = None
    charged_micros: int = 0  # what the campaign's budget was charged for it
    data: dict[str, Any] | None = None  # conversion items, behaviour fields

    @property
    def counted(self) -> bool:
        return self.invalid is None


def ad_event_key(kind: EventType, ad_id: str, invalid: InvalidReason | None = None) -> str:
    """`impression:ad_…` for the counted event; invalid ones get their reason appended."""
    return invalid_key(f"{kind}:{ad_id}", invalid)


def invalid_key(key: str, invalid: InvalidReason | None) -> str:
    """An event's key with the reason it is invalid appended (if it is): an invalid event
    never takes the key its valid twin would store under."""
    return key if invalid is None else f"{key}:{invalid}"
