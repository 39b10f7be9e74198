"""The tracking URLs of a served ad: impression, viewable and click, each sealed for its kind."""

from __future__ import annotations

from dataclasses import dataclass

from shelfspace.decisioning.engine import ServedAd
from shelfspace.events.model import AdFacts, EventType
from shelfspace.tracking.signing import Signer

PATHS = {EventType.IMPRESSION: "impression", EventType.VIEWABLE: "viewable", EventType.CLICK: "click"}


@dataclass(frozen=True, slots=True)
class UrlLifetimes:
    impression_seconds: int = 24 * 3600  # impressions and viewable impressions
    click_seconds: int = 7 * 24 * 3600


def facts_of(ad: ServedAd, user_id: str | None, served_at: int) -> AdFacts:
    li = ad.candidate.line_item
    return AdFacts(
        ad_id=ad.ad_id,
        placement_id=ad.placement_id,
        advertiser_id=li.advertiser_id,
        campaign_id=li.campaign_id,
        line_item_id=li.id,
        creative_id=ad.creative.id,
        sku=ad.product.sku if ad.product else None,
        pricing=str(li.pricing),
        price_micros=ad.price_micros,
        user_id=user_id,
        served_at=served_at,
        budget_day=ad.budget_day,
    )


def landing_of(ad: ServedAd) -> str | None:
    """Where a click goes: the creative's own landing URL, or the promoted product's page."""
    return ad.creative.click_url or (ad.product.url if ad.product else None)


def tracking_urls(
    signer: Signer, base_url: str, facts: AdFacts, landing: str | None, lifetimes: UrlLifetimes
) -> dict[str, str]:
    viewed, clicked = facts.served_at + lifetimes.impression_seconds, facts.served_at + lifetimes.click_seconds
    tokens = signer.sign_each(
        facts, [(kind, clicked, landing) if kind is EventType.CLICK else (kind, viewed, None) for kind in PATHS]
    )
    return {path: f"{base_url}/track/{path}/{token}" for path, token in zip(PATHS.values(), tokens, strict=True)}


def video_url(signer: Signer, base_url: str, facts: AdFacts, lifetimes: UrlLifetimes, event: str) -> str:
    """A player's progress URL for one of `VideoEvent`: the token seals the ad and the kind
    (video); the event's name is in the path, so a player can only report progress of an ad
    it was served."""
    token = signer.sign(EventType.VIDEO, facts, facts.served_at + lifetimes.impression_seconds)
    return f"{base_url}/track/video/{event}/{token}"
