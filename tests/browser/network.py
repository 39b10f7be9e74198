"""The network the browser journeys start from, made through the API: the home page's hero
placement, the Harbor Tea brand, and its people. Each journey adds its own campaigns."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from tests.browser.test_dashboard_journeys import PASSWORD

BRAND = "ops@harbortea.example"  # Harbor Tea's admin
BOSS = "boss@shop.example"  # the network's operator
HOME_HERO = {
    "id": "home-hero",
    "name": "Home page hero",
    "channel": "web",
    "format": "banner",
    "sizes": ["300x250"],
    "floor_cpm": 2.5,
}


def add_people(api: httpx.Client, people: Iterable[tuple[str, str, str | None]]) -> None:
    """(e-mail, role, advertiser id or None) each, all with the journeys' password."""
    for email, role, advertiser in people:
        body: dict[str, Any] = {"email": email, "password": PASSWORD, "role": role}
        answer = api.post("/v1/users", json=body | ({"advertiser_id": advertiser} if advertiser else {}))
        assert answer.status_code == 201, answer.text


def harbor_tea(api: httpx.Client, **brand: Any) -> str:
    """The hero placement, Harbor Tea (with `brand`'s extra fields) and its admin and the
    operator (BRAND, BOSS); returns the brand's id."""
    assert api.post("/v1/placements", json=HOME_HERO).status_code == 201
    made = api.post("/v1/advertisers", json={"name": "Harbor Tea", "domain": "harbortea.example"} | brand)
    assert made.status_code == 201, made.text
    brand_id = str(made.json()["id"])
    add_people(api, ((BRAND, "advertiser", brand_id), (BOSS, "operator", None)))
    return brand_id
