"""Audiences end to end through the app: rules, sizes, targeting, tenancy, erasure, exports.

Each test runs on SQLite and on PostgreSQL (the `engine` fixture). The network's minimum
size is 3 here, so that a handful of users makes a segment."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfspace.app import create_app
from shelfspace.config import Settings
from shelfspace.events.archive import archive_day, archive_path, read_day
from tests.databases import empty_all_tables
from tests.privacy.tcf_strings import tc_string
from tests.support import PRODUCTS, Api, banner_creative, build_network, decide, field_errors, line_item_body, runtime
from tests.waiting import snapshot_current, wait_for

MIN_SIZE = 3
DAIRY_CARTS = {
    "all": [
        {"event": "add_to_cart", "category": "outdoor", "within_days": 7},
        {"not": {"event": "purchase", "within_days": 7}},
    ]
}


@pytest.fixture
def client(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        public_url="http://shelfspace.test",
        audience_min_size=MIN_SIZE,
        country="GB",
    )
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as test_client:
        yield test_client
    empty_all_tables(engine)


def behave(api: Api, events: list[dict[str, Any]]) -> None:
    answer = api.post("/v1/events/behaviour", {"events": [e | {"time": _now()} for e in events]}, status=202)
    assert not answer["rejected"], answer


def _now() -> str:
    return datetime.now(UTC).isoformat()


def carts(api: Api, users: list[str], tag: str = "a") -> None:
    behave(api, [{"id": f"cart-{tag}-{u}", "user_id": u, "type": "add_to_cart", "sku": "TENT-2P"} for u in users])


def counted(api: Api, audience_id: str, wanted: Any, seconds: float = 8.0) -> dict[str, Any]:
    """The audience once its counted size is `wanted` (the refresher counts in the background)."""

    def audience() -> dict[str, Any] | None:
        found: dict[str, Any] = api.get(f"/v1/audiences/{audience_id}")
        return found if found["size"] == wanted and found["counted_at"] is not None else None

    return wait_for(audience, seconds, f"audience {audience_id} counted at size {wanted!r}", interval=0.1)


def test_bad_rules_are_refused_naming_the_field(operator: Api) -> None:
    for rule, field in [
        ({"event": "bought"}, "rule"),
        ({"evnt": "view"}, "rule"),
        ({"event": "view", "query": "tent"}, "rule"),
        ({"event": "view", "min_spend": 5}, "rule"),
        ({"all": []}, "rule"),
        ({"event": "view", "within_days": 400}, "rule"),
    ]:
        body = operator.post("/v1/audiences", {"name": "Bad", "rule": rule}, status=422)
        assert any(f.startswith(field) for f in field_errors(body)), body
    body = operator.post(
        "/v1/audiences", {"name": "Bad", "rule": {"event": "view"}, "iab_segment": "99999"}, status=422
    )
    assert "iab_segment" in field_errors(body)
    assert operator.get("/v1/audiences")["data"] == []


def test_a_segment_grows_with_events_and_targets_only_at_the_minimum_size(operator: Api) -> None:
    brand = operator.post("/v1/advertisers", {"name": "Acme", "domain": "acme.example"})
    network = build_network(operator, brand["id"])
    audience = operator.post(
        "/v1/audiences", {"name": "Tent carts, no order", "rule": DAIRY_CARTS, "iab_segment": "606"}
    )
    assert audience["iab_label"] == "Interest | Shopping"
    carts(operator, ["u-1", "u-2"])
    small = counted(operator, audience["id"], None)
    assert small["targetable"] is False and small["min_size"] == MIN_SIZE  # 2 users: never reported
    refused = operator.post(
        "/v1/line-items",
        line_item_body(network["campaign"]["id"], name="Retarget", targeting={"audiences": [audience["id"]]}),
        status=422,
    )
    assert "fewer users than the network's minimum" in field_errors(refused)["targeting.audiences"]

    carts(operator, ["u-3", "u-4"])
    assert counted(operator, audience["id"], 4)["targetable"] is True
    # An order takes u-4 out again ("added to cart but did not buy").
    operator.post(
        "/v1/events/conversions",
        {
            "events": [
                {
                    "id": "o-4",
                    "user_id": "u-4",
                    "time": _now(),
                    "items": [{"sku": "TENT-2P", "quantity": 1, "price": 199}],
                }
            ]
        },
        status=202,
    )
    counted(operator, audience["id"], 3)

    operator.patch(f"/v1/line-items/{network['line_item']['id']}", {"status": "paused"})
    line_item = operator.post(
        "/v1/line-items",
        line_item_body(
            network["campaign"]["id"], name="Retarget", frequency_cap=None, targeting={"audiences": [audience["id"]]}
        ),
    )
    operator.post("/v1/creatives", banner_creative(brand["id"], line_item["id"]))

    def served(user: str, consent: dict[str, Any]) -> list[str]:
        ask = {"placements": [{"id": "home-hero"}], "user": {"id": user}, "consent": consent}
        return [a["line_item_id"] for a in decide(operator, ask)["decisions"]["home-hero"]]

    snapshot_current(operator.client)  # the pause and the retargeting line item in it: the "no" below are real
    assert served("u-1", {"targeting": True}) == [line_item["id"]]
    assert served("u-1", {"targeting": False}) == []  # no consent: the segment is not used
    assert served("u-1", {"targeting": True, "tcf": tc_string({1, 3, 4})}) == [line_item["id"]]
    assert served("u-1", {"targeting": True, "tcf": tc_string({1, 4})}) == []
    assert served("u-4", {"targeting": True}) == []  # bought: out of the segment
    assert served("u-9", {"targeting": True}) == []  # never seen
    bad = decide(
        operator, {"placements": [{"id": "home-hero"}], "consent": {"targeting": True, "tcf": "nonsense"}}, status=422
    )
    assert "consent.tcf" in field_errors(bad)


def test_brand_and_spend_rules_read_orders_and_the_catalogue(operator: Api) -> None:
    operator.post("/v1/products/import", {"products": PRODUCTS}, status=200)
    big = operator.post(
        "/v1/audiences",
        {
            "name": "Acme big spenders",
            "rule": {"event": "purchase", "brand": "acme", "within_days": 90, "min_spend": 100},
        },
    )
    searchers = operator.post(
        "/v1/audiences", {"name": "Tent searchers", "rule": {"event": "search", "query": "Tents", "within_days": 30}}
    )
    orders = [
        {"id": f"o-{u}", "user_id": u, "time": _now(), "items": [{"sku": "STOVE-1", "quantity": q, "price": 49.9}]}
        for u, q in [("u-1", 3), ("u-2", 3), ("u-3", 3), ("u-4", 1)]
    ]
    operator.post("/v1/events/conversions", {"events": orders}, status=202)
    behave(
        operator,
        [
            {"id": f"s-{u}", "user_id": u, "type": "search", "query": q}
            for u, q in [("u-1", "two person tent"), ("u-2", "TENT"), ("u-3", "tents for kids"), ("u-4", "stove")]
        ],
    )
    counted(operator, big["id"], 3)  # 149.70 each; u-4 spent 49.90
    counted(operator, searchers["id"], 3)
    preview = operator.post("/v1/audiences/preview", {"rule": {"event": "purchase", "sku": "STOVE-1"}}, status=200)
    assert preview == {"size": 4, "min_size": MIN_SIZE, "targetable": True}
    tiny = operator.post("/v1/audiences/preview", {"rule": {"event": "search", "query": "stove"}}, status=200)
    assert tiny["size"] is None and tiny["targetable"] is False


def test_brands_see_sizes_never_members_and_only_visible_segments(operator: Api, advertiser_api: Api) -> None:
    network_wide = operator.post("/v1/audiences", {"name": "Campers", "rule": {"event": "view", "category": "outdoor"}})
    other = operator.post("/v1/advertisers", {"name": "Rival", "domain": "rival.example"})
    rivals = operator.post(
        "/v1/audiences", {"name": "Rival's", "advertiser_id": other["id"], "rule": {"event": "view"}}
    )
    own = advertiser_api.post("/v1/audiences", {"name": "Mine", "rule": {"event": "view", "sku": "TENT-2P"}})
    assert own["advertiser_id"] == advertiser_api.advertiser_id
    listed = {a["id"] for a in advertiser_api.get("/v1/audiences")["data"]}
    assert listed == {network_wide["id"], own["id"]}
    advertiser_api.get(f"/v1/audiences/{rivals['id']}", status=404)
    advertiser_api.patch(f"/v1/audiences/{network_wide['id']}", {"name": "Mine now"}, status=403)
    behave(
        operator,
        [
            {"id": f"v-{u}", "user_id": u, "type": "view", "sku": "TENT-2P", "category": "outdoor/camping"}
            for u in ("u-1", "u-2", "u-3")
        ],
    )
    counted(operator, own["id"], 3)  # the operator sees the exact size
    seen = advertiser_api.get(f"/v1/audiences/{own['id']}")
    # The brand sees it rounded and with noise (audiences/disclosure.py): within the minimum of the truth.
    assert seen["targetable"] is True and MIN_SIZE <= seen["size"] <= 3 + MIN_SIZE, seen
    assert "u-1" not in str(seen)
    assert advertiser_api.call("GET", f"/v1/audiences/{own['id']}/export?platform=meta").status_code == 403
    assert advertiser_api.call("POST", "/v1/identities", {"users": [{"user_id": "u-1"}]}).status_code == 403
    assert advertiser_api.call("DELETE", "/v1/identities/u-1").status_code == 403


def test_exports_hash_each_platforms_form_and_are_audited(operator: Api) -> None:
    audience = operator.post("/v1/audiences", {"name": "Viewers", "rule": {"event": "view"}})
    behave(
        operator,
        [{"id": f"v-{u}", "user_id": u, "type": "view", "sku": "TENT-2P"} for u in ("u-1", "u-2", "u-3", "u-4")],
    )
    operator.post(
        "/v1/identities",
        {
            "users": [
                {"user_id": "u-1", "email": " Jane.Doe@Example.com ", "phone": "020 7946 0958"},
                {"user_id": "u-2", "email": "sam@example.org"},
                {"user_id": "u-3", "phone": "+44 7400 123456"},
                {"user_id": "u-99", "email": "not-in-segment@example.com"},
            ]
        },
        status=200,
    )
    bad = operator.post("/v1/identities", {"users": [{"user_id": "u-5", "email": "nope"}]}, status=422)
    assert "users.0.email" in field_errors(bad)
    counted(operator, audience["id"], 4)

    response = operator.call("GET", f"/v1/audiences/{audience['id']}/export?platform=meta")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    sha = lambda text: hashlib.sha256(text.encode()).hexdigest()  # noqa: E731
    assert {(r["email"], r["phone"]) for r in rows} == {
        (sha("jane.doe@example.com"), sha("442079460958")),
        (sha("sam@example.org"), ""),
        ("", sha("447400123456")),
    }
    google = list(
        csv.DictReader(io.StringIO(operator.call("GET", f"/v1/audiences/{audience['id']}/export?platform=google").text))
    )
    assert sha("+442079460958") in {r["Phone"] for r in google}
    assert "not-in-segment" not in response.text and "u-1" not in response.text
    audit = operator.get(f"/v1/audiences/{audience['id']}/exports")
    assert [(e["platform"], e["rows"]) for e in audit] == [("google", 3), ("meta", 3)]
    assert operator.call("GET", f"/v1/audiences/{audience['id']}/export?platform=myspace").status_code == 422

    small = operator.post("/v1/audiences", {"name": "One", "rule": {"event": "view", "sku": "STOVE-1"}})
    refused = operator.call("GET", f"/v1/audiences/{small['id']}/export?platform=meta")
    assert refused.status_code == 422 and "minimum" in refused.text


def test_erasing_a_user_removes_their_data_from_targeting(operator: Api, client: TestClient) -> None:
    audience = operator.post("/v1/audiences", {"name": "Viewers", "rule": {"event": "view"}})
    users = ["u-1", "u-2", "u-3", "u-4"]
    behave(operator, [{"id": f"v-{u}", "user_id": u, "type": "view", "sku": "TENT-2P"} for u in users])
    operator.post("/v1/identities", {"users": [{"user_id": "u-4", "email": "u4@example.com"}]}, status=200)
    counted(operator, audience["id"], 4)
    log = runtime(client).event_log
    archive = runtime(client).settings.archive_directory()
    day = datetime.now(UTC).date().isoformat()
    archive_day(log, day, ZoneInfo("UTC"), archive)  # as the production workers do each day
    assert sum(1 for e in read_day(archive_path(archive, day)) if e.user_id == "u-4") == 1
    erased = operator.delete("/v1/identities/u-4")
    assert erased == {"user_id": "u-4", "identity_deleted": True, "events_deleted": 1, "archived_events_deleted": 1}
    assert [e.user_id for e in read_day(archive_path(archive, day))] == ["u-1", "u-2", "u-3"]
    counted(operator, audience["id"], 3)
    assert not [e for e in log.between(0, 4e9) if e.user_id == "u-4"]
    assert runtime(client).audience_index.segments_of("u-4") == frozenset()
    assert operator.delete("/v1/identities/u-4")["events_deleted"] == 0  # again: harmless
