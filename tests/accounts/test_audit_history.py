"""The audit history: each entry names the brand its object belongs to, whoever made the
change (accounts/audit.py `record`), and `GET /v1/audit-log` filters by actor, action,
object and local days, opened to a brand's admin for its own objects only
(accounts/audit_history.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.audit_history import AuditFilters, history_query
from shelfspace.accounts.models import AuditEntry
from shelfspace.accounts.rights import TeamRole
from shelfspace.accounts.roles import SYSTEM, Principal, Role
from shelfspace.billing import invoices, ledger
from shelfspace.billing.models import EntryKind
from shelfspace.catalog.duplicate import duplicate
from shelfspace.catalog.models import Advertiser
from shelfspace.core.errors import Forbidden
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.conftest import new_key
from tests.support import BANNER, Api, banner_creative, campaign_body, field_errors, line_item_body, runtime

OPERATOR = Principal("user:usr_ops", Role.OPERATOR)
NEW_YORK = ZoneInfo("America/New_York")


def _brand(operator: Api, engine: Engine, name: str) -> Api:
    made = operator.post("/v1/advertisers", {"name": name, "domain": f"{name.lower()}.example"})
    api = Api(operator.client, new_key(engine, Role.ADVERTISER, made["id"]))
    api.advertiser_id = made["id"]
    return api


def _owners(engine: Engine) -> dict[tuple[str, str, str], str | None]:
    """(object type, action, object id) → the brand its entry names."""
    with session_scope(make_sessionmaker(engine)) as db:
        return {(e.object_type, e.action, e.object_id): e.advertiser_id for e in db.scalars(select(AuditEntry))}


def test_every_kind_of_object_names_its_brand_whoever_changes_it(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    acme = _brand(operator, engine, "Acme")
    brand = acme.advertiser_id
    assert brand is not None
    operator.post("/v1/placements", BANNER)
    operator.post("/v1/products", {"sku": "TENT-1", "title": "Tent"})
    # The operator works on the brand's objects...
    campaign = operator.post("/v1/campaigns", campaign_body(brand))
    line_item = operator.post("/v1/line-items", line_item_body(campaign["id"]))
    creative = acme.post("/v1/creatives", banner_creative(None, line_item["id"]))
    operator.patch(f"/v1/creatives/{creative['id']}", {"status": "approved"})
    operator.patch(f"/v1/campaigns/{campaign['id']}", {"name": "Renamed by the operator"})
    operator.patch(f"/v1/line-items/{line_item['id']}", {"name": "Renamed line"})
    operator.patch(f"/v1/advertisers/{brand}", {"name": "Acme Ltd"})
    audience = operator.post("/v1/audiences", {"name": "Campers", "advertiser_id": brand, "rule": {"event": "view"}})
    network_audience = operator.post("/v1/audiences", {"name": "Everyone", "rule": {"event": "view"}})
    key = operator.post("/v1/api-keys", {"role": "advertiser", "advertiser_id": brand})
    operator.delete(f"/v1/api-keys/{key['id']}")
    person = operator.post(
        "/v1/users",
        {"email": "ann@acme.example", "password": "a long password 123", "role": "advertiser", "advertiser_id": brand},
    )
    operator.patch(f"/v1/users/{person['id']}", {"password": "violet kettle drums 4471"})
    operator.delete(f"/v1/users/{person['id']}/sessions")
    top_up = operator.post(f"/v1/advertisers/{brand}/top-ups", {"amount": "50", "reference": "BANK-1"})
    with session_scope(make_sessionmaker(engine)) as db:
        ledger.post(
            db,
            advertiser_id=brand,
            kind=EntryKind.CHARGE,
            amount_micros=-2_000_000,
            day=date(2026, 6, 1),
            time=datetime(2026, 6, 1, 12, tzinfo=UTC),
            actor="test",
            campaign_id=campaign["id"],
        )
        advertiser = db.get(Advertiser, brand)
        assert advertiser is not None
        invoice = invoices.issue_through(
            db, SYSTEM, advertiser, date(2026, 6, 30), runtime(client).settings, datetime(2026, 7, 1, tzinfo=UTC)
        )
        assert invoice is not None
        invoice_id = invoice.id
        copy = duplicate(
            db,
            OPERATOR,
            campaign["id"],
            datetime(2026, 6, 1, tzinfo=UTC),
            NEW_YORK,
            audiences=runtime(client).audience_check,
        ).campaign.id
    # ...and the brand on its own.
    acme.patch(f"/v1/campaigns/{campaign['id']}", {"name": "Renamed by the brand"})
    operator.delete(f"/v1/campaigns/{campaign['id']}")

    owners = _owners(engine)
    for kind, action, object_id in [
        ("campaign", "create", campaign["id"]),
        ("campaign", "update", campaign["id"]),
        ("campaign", "archive", campaign["id"]),
        ("campaign", "copy", copy),
        ("line_item", "create", line_item["id"]),
        ("line_item", "update", line_item["id"]),
        ("creative", "create", creative["id"]),
        ("creative", "review", creative["id"]),
        ("advertiser", "create", brand),
        ("advertiser", "update", brand),
        ("audience", "create", audience["id"]),
        ("api_key", "create", key["id"]),
        ("api_key", "revoke", key["id"]),
        ("user", "create", person["id"]),
        ("user", "update", person["id"]),
        ("user_sessions", "revoke", person["id"]),
        ("billing", "create", str(top_up["id"])),
        ("invoice", "create", invoice_id),
    ]:
        assert owners[(kind, action, object_id)] == brand, f"{kind} {action} names {owners[(kind, action, object_id)]}"
    for kind, action, object_id in [
        ("placement", "create", BANNER["id"]),
        ("product", "create", "TENT-1"),
        ("audience", "create", network_audience["id"]),
    ]:
        assert owners[(kind, action, object_id)] is None, f"{kind}: the network's own"


def test_record_takes_the_callers_brand_unless_told(engine: Engine, client: TestClient, operator: Api) -> None:
    brand = operator.post("/v1/advertisers", {"name": "Acme", "domain": "acme.example"})["id"]
    own = Principal("key:key_brand", Role.ADVERTISER, brand)
    with session_scope(make_sessionmaker(engine)) as db:
        record(db, own, AuditAction.UPDATE, "campaign", "cmp_1", {"name": ["a", "b"]})
        record(db, OPERATOR, AuditAction.UPDATE, "placement", "home", {"name": ["a", "b"]})
        record(db, OPERATOR, AuditAction.UPDATE, "campaign", "cmp_2", {}, advertiser_id=brand)
        record(db, own, AuditAction.UPDATE, "product", "p", {}, advertiser_id=None)
    owners = _owners(engine)
    assert owners[("campaign", "update", "cmp_1")] == brand and owners[("campaign", "update", "cmp_2")] == brand
    assert owners[("placement", "update", "home")] is None and owners[("product", "update", "p")] is None


def _entries(engine: Engine, by: Principal, filters: AuditFilters, zone: ZoneInfo = NEW_YORK) -> list[str]:
    with session_scope(make_sessionmaker(engine)) as db:
        return [e.object_id for e in db.scalars(history_query(by, filters, zone).order_by(AuditEntry.id))]


def _seed(engine: Engine, rows: list[tuple[str, str, str, str | None, datetime]]) -> None:
    """Entries (actor, action, object id, brand, when) written straight to the log."""
    with session_scope(make_sessionmaker(engine)) as db:
        for actor, action, object_id, brand, at in rows:
            db.add(
                AuditEntry(
                    actor=actor,
                    action=action,
                    object_type="campaign",
                    object_id=object_id,
                    changes={},
                    advertiser_id=brand,
                    at=at,
                )
            )


def test_days_are_the_networks_and_both_ends_are_included(engine: Engine, client: TestClient, operator: Api) -> None:
    a = operator.post("/v1/advertisers", {"name": "Acme", "domain": "acme.example"})["id"]
    _seed(
        engine,
        [
            ("system", "update", "late-may-31", a, datetime(2026, 6, 1, 3, 30, tzinfo=UTC)),  # 23:30 in NY
            ("system", "update", "june-1", a, datetime(2026, 6, 1, 4, 30, tzinfo=UTC)),  # 00:30 in NY
            ("system", "update", "june-2-end", a, datetime(2026, 6, 3, 3, 59, tzinfo=UTC)),
        ],
    )
    first, second = date(2026, 6, 1), date(2026, 6, 2)
    assert _entries(engine, OPERATOR, AuditFilters(start=first, end=second)) == ["june-1", "june-2-end"]
    assert _entries(engine, OPERATOR, AuditFilters(end=date(2026, 5, 31))) == ["late-may-31"]
    assert _entries(engine, OPERATOR, AuditFilters(start=first, end=first), ZoneInfo("UTC")) == [
        "late-may-31",
        "june-1",
    ]


def test_filters_narrow_a_brands_history_and_never_widen_it(engine: Engine, client: TestClient, operator: Api) -> None:
    a = operator.post("/v1/advertisers", {"name": "Acme", "domain": "acme.example"})["id"]
    b = operator.post("/v1/advertisers", {"name": "Bolt", "domain": "bolt.example"})["id"]
    ops = operator.post(
        "/v1/users", {"email": "ops@shop.example", "password": "a long password 123", "role": "operator"}
    )["id"]
    ann = operator.post(
        "/v1/users",
        {"email": "ann@acme.example", "password": "a long password 123", "role": "advertiser", "advertiser_id": a},
    )["id"]
    key = operator.post("/v1/api-keys", {"role": "advertiser", "advertiser_id": a, "name": "Acme feed"})["id"]
    when = datetime(2026, 6, 1, 12, tzinfo=UTC)
    _seed(
        engine,
        [
            (f"user:{ops}", "review", "a-by-ops", a, when),
            (f"user:{ann}", "update", "a-by-ann", a, when),
            (f"key:{key}", "create", "a-by-key", a, when),
            ("system", "update", "a-by-system", a, when),
            (f"user:{ops}", "update", "b-by-ops", b, when),
            (f"user:{ops}", "update", "network", None, when),
        ],
    )
    mine = Principal(f"user:{ann}", Role.ADVERTISER, a)
    seeded = {"a-by-ops", "a-by-ann", "a-by-key", "a-by-system", "b-by-ops", "network"}

    def seen(by: Principal, **filters: Any) -> set[str]:
        return set(_entries(engine, by, AuditFilters(**filters))) & seeded

    assert seen(OPERATOR) == seeded
    assert seen(mine) == {"a-by-ops", "a-by-ann", "a-by-key", "a-by-system"}
    assert seen(mine, object_id="b-by-ops") == set() and seen(mine, actor=f"user:{ops}") == {"a-by-ops"}
    assert seen(OPERATOR, who="OPS@shop") == {"a-by-ops", "b-by-ops", "network"}
    assert seen(OPERATOR, who="acme feed") == {"a-by-key"} and seen(OPERATOR, who="ann@") == {"a-by-ann"}
    assert seen(OPERATOR, who="Shelfspace") == {"a-by-system"}
    # On a brand's history the operator's staff are Shelfspace: not found by their e-mail.
    assert seen(mine, who="ops@shop") == set() and seen(mine, who="shelfspace") == {"a-by-ops", "a-by-system"}
    assert seen(mine, who="%") == set()  # a wildcard is a character like any other
    assert seen(mine, action=AuditAction.REVIEW) == {"a-by-ops"}
    assert seen(Principal("x", Role.ADVERTISER)) == set()  # a brand principal without a brand reads nothing
    for refused in (
        Principal("key:k", Role.ADVERTISER, a, TeamRole.CAMPAIGN_MANAGER),
        Principal("user:u", Role.OPERATOR, None, TeamRole.AD_OPS),
    ):
        try:
            seen(refused)
        except Forbidden as exc:
            assert "may not read the audit history" in exc.message
        else:
            raise AssertionError(f"{refused.team_role} read the audit history")


def test_the_api_filters_and_a_brand_admin_reads_its_own(client: TestClient, operator: Api, engine: Engine) -> None:
    acme, bolt = _brand(operator, engine, "Acme"), _brand(operator, engine, "Bolt")
    operator.post("/v1/placements", BANNER)
    mine = acme.post("/v1/campaigns", campaign_body(None))
    theirs = bolt.post("/v1/campaigns", campaign_body(None))
    operator.patch(f"/v1/campaigns/{mine['id']}", {"name": "Renamed by the operator"})
    entries = acme.get("/v1/audit-log", params={"object_type": "campaign", "object_id": mine["id"]})["data"]
    assert [e["action"] for e in entries] == ["create", "update"]  # oldest first, the operator's change included
    assert entries[1]["changes"] == {"name": ["Spring sale", "Renamed by the operator"]}
    assert all(e["advertiser_id"] == acme.advertiser_id for e in entries)
    assert acme.get("/v1/audit-log", params={"object_id": theirs["id"]})["data"] == []
    seen = {e["object_id"] for e in acme.get("/v1/audit-log")["data"]}  # its advertiser, campaign and key
    assert {acme.advertiser_id, mine["id"]} <= seen and not {bolt.advertiser_id, theirs["id"]} & seen

    operator_actor = entries[1]["actor"]
    by_operator = operator.get("/v1/audit-log", params={"actor": operator_actor, "action": "update"})["data"]
    assert [e["object_id"] for e in by_operator] == [mine["id"]]
    today = datetime.now(UTC).date()
    assert (
        operator.get(
            "/v1/audit-log", params={"from": today.isoformat(), "to": today.isoformat(), "object_id": theirs["id"]}
        )["data"][0]["object_id"]
        == theirs["id"]
    )
    assert operator.get("/v1/audit-log", params={"to": "2000-01-01"})["data"] == []
    refused = operator.get("/v1/audit-log", params={"from": "2026-06-02", "to": "2026-06-01"}, status=422)
    assert "to" in field_errors(refused)
    assert "action" in str(operator.get("/v1/audit-log", params={"action": "dance"}, status=422))

    manager = operator.post(
        "/v1/api-keys", {"role": "advertiser", "advertiser_id": acme.advertiser_id, "team_role": "campaign_manager"}
    )["key"]
    Api(client, manager).get("/v1/audit-log", status=403)
