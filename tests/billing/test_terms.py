"""An advertiser's terms (billing/terms.py): finance sets them with a reason, the audit log
keeps them before and after, a brand waiting for approval has no credit at all, and the
older PATCH of billing fields asks the same right."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, update

from shelfspace.accounts.models import ApiKey
from shelfspace.accounts.rights import Role, TeamRole
from shelfspace.accounts.roles import Principal
from shelfspace.accounts.service import hash_key
from shelfspace.billing.terms import set_terms
from shelfspace.catalog.enums import BillingMode
from shelfspace.core.errors import Forbidden, InvalidInput
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.conftest import new_key
from tests.support import Api, field_errors

FINANCE = Principal("user:finance", Role.OPERATOR, team_role=TeamRole.FINANCE)
AD_OPS = Principal("user:ad-ops", Role.OPERATOR, team_role=TeamRole.AD_OPS)


def staff(operator: Api, engine: Engine, team_role: TeamRole) -> Api:
    """An operator key of one team role."""
    secret = new_key(engine, Role.OPERATOR)
    with session_scope(make_sessionmaker(engine)) as db:
        db.execute(update(ApiKey).where(ApiKey.key_hash == hash_key(secret)).values(team_role=team_role))
    return Api(operator.client, secret)


def _terms_entries(operator: Api, advertiser_id: str) -> list[dict[str, Any]]:
    entries = operator.get(f"/v1/audit-log?object_id={advertiser_id}")["data"]
    return [e for e in entries if "reason" in e["changes"]]


def test_a_brand_waiting_for_approval_has_no_credit(operator: Api) -> None:
    pending = operator.post(
        "/v1/advertisers", {"name": "Harbor Tea", "domain": "harbortea.example", "status": "pending"}
    )
    assert (pending["billing_mode"], pending["credit_limit"]) == ("prepaid", None)  # not the API's credit default
    balance = operator.get(f"/v1/advertisers/{pending['id']}/balance")
    assert Decimal(str(balance["available"])) == 0
    refused = operator.post(
        "/v1/advertisers",
        {"name": "Crisp", "domain": "crisp.example", "status": "pending", "billing_mode": "credit"},
        status=422,
    )
    assert "waiting for approval" in field_errors(refused)["billing_mode"]
    terms = {"billing_mode": "credit", "credit_limit": 500, "reason": "A good customer elsewhere"}
    early = operator.post(f"/v1/advertisers/{pending['id']}/terms", terms, status=422)
    assert "approve it first" in field_errors(early)["billing_mode"]
    patched = operator.patch(f"/v1/advertisers/{pending['id']}", {"billing_mode": "credit"}, status=422)
    assert "billing_mode" in field_errors(patched)
    # Approved and given credit in one PATCH: the status it will have is the one that counts.
    both = operator.patch(
        f"/v1/advertisers/{pending['id']}", {"status": "active", "billing_mode": "credit", "credit_limit": 750}
    )
    assert (both["status"], both["billing_mode"], both["credit_limit"]) == ("active", "credit", 750)
    # Nor does a brand on credit go back to pending and keep it.
    back = operator.patch(f"/v1/advertisers/{pending['id']}", {"status": "pending"}, status=422)
    assert "make it prepaid first" in field_errors(back)["status"]
    prepaid_again = operator.patch(f"/v1/advertisers/{pending['id']}", {"status": "pending", "billing_mode": "prepaid"})
    assert (prepaid_again["status"], prepaid_again["billing_mode"]) == ("pending", "prepaid")


def test_finance_sets_terms_with_a_reason_kept_in_the_audit_log(operator: Api, engine: Engine) -> None:
    brand = operator.post("/v1/advertisers", {"name": "Acme", "domain": "acme.example", "billing_mode": "prepaid"})
    finance = staff(operator, engine, TeamRole.FINANCE)
    given = finance.post(
        f"/v1/advertisers/{brand['id']}/terms",
        {"billing_mode": "credit", "credit_limit": "5000.00", "reason": "  Signed the annual contract  "},
        status=200,
    )
    assert (given["billing_mode"], given["credit_limit"]) == ("credit", 5000)
    balance = operator.get(f"/v1/advertisers/{brand['id']}/balance")
    assert Decimal(str(balance["credit_limit"])) == 5000 and Decimal(str(balance["available"])) == 5000
    [entry] = _terms_entries(operator, brand["id"])
    assert entry["action"] == "update" and entry["object_type"] == "advertiser"
    assert entry["advertiser_id"] == brand["id"] and str(entry["actor"]).startswith("key:")
    assert entry["changes"] == {
        "billing_mode": ["prepaid", "credit"],
        "credit_limit": [None, "5000"],
        "reason": "Signed the annual contract",
    }

    lowered = finance.post(
        f"/v1/advertisers/{brand['id']}/terms",
        {"billing_mode": "credit", "credit_limit": 1000, "reason": "Two invoices overdue"},
        status=200,
    )
    assert lowered["credit_limit"] == 1000
    # The same terms again change nothing and record nothing.
    finance.post(
        f"/v1/advertisers/{brand['id']}/terms",
        {"billing_mode": "credit", "credit_limit": 1000, "reason": "again"},
        status=200,
    )
    back = finance.post(
        f"/v1/advertisers/{brand['id']}/terms",
        {"billing_mode": "prepaid", "reason": "Closed the credit line"},
        status=200,
    )
    assert (back["billing_mode"], back["credit_limit"]) == ("prepaid", None)
    assert [e["changes"]["reason"] for e in _terms_entries(operator, brand["id"])] == [
        "Signed the annual contract",
        "Two invoices overdue",
        "Closed the credit line",
    ]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"billing_mode": "credit", "reason": "x"}, "credit_limit", "required on credit"),
        ({"billing_mode": "credit", "credit_limit": 0, "reason": "x"}, "credit_limit", "greater than 0"),
        ({"billing_mode": "prepaid", "credit_limit": 100, "reason": "x"}, "credit_limit", "no credit limit"),
        ({"billing_mode": "credit", "credit_limit": 100}, "reason", "required"),
        ({"billing_mode": "credit", "credit_limit": 100, "reason": "   "}, "reason", "at least 1"),
        ({"billing_mode": "credit", "credit_limit": 100, "reason": "x" * 501}, "reason", "at most 500"),
        ({"billing_mode": "barter", "credit_limit": 100, "reason": "x"}, "billing_mode", "prepaid"),
    ],
)
def test_bad_terms_are_refused_naming_the_field(operator: Api, body: dict[str, object], field: str, words: str) -> None:
    brand = operator.post("/v1/advertisers", {"name": "Acme", "domain": "acme.example", "billing_mode": "prepaid"})
    refused = operator.post(f"/v1/advertisers/{brand['id']}/terms", body, status=422)
    assert words in field_errors(refused)[field]
    assert operator.get(f"/v1/advertisers/{brand['id']}")["billing_mode"] == "prepaid"
    assert _terms_entries(operator, brand["id"]) == []


def test_ad_operations_may_not_set_terms_by_either_route(operator: Api, engine: Engine) -> None:
    brand = operator.post("/v1/advertisers", {"name": "Acme", "domain": "acme.example", "billing_mode": "prepaid"})
    ad_ops = staff(operator, engine, TeamRole.AD_OPS)
    refused = ad_ops.call(
        "POST", f"/v1/advertisers/{brand['id']}/terms", {"billing_mode": "credit", "credit_limit": 100, "reason": "x"}
    )
    assert refused.status_code == 403 and "your role (ad operations)" in refused.json()["error"]["message"]
    patched = ad_ops.call("PATCH", f"/v1/advertisers/{brand['id']}", {"billing_mode": "credit"})
    assert patched.status_code == 403 and "set how an advertiser pays" in patched.json()["error"]["message"]
    assert (
        ad_ops.call(
            "POST", "/v1/advertisers", {"name": "Crisp", "domain": "crisp.example", "credit_limit": 100}
        ).status_code
        == 403
    )
    # What is theirs still works: the status (a review), and the profile.
    assert (
        ad_ops.patch(f"/v1/advertisers/{brand['id']}", {"status": "suspended", "name": "Acme Ltd"})["status"]
        == "suspended"
    )
    assert operator.get(f"/v1/advertisers/{brand['id']}")["billing_mode"] == "prepaid"
    # Finance holds billing, not review: it may not suspend or pair brands.
    finance = staff(operator, engine, TeamRole.FINANCE)
    assert finance.call("PATCH", f"/v1/advertisers/{brand['id']}", {"status": "active"}).status_code == 403
    # The operator's admin keeps the older contract: credit with no limit.
    unlimited = operator.patch(f"/v1/advertisers/{brand['id']}", {"billing_mode": "credit"})
    assert (unlimited["billing_mode"], unlimited["credit_limit"]) == ("credit", None)


def test_the_service_asks_the_right_and_the_side(operator: Api, engine: Engine) -> None:
    brand = operator.post("/v1/advertisers", {"name": "Acme", "domain": "acme.example", "billing_mode": "prepaid"})
    own_admin = Principal("user:brand", Role.ADVERTISER, advertiser_id=brand["id"], team_role=TeamRole.ADMIN)
    with session_scope(make_sessionmaker(engine)) as db:
        for who in (AD_OPS, own_admin):
            with pytest.raises(Forbidden):
                set_terms(db, who, brand["id"], BillingMode.CREDIT, Decimal(100), "mine")
        with pytest.raises(InvalidInput) as missing:
            set_terms(db, FINANCE, brand["id"], BillingMode.CREDIT, None, "no limit")
        assert missing.value.fields[0].field == "credit_limit"
        made = set_terms(db, FINANCE, brand["id"], BillingMode.CREDIT, Decimal("250.50"), "trial line")
        assert made.credit_limit_micros == 250_500_000
