"""One builder per API operation: each returns a `Call` that any client sends."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Call:
    """An HTTP request to Shelfspace, not yet sent."""

    method: str
    path: str
    params: Mapping[str, Any] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    expect_json: bool = True
    binary: bool = False  # the answer is bytes (a PDF), not text


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# --- decisions and video -------------------------------------------------------------------


def decide(
    placements: Sequence[str] | Mapping[str, int],
    *,
    user_id: str | None = None,
    consent: bool = False,
    context: Mapping[str, Any] | None = None,
    debug: bool = False,
) -> Call:
    """Which ads to show. `placements`: ids, or ids with the number of ads wanted."""
    asks = (
        [{"id": p, "count": n} for p, n in placements.items()]
        if isinstance(placements, Mapping)
        else [{"id": p} for p in placements]
    )
    body: JSON = {"placements": asks, "context": dict(context or {}), "consent": {"targeting": consent}}
    if user_id is not None:
        body["user"] = {"id": user_id}
    if debug:
        body["debug"] = True
    return Call("POST", "/v1/decisions", json=body)


def vast(
    placement: str,
    *,
    user_id: str | None = None,
    consent: bool = False,
    device: str | None = None,
    country: str | None = None,
) -> Call:
    """A video ad as VAST 4.2 XML (the answer is the XML text)."""
    params = _clean(
        {"placement": placement, "user": user_id, "consent": str(consent).lower(), "device": device, "country": country}
    )
    return Call("GET", "/v1/vast", params=params, expect_json=False)


def survey(user_id: str) -> Call:
    """The brand lift question to ask this user now: `{"study_id", "question", "answers":
    [{"text", "url"}]}`, or "" when there is none (204). Call the chosen answer's `url`."""
    return Call("GET", "/v1/surveys", params={"user": user_id})


# --- first-party events ----------------------------------------------------------------------


def conversions(events: Sequence[Mapping[str, Any]]) -> Call:
    """Orders: `{"id", "user_id", "time", "items": [{"sku", "quantity", "price"}]}` each."""
    return Call("POST", "/v1/events/conversions", json={"events": list(events)})


def behaviour(events: Sequence[Mapping[str, Any]]) -> Call:
    """Views, searches, carts and purchases: `{"id", "user_id", "time", "type", ...}` each."""
    return Call("POST", "/v1/events/behaviour", json={"events": list(events)})


# --- reports -------------------------------------------------------------------------------


def report(
    start: date,
    end: date,
    group_by: Sequence[str] = ("day",),
    *,
    advertiser_id: str | None = None,
    campaign_id: str | None = None,
    csv: bool = False,
) -> Call:
    params = _clean(
        {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "group_by": ",".join(group_by),
            "advertiser_id": advertiser_id,
            "campaign_id": campaign_id,
            "format": "csv" if csv else None,
        }
    )
    return Call("GET", "/v1/reports", params=params, expect_json=not csv)


# --- measurement ---------------------------------------------------------------------------


def lift(campaign_id: str) -> Call:
    """The campaign's incrementality against its holdout (intent to treat and exposed)."""
    return Call("GET", f"/v1/campaigns/{campaign_id}/lift")


def plan_lift(
    baseline_rate: float,
    *,
    expected_rate: float | None = None,
    users_per_day: int | None = None,
    days: int | None = None,
    holdout_percent: int = 50,
) -> Call:
    """Users and days a lift study needs, and the smallest lift it can detect."""
    return Call(
        "POST",
        "/v1/lift/plan",
        json=_clean(
            {
                "baseline_rate": baseline_rate,
                "expected_rate": expected_rate,
                "users_per_day": users_per_day,
                "days": days,
                "holdout_percent": holdout_percent,
            }
        ),
    )


def case_study(campaign_id: str, *, pdf: bool = False) -> Call:
    """The campaign's case study: HTML text, or PDF bytes."""
    return Call(
        "GET",
        f"/v1/campaigns/{campaign_id}/case-study",
        params={"format": "pdf" if pdf else "html"},
        expect_json=False,
        binary=pdf,
    )


# --- audiences and offsite ----------------------------------------------------------------------


def identities(users: Sequence[Mapping[str, Any]]) -> Call:
    """Contact data (`user_id`, `email`, `phone`) for offsite exports, kept apart from events."""
    return Call("POST", "/v1/identities", json={"users": [dict(u) for u in users]})


def erase_user(user_id: str) -> Call:
    """A data subject's erasure: contact data, behaviour events and segment membership."""
    return Call("DELETE", f"/v1/identities/{user_id}")


def preview_audience(rule: Mapping[str, Any]) -> Call:
    """How many users a rule holds now, before saving it."""
    return Call("POST", "/v1/audiences/preview", json={"rule": dict(rule)})


def export_audience(audience_id: str, platform: str) -> Call:
    """The segment as `platform`'s customer-list CSV (meta, google or tiktok): text."""
    return Call("GET", f"/v1/audiences/{audience_id}/export", params={"platform": platform}, expect_json=False)


# --- the catalogue (management API) ------------------------------------------------------------

RESOURCES = (
    "placements",
    "advertisers",
    "campaigns",
    "line-items",
    "creatives",
    "products",
    "api-keys",
    "users",
    "brand-lift-studies",
    "audiences",
)


def _resource(name: str) -> str:
    if name not in RESOURCES:
        raise ValueError(f"no resource {name!r}; one of {', '.join(RESOURCES)}")
    return f"/v1/{name}"


def create(resource: str, body: Mapping[str, Any]) -> Call:
    return Call("POST", _resource(resource), json=dict(body))


def get(resource: str, id: str) -> Call:
    return Call("GET", f"{_resource(resource)}/{id}")


def update(resource: str, id: str, changes: Mapping[str, Any]) -> Call:
    return Call("PATCH", f"{_resource(resource)}/{id}", json=dict(changes))


def archive(resource: str, id: str) -> Call:
    return Call("DELETE", f"{_resource(resource)}/{id}")


def list_page(resource: str, *, limit: int = 100, cursor: str | None = None, **filters: Any) -> Call:
    """One page: `{"data": [...], "has_more", "next_cursor"}`; clients' `all()` walks them."""
    return Call("GET", _resource(resource), params=_clean({"limit": limit, "cursor": cursor, **filters}))


def import_products(feed: bytes, *, csv: bool = False, on_error: str = "skip") -> Call:
    """A product feed, CSV or JSON (`{"products": [...]}`), in one request."""
    return Call(
        "POST",
        "/v1/products/import",
        params={"on_error": on_error},
        content=feed,
        headers={"Content-Type": "text/csv" if csv else "application/json"},
    )
