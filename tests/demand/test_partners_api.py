"""`/v1/demand-partners`: operator-only management, validated, audited, nothing half-written."""

from __future__ import annotations

from typing import Any

from tests.demand.conftest import SIDE, add_partner, wait_for_partners
from tests.support import BANNER, Api, field_errors


def test_an_operator_adds_lists_changes_and_archives_a_partner(operator: Api) -> None:
    operator.post("/v1/placements", BANNER)
    partner = add_partner(
        operator, "https://dsp.example/openrtb2", patient=False, floor_cpm=1.25, placements=["home-hero"]
    )
    assert partner["id"].startswith("dp_") and partner["timeout_ms"] == 150 and partner["status"] == "live"
    assert partner["floor_cpm"] == 1.25 and partner["placements"] == ["home-hero"]
    assert operator.get(f"/v1/demand-partners/{partner['id']}") == partner
    second = add_partner(operator, "http://127.0.0.1:9/bid", name="Other")
    wait_for_partners(operator, {partner["id"], second["id"]})
    page = operator.get("/v1/demand-partners?limit=1")
    assert [p["id"] for p in page["data"]] == [partner["id"]] and page["next_cursor"]
    paused = operator.patch(f"/v1/demand-partners/{partner['id']}", {"status": "paused", "timeout_ms": 1000})
    assert paused["status"] == "paused" and paused["timeout_ms"] == 1000
    wait_for_partners(operator, {second["id"]})  # a paused partner no longer bids
    archived = operator.delete(f"/v1/demand-partners/{second['id']}")
    assert archived["status"] == "archived"
    wait_for_partners(operator, set())
    assert [p["id"] for p in operator.get("/v1/demand-partners")["data"]] == [partner["id"]]
    audit = operator.get("/v1/audit-log?object_type=demand_partner")
    assert {e["action"] for e in audit["data"]} >= {"create", "update", "archive"}


def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(operator: Api) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "X", "endpoint": "ftp://dsp.example/"}, "endpoint"),
        ({"name": "X", "endpoint": "https://dsp.example/", "timeout_ms": 1001}, "timeout_ms"),
        ({"name": "X", "endpoint": "https://dsp.example/", "timeout_ms": 0}, "timeout_ms"),
        ({"name": "X", "endpoint": "https://dsp.example/", "floor_cpm": -1}, "floor_cpm"),
        ({"name": "X", "endpoint": "https://dsp.example/", "placements": ["nowhere"]}, "placements"),
        ({"name": "X", "endpoint": "https://dsp.example/", "status": "gone"}, "status"),
        ({"endpoint": "https://dsp.example/"}, "name"),
    ]
    for body, field in cases:
        answer = operator.post("/v1/demand-partners", body, status=422)
        assert field in field_errors(answer), (body, answer)
    assert operator.get("/v1/demand-partners")["data"] == []
    operator.post("/v1/placements", SIDE)
    partner = add_partner(operator, "https://dsp.example/")
    answer = operator.patch(
        f"/v1/demand-partners/{partner['id']}", {"placements": ["side-banner", "nowhere"]}, status=422
    )
    assert "placements" in field_errors(answer)
    assert operator.patch(f"/v1/demand-partners/{partner['id']}", {"name": None}, status=422)
    assert operator.get(f"/v1/demand-partners/{partner['id']}")["placements"] == []


def test_advertiser_keys_are_refused_and_no_key_is_401(operator: Api, advertiser_api: Api) -> None:
    partner = add_partner(operator, "https://dsp.example/")
    for method, path, body in (
        ("GET", "/v1/demand-partners", None),
        ("POST", "/v1/demand-partners", {"name": "Mine", "endpoint": "https://x.example/"}),
        ("GET", f"/v1/demand-partners/{partner['id']}", None),
        ("PATCH", f"/v1/demand-partners/{partner['id']}", {"name": "Hijacked"}),
        ("DELETE", f"/v1/demand-partners/{partner['id']}", None),
        ("GET", f"/v1/demand-partners/{partner['id']}/report?from=2026-12-01&to=2026-12-02", None),
    ):
        assert advertiser_api.call(method, path, body).status_code == 403, (method, path)
        assert Api(operator.client, None).call(method, path, body).status_code == 401, (method, path)
    assert operator.get(f"/v1/demand-partners/{partner['id']}")["name"] == "Fake DSP"
    operator.get("/v1/demand-partners/dp_missing", status=404)
