"""A thin JSON client for the tests, and the payloads of a small valid network."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from starlette.applications import Starlette

from shelfspace.runtime import Runtime, runtime_of
from tests.waiting import WaitTimedOut, wait_for

# A real browser's user agent: tracking requests without one like it are invalid traffic
# (tracking/ivt.py), so the tests' clients send it, as pages and apps do.
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"


def runtime(client: TestClient | Starlette) -> Runtime:
    """The app's collaborators, typed: the tests' one way into the app (`runtime.py`)."""
    app = client.app if isinstance(client, TestClient) else client
    assert isinstance(app, Starlette), app
    return runtime_of(app)


class ApiError(AssertionError):
    pass


class Api:
    """Calls the app with one key; `post`/`get`/… assert the expected status and return JSON."""

    def __init__(self, client: TestClient, key: str | None) -> None:
        self.client = client
        self.key = key
        self.advertiser_id: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}

    def call(self, method: str, path: str, json: Any = None, **kwargs: Any) -> Response:
        headers = self.headers | kwargs.pop("headers", {})
        return self.client.request(method, path, json=json, headers=headers, **kwargs)

    def _expect(self, response: Response, status: int) -> Any:
        if response.status_code != status:
            raise ApiError(
                f"{response.request.method} {response.request.url} -> {response.status_code}, expected {status}: {response.text}"
            )
        return response.json() if response.content else None

    def get(self, path: str, status: int = 200, **kwargs: Any) -> Any:
        return self._expect(self.call("GET", path, **kwargs), status)

    def post(self, path: str, body: Any, status: int = 201, **kwargs: Any) -> Any:
        return self._expect(self.call("POST", path, body, **kwargs), status)

    def patch(self, path: str, body: Any, status: int = 200) -> Any:
        return self._expect(self.call("PATCH", path, body), status)

    def delete(self, path: str, status: int = 200) -> Any:
        return self._expect(self.call("DELETE", path), status)


def field_errors(body: Any) -> dict[str, str]:
    """`{"error": {"fields": [...]}}` as {field: message}."""
    return {f["field"]: f["message"] for f in body["error"]["fields"]}


BANNER = {
    "id": "home-hero",
    "name": "Home hero",
    "channel": "web",
    "format": "banner",
    "sizes": ["1200x400", "300x250"],
    "floor_cpm": 2.5,
    "max_ads": 1,
}
SEARCH = {
    "id": "search-top",
    "name": "Search results, top",
    "channel": "search",
    "format": "sponsored_product",
    "floor_cpm": 1,
    "max_ads": 3,
}
VIDEO = {
    "id": "ctv-preroll",
    "name": "CTV pre-roll",
    "channel": "ctv",
    "format": "video",
    "sizes": ["1920x1080"],
    "floor_cpm": 20,
}
PRODUCTS = [
    {"sku": "TENT-2P", "title": "Two-person tent", "brand": "Acme", "category": "outdoor/camping", "price": 199.0},
    {"sku": "STOVE-1", "title": "Camping stove", "brand": "Acme", "category": "outdoor/camping", "price": 49.9},
]


def campaign_body(advertiser_id: str | None, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Spring sale",
        "start": "2026-12-01T00:00:00+00:00",
        "end": "2026-12-31T00:00:00+00:00",
        "budget_total": 1000,
        "budget_daily": 50,
        "pacing": "even",
    }
    if advertiser_id:
        body["advertiser_id"] = advertiser_id
    return body | overrides


def live_dates(days: int = 60) -> dict[str, str]:
    """Campaign dates around today, so what the test builds can serve now."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return {"start": (today - timedelta(days=1)).isoformat(), "end": (today + timedelta(days=days)).isoformat()}


def line_item_body(campaign_id: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "campaign_id": campaign_id,
        "name": "Hero banner",
        "pricing": "cpm",
        "bid": 3.0,
        "placements": ["home-hero"],
        "targeting": {"keywords": ["tent"], "countries": ["VN"], "devices": ["mobile"]},
        "frequency_cap": {"count": 3, "period": "day"},
    }
    return body | overrides


def banner_creative(advertiser_id: str | None, line_item_id: str | None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "format": "banner",
        "size": "300x250",
        "image_url": "https://acme.example/a.png",
        "click_url": "https://acme.example/tents",
    }
    if advertiser_id:
        body["advertiser_id"] = advertiser_id
    if line_item_id:
        body["line_item_id"] = line_item_id
    return body | overrides


def build_network(operator: Api, advertiser_id: str) -> dict[str, Any]:
    """Placements, products, a campaign, a line item and a creative, made by an operator."""
    for placement in (BANNER, SEARCH, VIDEO):
        operator.post("/v1/placements", placement)
    operator.post("/v1/products/import", {"products": PRODUCTS}, status=200)
    campaign = operator.post("/v1/campaigns", campaign_body(advertiser_id, **live_dates()))
    line_item = operator.post("/v1/line-items", line_item_body(campaign["id"]))
    creative = operator.post("/v1/creatives", banner_creative(advertiser_id, line_item["id"]))
    return {"campaign": campaign, "line_item": line_item, "creative": creative}


# --- decisions ---------------------------------------------------------------------------

LIVE_WITHIN_SECONDS = 2.0
HERO_ASK = {
    "placements": [{"id": "home-hero"}],
    "context": {"keywords": ["Tents"], "country": "VN", "device": "mobile"},
    "user": {"id": "u-1"},
    "consent": {"targeting": True},
}


def decide(api: Api, body: dict[str, Any], status: int = 200) -> Any:
    return api.post("/v1/decisions", body, status=status)


def decide_until(api: Api, body: dict[str, Any], placement: str, wanted: int) -> tuple[list[dict[str, Any]], float]:
    """Ask until `wanted` ads come back (the snapshot refreshes in the background); the ads,
    and how long that took. A placement created a moment ago is unknown (422) until the
    snapshot has it."""
    started = time.monotonic()
    answers: list[Response] = []

    def enough() -> tuple[list[dict[str, Any]]] | None:
        answers.append(api.call("POST", "/v1/decisions", body))
        if answers[-1].status_code != 200:
            return None
        ads: list[dict[str, Any]] = answers[-1].json()["decisions"][placement]
        return (ads,) if len(ads) == wanted else None

    try:
        [ads] = wait_for(enough, LIVE_WITHIN_SECONDS + 1, f"{wanted} ad(s) on {placement}", interval=0.05)
    except WaitTimedOut as timed_out:
        last = answers[-1]
        raise WaitTimedOut(f"{timed_out}; the last answer: {last.status_code} {last.text[:500]}") from None
    return ads, time.monotonic() - started


def pdf_text(pdf: bytes) -> str:
    """A PDF's words, page after page (pypdf: no poppler needed on the machine)."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
