"""API keys, users and the audit log."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, select

from shelfspace.accounts.models import ApiKey, User
from shelfspace.accounts.passwords import verify_password
from shelfspace.accounts.rights import TeamRole
from shelfspace.accounts.roles import Principal, Role
from shelfspace.accounts.service import authenticate_user, ensure_bootstrap_key, hash_key, keys_query
from shelfspace.app import create_app
from shelfspace.config import Settings
from shelfspace.core.errors import Forbidden
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.databases import empty_all_tables
from tests.support import Api, field_errors


def test_key_is_shown_once_and_stored_hashed(operator: Api, engine: Engine) -> None:
    advertiser = operator.post("/v1/advertisers", {"name": "Brand", "domain": "brand.example"})
    created = operator.post("/v1/api-keys", {"role": "advertiser", "advertiser_id": advertiser["id"], "name": "agency"})
    secret = created["key"]
    assert secret.startswith("ssk_") and len(secret) > 40
    with session_scope(make_sessionmaker(engine)) as db:
        stored = db.get(ApiKey, created["id"])
        assert stored is not None and stored.key_hash == hash_key(secret) and secret not in stored.key_hash
    listed = operator.get("/v1/api-keys")["data"]
    assert all("key" not in k for k in listed)
    assert Api(operator.client, secret).get(f"/v1/advertisers/{advertiser['id']}")["id"] == advertiser["id"]


def test_revoked_key_stops_working(operator: Api) -> None:
    created = operator.post("/v1/api-keys", {"role": "operator"})
    other = Api(operator.client, created["key"])
    other.get("/v1/placements")
    assert operator.delete(f"/v1/api-keys/{created['id']}")["revoked_at"] is not None
    assert other.get("/v1/placements", status=401)["error"]["code"] == "unauthorized"


def test_role_and_advertiser_must_agree(operator: Api) -> None:
    assert "advertiser_id" in field_errors(operator.post("/v1/api-keys", {"role": "advertiser"}, status=422))
    assert "advertiser_id" in field_errors(
        operator.post("/v1/api-keys", {"role": "operator", "advertiser_id": "adv_x"}, status=422)
    )
    body = operator.post("/v1/api-keys", {"role": "advertiser", "advertiser_id": "adv_nope"}, status=422)
    assert "advertiser_id" in field_errors(body)


def test_missing_and_wrong_keys_are_401(client: TestClient) -> None:
    assert Api(client, None).get("/v1/campaigns", status=401)["error"]["code"] == "unauthorized"
    response = Api(client, "ssk_wrong").call("GET", "/v1/campaigns")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_users_have_argon2_passwords(operator: Api, engine: Engine) -> None:
    user = operator.post(
        "/v1/users", {"email": "Ops@Shop.example", "password": "correct horse battery", "role": "operator"}
    )
    assert user["email"] == "ops@shop.example" and "password" not in user
    operator.post(
        "/v1/users", {"email": "ops@shop.example", "password": "another long one", "role": "operator"}, status=409
    )
    assert "password" in field_errors(
        operator.post("/v1/users", {"email": "b@shop.example", "password": "short", "role": "operator"}, status=422)
    )
    with session_scope(make_sessionmaker(engine)) as db:
        stored = db.scalars(select(User)).one()
        assert stored.password_hash.startswith("$argon2id$")
        assert verify_password(stored.password_hash, "correct horse battery")
        assert authenticate_user(db, "OPS@shop.example", "correct horse battery") is not None
        assert authenticate_user(db, "ops@shop.example", "wrong password!") is None
        assert authenticate_user(db, "nobody@shop.example", "correct horse battery") is None


def test_audit_log_records_who_changed_what(operator: Api, advertiser_api: Api) -> None:
    path = f"/v1/advertisers/{advertiser_api.advertiser_id}"
    advertiser_api.patch(path, {"name": "Acme Outdoor Ltd"})
    entries = operator.get(f"/v1/audit-log?object_type=advertiser&object_id={advertiser_api.advertiser_id}")["data"]
    assert [e["action"] for e in entries] == ["create", "update"]
    assert entries[0]["actor"].startswith("key:") and entries[1]["actor"] != entries[0]["actor"]
    # Renamed by itself, the brand keeps answering for its old name (catalog/brand_claims.py).
    assert entries[1]["changes"] == {"name": ["Acme Outdoor", "Acme Outdoor Ltd"], "brands": [[], ["Acme Outdoor"]]}
    # The brand reads its own object's history, the operator's change included (tests/accounts/test_audit_history.py).
    assert advertiser_api.get(f"/v1/audit-log?object_id={advertiser_api.advertiser_id}")["data"] == entries


def test_failed_change_leaves_no_audit_entry(operator: Api) -> None:
    operator.post("/v1/campaigns", {"name": "x"}, status=422)
    assert operator.get("/v1/audit-log?object_type=campaign")["data"] == []


def test_bootstrap_key_is_created_once(engine: Engine, settings: Settings) -> None:
    value = "bootstrap-" + "x" * 30
    app = create_app(settings.model_copy(update={"bootstrap_key": SecretStr(value)}), engine)
    try:
        with TestClient(app) as client:
            assert Api(client, value).get("/v1/placements")["data"] == []
        with session_scope(make_sessionmaker(engine)) as db:
            assert ensure_bootstrap_key(db, "another-" + "y" * 30) is False
            assert db.scalars(select(ApiKey)).one().role is Role.OPERATOR
    finally:
        empty_all_tables(engine)


def test_services_refuse_keys_to_roles_without_the_right() -> None:
    with pytest.raises(Forbidden, match="your role"):
        keys_query(Principal("key:x", Role.ADVERTISER, "adv_1", TeamRole.REPORTING))
