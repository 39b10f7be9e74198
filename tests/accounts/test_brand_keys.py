"""API keys managed by whoever holds the keys right: a brand's admin creates, lists and
revokes its own brand's keys; a key's scope is offered on its side and never more than its
creator's; `last_used_at` moves at most once a minute, on the app's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, update

from shelfspace.accounts.models import ApiKey
from shelfspace.accounts.rights import Role, TeamRole
from shelfspace.accounts.roles import Principal
from shelfspace.accounts.service import hash_key, may_give, scopes_for
from shelfspace.core.clock import Clock, SteppedClock
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.conftest import new_key
from tests.support import Api, field_errors

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def app_clock() -> Clock | None:
    return SteppedClock(START)


def scoped(api: Api, engine: Engine, side: Role, team_role: TeamRole, advertiser_id: str | None) -> Api:
    """A key of `side` with this scope, for `advertiser_id`."""
    secret = new_key(engine, side, advertiser_id)
    with session_scope(make_sessionmaker(engine)) as db:
        db.execute(update(ApiKey).where(ApiKey.key_hash == hash_key(secret)).values(team_role=team_role))
    scoped_api = Api(api.client, secret)
    scoped_api.advertiser_id = advertiser_id
    return scoped_api


def test_a_brand_admin_creates_lists_and_revokes_its_own_keys(operator: Api, advertiser_api: Api) -> None:
    other = operator.post("/v1/advertisers", {"name": "Bolt", "domain": "bolt.example"})["id"]
    theirs = operator.post("/v1/api-keys", {"role": "advertiser", "advertiser_id": other, "name": "Bolt's"})
    network = operator.post("/v1/api-keys", {"role": "operator", "team_role": "finance", "name": "ledger"})
    assert network["team_role"] == "finance" and network["last_used_at"] is None

    made = advertiser_api.post(
        "/v1/api-keys", {"role": "advertiser", "name": "Nightly export", "team_role": "reporting"}
    )
    assert made["advertiser_id"] == advertiser_api.advertiser_id and made["team_role"] == "reporting"
    assert made["created_by"].startswith("key:") and made["key"].startswith("ssk_")
    reporting = Api(advertiser_api.client, made["key"])
    assert reporting.get("/v1/campaigns")["data"] == []
    reporting.post("/v1/campaigns", {"name": "x"}, status=403)  # the key's scope, not its creator's

    listed = {k["id"] for k in advertiser_api.get("/v1/api-keys")["data"]}
    assert made["id"] in listed and theirs["id"] not in listed and network["id"] not in listed
    for key in (theirs, network):  # another brand's key, the network's: not found, and still working
        assert advertiser_api.delete(f"/v1/api-keys/{key['id']}", status=404)["error"]["code"] == "not_found"
    assert all(k["revoked_at"] is None for k in operator.get("/v1/api-keys")["data"])
    assert advertiser_api.delete(f"/v1/api-keys/{made['id']}")["revoked_at"] is not None
    reporting.get("/v1/campaigns", status=401)


def test_a_brand_makes_keys_of_its_own_brand_only(operator: Api, advertiser_api: Api) -> None:
    other = operator.post("/v1/advertisers", {"name": "Bolt", "domain": "bolt.example"})["id"]
    answer = advertiser_api.post("/v1/api-keys", {"role": "advertiser", "advertiser_id": other}, status=422)
    assert "advertiser_id" in field_errors(answer)
    assert "role" in field_errors(advertiser_api.post("/v1/api-keys", {"role": "operator"}, status=422))
    own = advertiser_api.post("/v1/api-keys", {"role": "advertiser", "advertiser_id": advertiser_api.advertiser_id})
    assert own["advertiser_id"] == advertiser_api.advertiser_id and own["team_role"] == "admin"
    assert not [k for k in operator.get("/v1/api-keys")["data"] if k["advertiser_id"] == other]


@pytest.mark.parametrize("team_role", [TeamRole.CAMPAIGN_MANAGER, TeamRole.REPORTING])
def test_brand_roles_without_the_keys_right_are_refused(
    operator: Api, advertiser_api: Api, engine: Engine, team_role: TeamRole
) -> None:
    admin_made = advertiser_api.post("/v1/api-keys", {"role": "advertiser", "name": "CI"})
    caller = scoped(operator, engine, Role.ADVERTISER, team_role, advertiser_api.advertiser_id)
    for method, path, body in (
        ("GET", "/v1/api-keys", None),
        ("POST", "/v1/api-keys", {"role": "advertiser"}),
        ("DELETE", f"/v1/api-keys/{admin_made['id']}", None),
    ):
        answer = caller.call(method, path, body)
        assert answer.status_code == 403 and "your role (" in answer.json()["error"]["message"], (method, answer.text)
    assert advertiser_api.get("/v1/api-keys")["data"][-1]["revoked_at"] is None


def test_a_scope_is_offered_on_its_side_and_never_above_ones_own(
    operator: Api, advertiser_api: Api, engine: Engine
) -> None:
    for api, body in (
        (advertiser_api, {"role": "advertiser", "team_role": "ad_ops"}),
        (operator, {"role": "operator", "team_role": "campaign_manager"}),
        (operator, {"role": "advertiser", "advertiser_id": advertiser_api.advertiser_id, "team_role": "finance"}),
    ):
        answer = api.post("/v1/api-keys", body, status=422)
        assert "team_role" in field_errors(answer), answer
    ops = scoped(operator, engine, Role.OPERATOR, TeamRole.AD_OPS, None)  # no keys right at all
    ops.post("/v1/api-keys", {"role": "operator", "team_role": "ad_ops"}, status=403)
    assert (
        operator.post(
            "/v1/api-keys",
            {"role": "advertiser", "advertiser_id": advertiser_api.advertiser_id, "team_role": "campaign_manager"},
        )["team_role"]
        == "campaign_manager"
    )


def test_the_scope_rule_never_gives_more_than_ones_own() -> None:
    """Today only admins hold the keys right; the rule holds for any role that may come to."""
    manager = Principal("user:m", Role.ADVERTISER, "adv_1", TeamRole.CAMPAIGN_MANAGER)
    assert not may_give(manager, Role.ADVERTISER, TeamRole.ADMIN)
    assert may_give(manager, Role.ADVERTISER, TeamRole.REPORTING)
    assert not may_give(manager, Role.OPERATOR, TeamRole.FINANCE)  # never the other side
    brand_admin = Principal("user:a", Role.ADVERTISER, "adv_1", TeamRole.ADMIN)
    assert scopes_for(brand_admin, Role.ADVERTISER) == (TeamRole.ADMIN, TeamRole.CAMPAIGN_MANAGER, TeamRole.REPORTING)
    assert scopes_for(brand_admin, Role.OPERATOR) == ()
    finance = Principal("user:f", Role.OPERATOR, None, TeamRole.FINANCE)
    assert scopes_for(finance, Role.OPERATOR) == (TeamRole.FINANCE,)
    assert scopes_for(finance, Role.ADVERTISER) == (TeamRole.REPORTING,)


def test_last_used_moves_once_a_minute_at_most(operator: Api, advertiser_api: Api, app_clock: SteppedClock) -> None:
    made = advertiser_api.post("/v1/api-keys", {"role": "advertiser", "name": "CI"})
    ci = Api(advertiser_api.client, made["key"])

    def last_used() -> str | None:
        found = [k for k in operator.get("/v1/api-keys")["data"] if k["id"] == made["id"]]
        return found[0]["last_used_at"]

    assert last_used() is None
    ci.get("/v1/campaigns")
    assert datetime.fromisoformat(str(last_used())) == START
    app_clock.advance_to(START + timedelta(seconds=59))
    ci.get("/v1/campaigns")
    assert datetime.fromisoformat(str(last_used())) == START  # not a write per request
    app_clock.advance_to(START + timedelta(minutes=1, seconds=1))
    ci.get("/v1/campaigns")
    assert datetime.fromisoformat(str(last_used())) == START + timedelta(minutes=1, seconds=1)
