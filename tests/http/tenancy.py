"""What the tenancy walk (test_tenancy.py) stands on: the public operations, the collections
by kind, two tenants with their objects, and the OpenAPI document read as operations
sorted by collection and shape. test_team_roles.py walks the same operations."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from shelfspace.accounts.roles import Role
from tests.conftest import new_key
from tests.support import Api, banner_creative, build_network, campaign_body, line_item_body

# Called by pages, apps and probes: no key (a key only unlocks the decision API's `debug`).
PUBLIC = {
    ("get", "/healthz"),
    ("get", "/healthz/live"),
    ("get", "/healthz/ready"),
    ("post", "/v1/decisions"),
    ("get", "/track/impression/{token}"),
    ("get", "/track/viewable/{token}"),
    ("get", "/track/click/{token}"),
    ("post", "/track/impression/{token}"),
    ("post", "/track/viewable/{token}"),
    ("get", "/tag.js"),
    ("get", "/v1/vast"),
    ("get", "/track/video/{event}/{token}"),
    ("post", "/track/video/{event}/{token}"),
    ("get", "/v1/surveys"),
    ("get", "/track/survey/{token}"),
    ("get", "/case-studies/{token}"),
    ("get", "/track/programmatic/{token}"),
    ("post", "/track/programmatic/{token}"),
    ("post", "/openrtb2/auction"),
}
OWNED = {"advertisers", "campaigns", "line-items", "creatives"}
SHARED_READ_ONLY = {"placements", "products"}
OPERATOR_ONLY = {"demand-partners"}

# A change that would be valid on the object if the caller were allowed to make it.
CHANGE = {
    "advertisers": {"name": "Hijacked"},
    "campaigns": {"name": "Hijacked"},
    "line-items": {"name": "Hijacked"},
    "creatives": {"click_url": "https://hijack.example/"},
    "placements": {"name": "Hijacked"},
    "products": {"title": "Hijacked"},
}


@dataclass
class Tenants:
    operator: Api
    a: Api
    b_objects: dict[str, str]  # collection -> id of one of B's objects
    a_objects: dict[str, str]
    shared: dict[str, str]  # placements/products -> an existing id


@pytest.fixture
def tenants(operator: Api, engine: Engine) -> Tenants:
    advertiser_a = operator.post("/v1/advertisers", {"name": "Acme", "domain": "acme.example"})["id"]
    advertiser_b = operator.post("/v1/advertisers", {"name": "Bolt", "domain": "bolt.example"})["id"]
    b = build_network(operator, advertiser_b)
    a = Api(operator.client, new_key(engine, Role.ADVERTISER, advertiser_a))
    a.advertiser_id = advertiser_a
    campaign = a.post("/v1/campaigns", campaign_body(None))
    line_item = a.post("/v1/line-items", line_item_body(campaign["id"]))
    creative = a.post("/v1/creatives", banner_creative(None, line_item["id"]))
    return Tenants(
        operator=operator,
        a=a,
        b_objects={
            "advertisers": advertiser_b,
            "campaigns": b["campaign"]["id"],
            "line-items": b["line_item"]["id"],
            "creatives": b["creative"]["id"],
        },
        a_objects={
            "advertisers": advertiser_a,
            "campaigns": campaign["id"],
            "line-items": line_item["id"],
            "creatives": creative["id"],
        },
        shared={"placements": "home-hero", "products": "TENT-2P"},
    )


def operations(api: Api) -> list[tuple[str, str]]:
    document = api.get("/openapi.json")
    return [(method, path) for path, item in document["paths"].items() for method in item]


def collection_and_shape(path: str) -> tuple[str, str]:
    """`/v1/campaigns` → (campaigns, collection); `/v1/campaigns/{id}` → (campaigns, item)."""
    parts = path.strip("/").split("/")
    if parts[0] != "v1" or len(parts) < 2:
        return path, "unversioned"
    if len(parts) == 2:
        return parts[1], "collection"
    if len(parts) == 3 and parts[2].startswith("{"):
        return parts[1], "item"
    return parts[1], "/".join(parts[2:])


def fill(path: str, object_id: str) -> str:
    return path.replace("{id}", object_id)
