"""Billing through the API, on SQLite and PostgreSQL: wallets stop delivery, top-ups resume
it, bad input writes nothing, and invoices are numbered, immutable and match the reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from shelfspace.accounts.roles import Role
from shelfspace.app import create_app
from shelfspace.billing import ledger
from shelfspace.billing.models import EntryKind
from shelfspace.config import Settings
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.sim.clock import SteppedClock
from tests.conftest import new_key
from tests.databases import empty_all_tables
from tests.support import HERO_ASK, Api, build_network, decide, decide_until, field_errors, pdf_text, runtime
from tests.waiting import snapshot_current

COMPANY = {
    "company_name": "Freshmart Media Ltd",
    "company_address": "1 Market Street; London EC1A 1AA",
    "company_tax_id": "GB123456789",
    "tax_rate": Decimal(20),
    "tax_label": "VAT",
}


class Exact(Api):
    """Reads money as the exact decimals the API writes, not as floats."""

    def _expect(self, response: Response, status: int) -> Any:
        super()._expect(response, status)
        return json.loads(response.text, parse_float=Decimal) if response.content else None


def exact(api: Api) -> Exact:
    found = Exact(api.client, api.key)
    found.advertiser_id = api.advertiser_id
    return found


def hit(client: TestClient, url: str) -> None:
    parts = urlsplit(url)
    answer = client.get(
        f"{parts.path}?{parts.query}" if parts.query else parts.path,
        headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36"},
    )
    assert answer.status_code == 204, answer.text


def prepaid_network(operator: Api, advertiser_id: str) -> dict[str, Any]:
    """The tour network at 2.51 CPM (floor 2.50 + 0.01 for a lone bidder), spent as fast as
    it can (pacing asap), for a prepaid advertiser with an empty wallet."""
    operator.patch(f"/v1/advertisers/{advertiser_id}", {"billing_mode": "prepaid"})
    network = build_network(operator, advertiser_id)
    operator.patch(f"/v1/campaigns/{network['campaign']['id']}", {"pacing": "asap"})
    snapshot_current(operator.client)  # the line item and the pacing change in it
    return network


def explained(operator: Api, user: str) -> list[dict[str, Any]]:
    answer = operator.call("POST", "/v1/decisions", HERO_ASK | {"user": {"id": user}, "debug": True})
    return list(answer.json().get("explain") or []) if answer.status_code == 200 else []


def reasons(operator: Api, user: str) -> list[str | None]:
    answer = decide(operator, HERO_ASK | {"user": {"id": user}, "debug": True})
    return [c["reason"] for c in answer["explain"]]


def serve_until_refused(operator: Api, prefix: str) -> int:
    """One impression per new user until no ad comes back; returns how many were shown."""
    shown = 0
    while True:
        ads = decide(Api(operator.client, None), HERO_ASK | {"user": {"id": f"{prefix}-{shown}"}})["decisions"]
        if not ads["home-hero"]:
            return shown
        hit(operator.client, ads["home-hero"][0]["tracking"]["impression"])
        shown += 1
        assert shown < 100, "the wallet never stopped delivery"


def test_a_wallet_stops_delivery_when_used_up_and_a_top_up_resumes_it(operator: Api, advertiser_api: Api) -> None:
    operator, advertiser_api = exact(operator), exact(advertiser_api)
    advertiser = advertiser_api.advertiser_id
    prepaid_network(operator, advertiser or "")
    assert operator.get(f"/v1/advertisers/{advertiser}/balance")["available"] == 0
    assert reasons(operator, "nobody") == ["funds_spent"]

    operator.post(f"/v1/advertisers/{advertiser}/top-ups", {"amount": "0.0251", "reference": "BANK-0001"})
    decide_until(operator, HERO_ASK | {"user": {"id": "warm-up"}}, "home-hero", 1)  # the new funds are live
    shown = 1 + serve_until_refused(operator, "u")  # the warm-up's ad holds 2,510 of the 25,100 too
    assert shown == 10  # 10 x 0.00251 = 0.0251: every micro of the wallet, and not one more
    assert reasons(operator, "after") == ["funds_spent"]

    balance = advertiser_api.get(f"/v1/advertisers/{advertiser}/balance")
    assert balance["mode"] == "prepaid" and balance["credit_limit"] is None
    assert balance["available"] == 0 and balance["reserved"] == Decimal("0.00251")  # the warm-up's, never shown
    runtime(operator.client).rollups.run()
    entries = advertiser_api.get(f"/v1/advertisers/{advertiser}/ledger")
    assert [e["kind"] for e in entries["entries"]] == ["top_up", "charge"]
    assert entries["entries"][1]["amount"] == Decimal("-0.02259")  # the nine shown
    assert entries["closing_balance"] == Decimal("0.00251")

    operator.post(f"/v1/advertisers/{advertiser}/top-ups", {"amount": "1", "reference": "BANK-0002"})
    ads, _ = decide_until(operator, HERO_ASK | {"user": {"id": "later"}}, "home-hero", 1)
    assert len(ads) == 1


def test_bad_money_input_is_refused_by_name_and_writes_nothing(operator: Api, advertiser_api: Api) -> None:
    advertiser = advertiser_api.advertiser_id
    url = f"/v1/advertisers/{advertiser}/top-ups"
    audit_before = operator.get("/v1/audit-log", params={"limit": 500})["data"]
    for body, field in (
        ({"amount": "-5", "reference": "B-1"}, "amount"),
        ({"amount": "0", "reference": "B-1"}, "amount"),
        ({"amount": "1.0000001", "reference": "B-1"}, "amount"),
        ({"amount": "5"}, "reference"),
        ({"amount": "5", "reference": "   "}, "reference"),
        ({"amount": "5", "reference": "B-1", "provider": "paypal"}, "provider"),
    ):
        assert field in field_errors(operator.post(url, body, status=422)), body
    unknown = operator.post("/v1/advertisers/adv_nobody/top-ups", {"amount": "5", "reference": "B-1"}, status=422)
    assert "no advertiser 'adv_nobody'" in field_errors(unknown)["advertiser_id"]
    advertiser_api.post(url, {"amount": "5", "reference": "B-1"}, status=403)  # a brand cannot pay itself in
    refund = operator.post(f"/v1/advertisers/{advertiser}/refunds", {"amount": "1", "reference": "R-1"}, status=422)
    assert "amount" in field_errors(refund)  # nothing to refund
    assert operator.get(f"/v1/advertisers/{advertiser}/ledger")["entries"] == []
    assert operator.get("/v1/audit-log", params={"limit": 500})["data"] == audit_before


def test_an_operator_sets_how_a_brand_pays(operator: Api, advertiser_api: Api) -> None:
    advertiser = advertiser_api.advertiser_id
    url = f"/v1/advertisers/{advertiser}"
    assert operator.get(f"{url}/balance") | {"balance": 0} == {
        "advertiser_id": advertiser,
        "mode": "credit",
        "currency": "USD",
        "balance": 0,
        "credit_limit": None,
        "available": None,
        "reserved": 0,
        "unposted": 0,
    }  # a new advertiser: invoiced, no limit
    assert "credit_limit" in field_errors(
        operator.patch(url, {"billing_mode": "prepaid", "credit_limit": 5}, status=422)
    )
    assert "billing_mode" in field_errors(operator.patch(url, {"billing_mode": None}, status=422))
    advertiser_api.patch(url, {"credit_limit": 1_000_000}, status=403)
    changed = operator.patch(url, {"credit_limit": 250})
    assert changed["billing_mode"] == "credit" and changed["credit_limit"] == 250
    assert operator.get(f"{url}/balance")["available"] == 250
    assert operator.patch(url, {"billing_mode": "prepaid"})["credit_limit"] is None
    assert operator.get(f"{url}/balance")["available"] == 0


@pytest.fixture
def taxed(engine: Engine, settings: Settings) -> Iterator[Api]:
    """An app whose operator charges 20 % VAT, on a clock set at noon on 2026-06-20."""
    taxed_settings = settings.model_copy(update=COMPANY)
    clock = SteppedClock(datetime(2026, 6, 20, 12, tzinfo=UTC))
    with TestClient(create_app(taxed_settings, engine, clock=clock), raise_server_exceptions=False) as client:
        api = Exact(client, new_key(engine, Role.OPERATOR))
        api.clock = clock  # type: ignore[attr-defined]
        yield api
    empty_all_tables(engine)


def charge(api: Api, advertiser_id: str, campaign_id: str, day: date, micros: int) -> None:
    with session_scope(runtime(api.client).db_sessions) as db:
        ledger.post(
            db,
            advertiser_id=advertiser_id,
            kind=EntryKind.CHARGE,
            amount_micros=-micros,
            day=day,
            time=datetime.combine(day, datetime.min.time(), UTC),
            actor="test",
            campaign_id=campaign_id,
        )


def test_invoices_are_numbered_immutable_and_corrected_by_credit_notes(taxed: Api, engine: Engine) -> None:
    operator = taxed
    brand = operator.post("/v1/advertisers", {"name": "Bolt Coffee", "domain": "bolt.example", "credit_limit": 500})
    other = operator.post("/v1/advertisers", {"name": "Acme", "domain": "acme.example"})
    spring = operator.post(
        "/v1/campaigns",
        {
            "advertiser_id": brand["id"],
            "name": "Spring",
            "budget_total": 900,
            "start": "2026-06-01T00:00:00+00:00",
            "end": "2026-06-30T00:00:00+00:00",
        },
    )
    charge(operator, brand["id"], spring["id"], date(2026, 6, 3), 12_345_678)
    charge(operator, brand["id"], spring["id"], date(2026, 6, 4), 7_654_321)
    charge(operator, other["id"], spring["id"], date(2026, 6, 5), 1_000_000)
    operator.post(f"/v1/advertisers/{brand['id']}/credits", {"amount": "1.5", "reason": "bot traffic on 3 June"})
    operator.clock.advance_to(datetime(2026, 7, 10, 12, tzinfo=UTC))  # type: ignore[attr-defined]

    refused = operator.post("/v1/invoices", {"advertiser_id": brand["id"], "month": "2026-07"}, status=422)
    assert "has not ended" in field_errors(refused)["month"]
    assert (
        "has not ended"
        in field_errors(
            operator.post("/v1/invoices", {"advertiser_id": brand["id"], "through": "2026-07-10"}, status=422)
        )["through"]
    )
    assert operator.get("/v1/invoices")["data"] == []

    june = operator.post("/v1/invoices", {"advertiser_id": brand["id"], "month": "2026-06"})
    second = operator.post("/v1/invoices", {"advertiser_id": other["id"], "month": "2026-06"})
    assert (june["number"], second["number"]) == ("INV-000001", "INV-000002")
    assert june["kind"] == "invoice" and june["status"] == "unpaid" and june["due_on"] == "2026-08-09"
    assert [(line["description"], line["amount"]) for line in june["lines"]] == [
        ("Spring: delivery 2026-06-03 to 2026-06-04", Decimal("20.00")),  # 19.999999, to the cent
        ("Credit: bot traffic on 3 June", Decimal("-1.50")),
    ]
    assert (june["subtotal"], june["tax"], june["total"]) == (Decimal("18.50"), Decimal("3.70"), Decimal("22.20"))
    assert (
        "nothing to invoice"
        in field_errors(operator.post("/v1/invoices", {"advertiser_id": brand["id"], "month": "2026-06"}, status=422))[
            "month"
        ]
    )

    pdf = operator.client.get(f"/v1/invoices/{june['id']}", params={"format": "pdf"}, headers=operator.headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    words = pdf_text(pdf.content)
    for expected in (
        "Invoice",
        "INV-000001",
        "Freshmart Media Ltd",
        "GB123456789",
        "Bolt Coffee",
        "20.00",
        "VAT at 20%",
        "3.70",
        "22.20 USD",
        "2026-08-09",
    ):
        assert expected in words, expected

    with engine.connect() as connection:  # issued means issued: the database itself refuses
        for statement in (
            "UPDATE invoices SET total_micros = 1",
            "DELETE FROM invoice_lines",
            "UPDATE ledger_entries SET amount_micros = 0",
            "DELETE FROM ledger_postings",
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                connection.execute(text(statement))
            connection.rollback()

    note = operator.post(f"/v1/invoices/{june['id']}/credit-notes", {"amount": "2", "reason": "wrong CPM on 4 June"})
    assert (note["number"], note["kind"], note["corrects"]) == ("INV-000003", "credit_note", "INV-000001")
    assert (note["subtotal"], note["tax"], note["total"]) == (Decimal("-2.00"), Decimal("-0.40"), Decimal("-2.40"))
    too_much = operator.post(f"/v1/invoices/{june['id']}/credit-notes", {"amount": "17", "reason": "x"}, status=422)
    assert "amount" in field_errors(too_much)
    assert operator.get(f"/v1/invoices/{june['id']}")["outstanding"] == Decimal("19.80")
    assert (
        "19.80"
        in field_errors(
            operator.post(
                f"/v1/invoices/{june['id']}/payments", {"amount": "22.20", "reference": "BACS 991"}, status=422
            )
        )["amount"]
    )
    paid = operator.post(f"/v1/invoices/{june['id']}/payments", {"amount": "19.80", "reference": "BACS 991"})
    assert paid["status"] == "paid" and paid["outstanding"] == 0

    book = operator.get(f"/v1/advertisers/{brand['id']}/ledger")
    assert [(e["kind"], e["amount"]) for e in book["entries"]] == [
        ("charge", Decimal("-12.345678")),
        ("charge", Decimal("-7.654321")),
        ("credit", Decimal("1.5")),
        ("credit", Decimal("2")),
        ("top_up", Decimal("16.5")),
    ]  # 19.80 paid, of which 3.30 is VAT
    assert book["closing_balance"] == Decimal("0.000001")  # the half cent the invoice rounded away
    with session_scope(make_sessionmaker(engine)) as db:
        assert sum(ledger.account_sums(db).values()) == 0


def test_a_prepaid_receipt_carries_no_tax_when_so_configured(engine: Engine, settings: Settings) -> None:
    untaxed = settings.model_copy(update=COMPANY | {"tax_on_prepaid_receipts": False})
    clock = SteppedClock(datetime(2026, 7, 10, 12, tzinfo=UTC))
    with TestClient(create_app(untaxed, engine, clock=clock), raise_server_exceptions=False) as client:
        operator = Exact(client, new_key(engine, Role.OPERATOR))
        brand = operator.post("/v1/advertisers", {"name": "Small", "domain": "s.example", "billing_mode": "prepaid"})
        operator.post(f"/v1/advertisers/{brand['id']}/top-ups", {"amount": "40", "reference": "BANK-1"})
        charge(operator, brand["id"], "cmp_x", date(2026, 7, 9), 39_990_000)
        receipt = operator.post("/v1/invoices", {"advertiser_id": brand["id"]})  # on demand: through yesterday
        assert (receipt["kind"], receipt["status"], receipt["due_on"]) == ("receipt", "paid", None)
        assert (receipt["subtotal"], receipt["tax"], receipt["total"]) == (Decimal("39.99"), 0, Decimal("39.99"))
        assert (
            operator.post(f"/v1/invoices/{receipt['id']}/payments", {"amount": "1", "reference": "x"}, status=422)[
                "error"
            ]["fields"][0]["field"]
            == "invoice_id"
        )
        html = client.get(f"/v1/invoices/{receipt['id']}", params={"format": "html"}, headers=operator.headers).text
        assert "Receipt" in html and "nothing is due" in html
    empty_all_tables(engine)


def test_a_small_brand_s_receipt_matches_its_report_to_the_cent(engine: Engine, settings: Settings) -> None:
    """Yesterday a brand topped up 0.0502 and its campaign delivered until the wallet was
    used up; today its receipt for yesterday says what the report of yesterday says."""
    yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    clock = SteppedClock(yesterday)
    with TestClient(create_app(settings, engine, clock=clock), raise_server_exceptions=False) as client:
        operator = Exact(client, new_key(engine, Role.OPERATOR))
        brand = operator.post("/v1/advertisers", {"name": "Tiny Tea", "domain": "tea.example"})
        network = prepaid_network(operator, brand["id"])
        operator.post(f"/v1/advertisers/{brand['id']}/top-ups", {"amount": "0.0502", "reference": "BANK-7"})
        decide_until(operator, HERO_ASK | {"user": {"id": "warm-up"}}, "home-hero", 1)
        clock.advance_to(yesterday + timedelta(hours=1))  # the warm-up's reservation lapses
        runtime(client).counters.release_expired(clock.now().timestamp())
        assert serve_until_refused(operator, "shopper") == 20  # 20 x 0.00251
        clock.advance_to(yesterday + timedelta(days=1, hours=-8))  # 01:00 today
        runtime(client).rollups.run()
        day = yesterday.date().isoformat()
        report = operator.get(
            "/v1/reports", params={"from": day, "to": day, "group_by": "campaign", "advertiser_id": brand["id"]}
        )
        assert report["totals"]["spend"] == Decimal("0.0502")
        receipt = operator.post("/v1/invoices", {"advertiser_id": brand["id"]})
        assert receipt["period_end"] == day
        assert [line["campaign_id"] for line in receipt["lines"]] == [network["campaign"]["id"]]
        assert receipt["subtotal"] == receipt["total"] == Decimal("0.05")  # the report's 0.0502, to the cent
    empty_all_tables(engine)
