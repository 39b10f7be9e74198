"""Advertisers: operators manage brands; a brand edits its own profile, never its status."""

from __future__ import annotations

from tests.support import Api, field_errors


def test_operator_manages_advertisers(operator: Api) -> None:
    created = operator.post("/v1/advertisers", {"name": "  Nordic Oat Co ", "domain": "NordicOat.Example."})
    assert created["name"] == "Nordic Oat Co"
    assert created["domain"] == "nordicoat.example"
    assert created["status"] == "active"
    assert created["id"].startswith("adv_")
    suspended = operator.patch(f"/v1/advertisers/{created['id']}", {"status": "suspended"})
    assert suspended["status"] == "suspended"
    assert operator.delete(f"/v1/advertisers/{created['id']}")["status"] == "archived"
    assert operator.get("/v1/advertisers")["data"] == []


def test_bad_domain_and_blank_name(operator: Api) -> None:
    body = operator.post("/v1/advertisers", {"name": " ", "domain": "not a domain"}, status=422)
    assert set(field_errors(body)) == {"name", "domain"}


def test_advertiser_edits_own_profile_but_not_status(advertiser_api: Api) -> None:
    own = f"/v1/advertisers/{advertiser_api.advertiser_id}"
    assert advertiser_api.patch(own, {"name": "Acme Outdoor Ltd"})["name"] == "Acme Outdoor Ltd"
    advertiser_api.patch(own, {"status": "active"}, status=403)
    advertiser_api.delete(own, status=403)
    advertiser_api.post("/v1/advertisers", {"name": "Mine too", "domain": "b.example"}, status=403)
    listed = advertiser_api.get("/v1/advertisers")["data"]
    assert [a["id"] for a in listed] == [advertiser_api.advertiser_id]


def test_null_for_a_required_field_is_refused(operator: Api) -> None:
    created = operator.post("/v1/advertisers", {"name": "Brand", "domain": "brand.example"})
    body = operator.patch(f"/v1/advertisers/{created['id']}", {"name": None}, status=422)
    assert "name" in field_errors(body)
