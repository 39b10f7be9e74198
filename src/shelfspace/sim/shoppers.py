"""The simulated shoppers: who they are, what they like, and how they behave around ads.

Rates are the industry's typical figures, so a demo report reads like a real one:
display banners are clicked about 0.2% of the time, native ads about 0.6%, video about
0.8%, and sponsored products about 1.2%. A shopper's own interests roughly double those,
and a sponsored product in search is nearly always one (the query comes from what the
shopper likes), so search lands at the usual 2-3%. After a click on a sponsored product
about one in ten buys it; display clicks sell far less, and views sell a little.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

from shelfspace.catalog.enums import AdFormat, Device

CLICK_RATE: dict[AdFormat, float] = {
    AdFormat.BANNER: 0.002,
    AdFormat.NATIVE: 0.006,
    AdFormat.VIDEO: 0.008,
    AdFormat.SPONSORED_PRODUCT: 0.012,
}
INTEREST_LIFT = 2.1  # an ad for something the shopper likes is clicked this many times more
VIEWABLE_RATE: dict[AdFormat, float] = {
    AdFormat.BANNER: 0.62,
    AdFormat.NATIVE: 0.7,
    AdFormat.VIDEO: 0.78,
    AdFormat.SPONSORED_PRODUCT: 0.8,
}
BUY_AFTER_CLICK: dict[AdFormat, float] = {
    AdFormat.SPONSORED_PRODUCT: 0.11,
    AdFormat.NATIVE: 0.05,
    AdFormat.BANNER: 0.04,
    AdFormat.VIDEO: 0.03,
}
BUY_AFTER_VIEW = 0.004  # a sale some time after only seeing the ad
# Brand lift surveys: a page view with room for a question asks one this often; a shopper
# picks the brand with this probability, more if they saw one of its ads (the true lift).
SURVEY_ASK_RATE = 0.15
PICKS_BRAND = 0.25
PICKS_BRAND_AFTER_AD = 0.25 + 0.15
ORGANIC_BASKET = 0.22  # a visit that ends with a basket, ads or not
PAGES_PER_VISIT = (1, 2, 2, 3, 3, 4, 5)  # drawn evenly: about 2.9 pages a visit
MEAN_PAGES_PER_VISIT = sum(PAGES_PER_VISIT) / len(PAGES_PER_VISIT)

DEVICES = ((Device.MOBILE, 0.55), (Device.DESKTOP, 0.3), (Device.TABLET, 0.08), (Device.CTV, 0.07))
COUNTRIES = (("GB", 0.7), ("IE", 0.12), ("NL", 0.1), ("DE", 0.08))
CONSENT_RATE = 0.78  # shoppers who allow their own data to be used for ads


class Surface(StrEnum):
    """Where a shopper is when a page asks for ads."""

    WEB = "web"  # the shop's website
    APP = "app"  # the shop's app


@dataclass(frozen=True, slots=True)
class Shopper:
    user_id: str
    interests: tuple[str, ...]  # top-level product categories, e.g. "dairy"
    device: Device
    country: str
    consent: bool
    surface: Surface
    user_agent: str

    def likes(self, category: str | None) -> bool:
        return bool(category) and category.split("/", 1)[0] in self.interests  # type: ignore[union-attr]


def _pick(rng: random.Random, weighted: tuple[tuple[object, float], ...]) -> object:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


# Real browsers' user agents by device (the tracking endpoints flag libraries and bots).
USER_AGENTS: dict[Device, tuple[str, ...]] = {
    Device.DESKTOP: (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
    ),
    Device.MOBILE: (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
    ),
    Device.TABLET: (
        "Mozilla/5.0 (iPad; CPU OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
    ),
    Device.CTV: (
        "Mozilla/5.0 (SMART-TV; Linux; Tizen 7.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/5.0 Chrome/94.0.4606.31 TV Safari/537.36",
        "Mozilla/5.0 (Linux; Android 12; BRAVIA 4K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    ),
}


def make_shoppers(rng: random.Random, count: int, categories: list[str]) -> list[Shopper]:
    """`count` shoppers, each liking one to three of the shop's top-level categories."""
    tops = sorted({c.split("/", 1)[0] for c in categories}) or ["general"]
    shoppers = []
    for n in range(count):
        device = _pick(rng, DEVICES)
        assert isinstance(device, Device)
        interests = tuple(rng.sample(tops, k=min(len(tops), rng.choice((1, 2, 2, 3)))))
        country = _pick(rng, COUNTRIES)
        surface = Surface.APP if device is Device.MOBILE and rng.random() < 0.55 else Surface.WEB
        shoppers.append(
            Shopper(
                user_id=f"shopper-{n:05d}",
                interests=interests,
                device=device,
                country=str(country),
                consent=rng.random() < CONSENT_RATE,
                surface=surface,
                user_agent=rng.choice(USER_AGENTS[device]),
            )
        )
    return shoppers
