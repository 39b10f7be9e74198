"""Campaigns: flights and budgets an ad-ops team can trust."""

from __future__ import annotations

import pytest

from tests.support import Api, campaign_body, field_errors


def test_create_update_archive(operator: Api, advertiser_api: Api) -> None:
    adv = advertiser_api.advertiser_id
    campaign = operator.post("/v1/campaigns", campaign_body(adv, holdout_percent=10))
    assert campaign["status"] == "live" and campaign["holdout_percent"] == 10
    assert campaign["budget_total"] == 1000 and campaign["budget_daily"] == 50
    path = f"/v1/campaigns/{campaign['id']}"
    assert operator.patch(path, {"status": "paused", "budget_daily": 75.5})["budget_daily"] == 75.5
    assert operator.delete(path)["status"] == "archived"
    body = operator.patch(path, {"status": "live"}, status=409)
    assert body["error"]["code"] == "conflict"


def test_advertiser_creates_for_itself(advertiser_api: Api) -> None:
    campaign = advertiser_api.post("/v1/campaigns", campaign_body(None))
    assert campaign["advertiser_id"] == advertiser_api.advertiser_id


def test_operator_must_name_the_advertiser(operator: Api) -> None:
    body = operator.post("/v1/campaigns", campaign_body(None), status=422)
    assert "advertiser_id" in field_errors(body)
    body = operator.post("/v1/campaigns", campaign_body("adv_missing"), status=422)
    assert "advertiser_id" in field_errors(body)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"end": "2026-11-30T00:00:00+00:00"}, "end"),
        ({"end": "2026-12-01T00:00:00+00:00"}, "end"),
        ({"budget_total": 0}, "budget_total"),
        ({"budget_total": -5}, "budget_total"),
        ({"budget_daily": 2000}, "budget_daily"),
        ({"budget_daily": 0}, "budget_daily"),
        ({"budget_total": 10.0000001}, "budget_total"),
        ({"start": "2026-12-01T00:00:00"}, "start"),  # no offset: ambiguous
        ({"pacing": "fast"}, "pacing"),
        ({"holdout_percent": 80}, "holdout_percent"),
        ({"end": None, "budget_daily": None}, "pacing"),  # even pacing over nothing
    ],
)
def test_invalid_plans_name_the_field(
    operator: Api, advertiser_api: Api, overrides: dict[str, object], field: str
) -> None:
    body = operator.post("/v1/campaigns", campaign_body(advertiser_api.advertiser_id, **overrides), status=422)
    assert field in field_errors(body), body


def test_asap_without_end_is_fine(operator: Api, advertiser_api: Api) -> None:
    body = campaign_body(advertiser_api.advertiser_id, end=None, budget_daily=None, pacing="asap")
    assert operator.post("/v1/campaigns", body)["end"] is None


def test_patch_is_checked_against_the_whole_campaign(operator: Api, advertiser_api: Api) -> None:
    campaign = operator.post("/v1/campaigns", campaign_body(advertiser_api.advertiser_id))
    path = f"/v1/campaigns/{campaign['id']}"
    # A total below the existing daily budget breaks the daily budget's rule.
    assert "budget_daily" in field_errors(operator.patch(path, {"budget_total": 20}, status=422))
    assert "end" in field_errors(operator.patch(path, {"start": "2027-01-15T00:00:00+00:00"}, status=422))
    assert operator.get(path) == campaign  # nothing half written


def test_times_come_back_in_utc_with_offset(operator: Api, advertiser_api: Api) -> None:
    body = campaign_body(advertiser_api.advertiser_id, start="2026-12-01T09:00:00+07:00")
    assert operator.post("/v1/campaigns", body)["start"] == "2026-12-01T02:00:00+00:00"


def test_a_test_campaign_always_holds_users_out(operator: Api, advertiser_api: Api) -> None:
    adv = advertiser_api.advertiser_id
    test = operator.post("/v1/campaigns", campaign_body(adv, is_test=True))
    assert test["is_test"] is True and test["holdout_percent"] == 20  # the default for tests
    assert operator.post("/v1/campaigns", campaign_body(adv, is_test=True, holdout_percent=35))["holdout_percent"] == 35
    refused = operator.post("/v1/campaigns", campaign_body(adv, is_test=True, holdout_percent=0), status=422)
    assert "at least 1%" in field_errors(refused)["holdout_percent"]
    path = f"/v1/campaigns/{test['id']}"
    assert "holdout_percent" in field_errors(operator.patch(path, {"holdout_percent": 0}, status=422))
    plain = operator.post("/v1/campaigns", campaign_body(adv))
    assert plain["is_test"] is False and plain["holdout_percent"] == 0
    made_a_test = operator.patch(f"/v1/campaigns/{plain['id']}", {"is_test": True})
    assert made_a_test["is_test"] is True and made_a_test["holdout_percent"] == 20
