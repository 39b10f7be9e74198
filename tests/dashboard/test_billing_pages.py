"""The billing pages, in-process: the operator's balances (with low-balance warnings),
revenue and unpaid invoices; a top-up recorded from the console, or its mistakes named
beside the fields with nothing written; a brand's balance, top-ups and documents; each
document as HTML and PDF, a brand's own only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from shelfspace.accounts.roles import SYSTEM, Role
from shelfspace.billing import invoices, ledger
from shelfspace.billing.low_balance import LowBalanceReason
from shelfspace.billing.models import EntryKind, Invoice, LedgerEntry
from shelfspace.catalog.models import Advertiser
from shelfspace.db.session import session_scope
from tests.dashboard.pages import focused, make_user, post_form, sign_in
from tests.support import Api, campaign_body, runtime

BOSS = "ops@network.example"
BRAND = "money@harbortea.example"


def _advertiser(operator: Api, name: str, **billing: Any) -> dict[str, Any]:
    advertiser: dict[str, Any] = operator.post(
        "/v1/advertisers", {"name": name, "domain": f"{name.split()[0].lower()}.example"} | billing
    )
    advertiser["campaign_id"] = operator.post("/v1/campaigns", campaign_body(advertiser["id"]))["id"]
    return advertiser


def _charge(client: TestClient, advertiser: dict[str, Any], day: date, micros: int) -> None:
    """Delivery charged on `day`, as the rollups post it."""
    with session_scope(runtime(client).db_sessions) as db:
        ledger.post(
            db,
            advertiser_id=advertiser["id"],
            kind=EntryKind.CHARGE,
            amount_micros=-micros,
            day=day,
            time=datetime.combine(day, datetime.min.time(), UTC),
            actor="test",
            campaign_id=advertiser["campaign_id"],
        )


def _issue(client: TestClient, advertiser: dict[str, Any], through: date, now: datetime) -> Invoice:
    rt = runtime(client)
    with session_scope(rt.db_sessions) as db:
        found = db.get(Advertiser, advertiser["id"])
        assert found is not None
        issued = invoices.issue_through(db, SYSTEM, found, through, rt.settings, now)
        assert issued is not None
        return issued


def _ledger_rows(engine_client: TestClient) -> int:
    with session_scope(runtime(engine_client).db_sessions) as db:
        return int(db.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


def _today() -> date:
    return datetime.now(UTC).date()


def test_the_operator_sees_balances_warnings_revenue_and_unpaid_invoices(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    empty = _advertiser(operator, "Harbor Tea", billing_mode="prepaid")
    low = _advertiser(operator, "Acme Outdoor", billing_mode="prepaid")
    open_ended = _advertiser(operator, "Bigco Foods")  # credit without a limit: never warned
    limited = _advertiser(operator, "Crisp Snacks", credit_limit=1000)
    operator.post(f"/v1/advertisers/{low['id']}/top-ups", {"amount": "100", "reference": "BANK-1"})
    today = _today()
    for back in range(1, 8):  # 50 a day over the last 7 ended days: 100 is 2 days of spend
        _charge(client, low, today - timedelta(days=back), 50_000_000)
    _charge(client, limited, today - timedelta(days=45), 120_000_000)
    overdue = _issue(client, limited, today - timedelta(days=42), datetime.now(UTC) - timedelta(days=41))
    _charge(client, open_ended, today - timedelta(days=3), 80_000_000)
    unpaid = _issue(client, open_ended, today - timedelta(days=1), datetime.now(UTC))
    receipt = _issue(client, low, today - timedelta(days=1), datetime.now(UTC))  # prepaid: paid already
    make_user(engine, BOSS)
    sign_in(client, BOSS)

    page = client.get("/console/billing")
    assert page.status_code == 200
    html = page.text
    assert '<a href="/console/billing" aria-current="page">Billing</a>' in html
    rows = {
        name: html.index(f'data-advertiser="{a["id"]}"')
        for name, a in (("empty", empty), ("low", low), ("open", open_ended), ("limited", limited))
    }
    assert rows["empty"] < rows["low"] < rows["open"]  # the most urgent first
    assert f'data-reason="{LowBalanceReason.FUNDS_USED_UP.value}"' in html
    assert f'data-reason="{LowBalanceReason.UNDER_DAYS_OF_SPEND.value}"' in html
    assert "About 2.0 days of spend left, at 50.00 USD a day." in html
    assert html.count("data-reason=") == 2  # neither credit account is warned
    assert "1,000.00" in html and "no limit" in html  # the credit limit, and the account without one

    unpaid_table = html[html.index('id="unpaid"') : html.index('id="revenue"')]
    assert overdue.number in unpaid_table and unpaid.number in unpaid_table
    assert receipt.number not in unpaid_table  # a receipt is paid from the wallet
    assert unpaid_table.index(overdue.number) < unpaid_table.index(unpaid.number)  # due first, listed first
    assert '<span class="badge bad">overdue</span>' in unpaid_table
    assert '<span class="badge warn">unpaid</span>' in unpaid_table
    assert f'href="/console/billing/documents/{overdue.id}"' in unpaid_table
    assert "Crisp Snacks" in unpaid_table and "120.00" in unpaid_table

    revenue = html[html.index('id="revenue"') :]
    assert f">{today:%Y-%m}</td>" in revenue and "revenue-chart" in html
    assert client.get(f"/console/billing/documents/{unpaid.id}").status_code == 200  # the operator sees any


def test_a_top_up_is_recorded_or_its_mistakes_named_beside_the_fields(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    brand = _advertiser(operator, "Harbor Tea", billing_mode="prepaid")
    make_user(engine, BOSS)
    sign_in(client, BOSS)
    picked = client.get("/console/billing", params={"advertiser": brand["id"]}).text
    assert f'<option value="{brand["id"]}" selected>' in picked  # the row's "Top up" link

    before = _ledger_rows(client)
    for amount, reference, field in (
        ("-20", "BANK-7", "amount"),
        ("0", "BANK-7", "amount"),
        ("", "BANK-7", "amount"),
        ("ten", "BANK-7", "amount"),
        ("20", "", "reference"),
        ("20", "   ", "reference"),
    ):
        bad = post_form(
            client,
            "/console/billing",
            "/console/billing/top-ups",
            {"advertiser_id": brand["id"], "amount": amount, "reference": reference},
        )
        assert bad.status_code == 422, (amount, reference)
        assert f'id="{field}-error"' in bad.text and 'aria-invalid="true"' in bad.text, (amount, reference)
        assert f'value="{amount}"' in bad.text  # what was typed stays in the form
        assert focused(bad.text) == [field]  # the page opens on the mistake
    nobody = post_form(
        client,
        "/console/billing",
        "/console/billing/top-ups",
        {"advertiser_id": "", "amount": "", "reference": "BANK-7"},
    )
    assert nobody.status_code == 422
    assert 'id="advertiser_id-error"' in nobody.text and 'id="amount-error"' in nobody.text  # both at once
    assert focused(nobody.text) == ["advertiser_id"]  # the first of them in the form
    unknown = post_form(
        client,
        "/console/billing",
        "/console/billing/top-ups",
        {"advertiser_id": "adv_missing", "amount": "20", "reference": "BANK-7"},
    )
    assert unknown.status_code == 422 and "no advertiser &#39;adv_missing&#39;</span>" in unknown.text
    forged = client.post(
        "/console/billing/top-ups",
        data={"advertiser_id": brand["id"], "amount": "20", "reference": "BANK-7"},
        follow_redirects=False,
    )
    assert forged.status_code == 403  # no form token
    assert _ledger_rows(client) == before
    assert operator.get(f"/v1/advertisers/{brand['id']}/balance")["balance"] == 0

    done = post_form(
        client,
        "/console/billing",
        "/console/billing/top-ups",
        {"advertiser_id": brand["id"], "amount": "1,250.5", "reference": "BANK-7"},
    )
    assert done.status_code == 303
    balance = operator.get(f"/v1/advertisers/{brand['id']}/balance")
    assert balance["balance"] == 1250.5 and balance["available"] == 1250.5
    [entry] = operator.get(f"/v1/advertisers/{brand['id']}/ledger")["entries"]
    assert (entry["kind"], entry["reference"], entry["provider"]) == ("top_up", "BANK-7", "manual")
    [audit] = [e for e in operator.get("/v1/audit-log")["data"] if e["object_type"] == "billing"]
    assert audit["actor"].startswith("user:")
    page = client.get("/console/billing").text
    assert "Top-up of 1,250.50 USD recorded for Harbor Tea: its balance is now 1,250.50 USD." in page
    row = page[page.index(f'data-advertiser="{brand["id"]}"') :]
    assert '<td class="num balance">1,250.50</td>' in row[: row.index("</tr>")]


def test_a_brand_sees_its_balance_top_ups_and_documents_and_no_one_elses(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    mine = _advertiser(operator, "Harbor Tea", billing_mode="prepaid")
    theirs = _advertiser(operator, "Bigco Foods", credit_limit=500)
    operator.post(f"/v1/advertisers/{mine['id']}/top-ups", {"amount": "300", "reference": "BANK-HT-1"})
    operator.post(f"/v1/advertisers/{mine['id']}/refunds", {"amount": "40", "reference": "BANK-HT-OUT"})
    today = _today()
    _charge(client, mine, today - timedelta(days=2), 25_000_000)
    _charge(client, theirs, today - timedelta(days=2), 60_000_000)
    receipt = _issue(client, mine, today - timedelta(days=1), datetime.now(UTC))
    other = _issue(client, theirs, today - timedelta(days=1), datetime.now(UTC))
    make_user(engine, BRAND, Role.ADVERTISER, mine["id"])
    make_user(engine, BOSS)
    sign_in(client, BRAND)

    page = client.get("/brand/billing")
    assert page.status_code == 200
    html = page.text
    assert '<a href="/brand/billing" aria-current="page">Billing</a>' in html
    assert "Prepaid account" in html and "235.00 <small>USD</small>" in html  # 300 - 40 - 25
    assert "Credit limit" not in html
    history = html[html.index('id="history"') : html.index('id="documents"')]
    assert history.index("BANK-HT-OUT") < history.index("BANK-HT-1")  # newest first
    assert "-40.00" in history and "300.00" in history and 'data-kind="charge"' not in history
    documents = html[html.index('id="documents"') :]
    assert receipt.number in documents and other.number not in documents and "Receipt" in documents
    assert f'href="/brand/billing/documents/{receipt.id}?format=pdf"' in documents

    view = client.get(f"/brand/billing/documents/{receipt.id}")
    assert view.status_code == 200 and receipt.number in view.text and "Harbor Tea" in view.text
    pdf = client.get(f"/brand/billing/documents/{receipt.id}", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and f'filename="{receipt.number}.pdf"' in pdf.headers["content-disposition"]
    for form in ("html", "pdf"):
        stolen = client.get(f"/brand/billing/documents/{other.id}", params={"format": form})
        assert stolen.status_code == 404 and other.number not in stolen.text
    assert client.get("/brand/billing/documents/inv_nothing").status_code == 404
    assert client.get(f"/console/billing/documents/{receipt.id}").status_code == 404  # not a brand's page
    assert client.get("/console/billing").status_code == 404

    assert post_form(client, "/brand/billing", "/logout", {}).status_code == 303
    sign_in(client, BOSS)
    assert client.get(f"/console/billing/documents/{other.id}").status_code == 200
    assert client.get("/brand/billing").status_code == 404  # the operator has no brand pages


def test_a_brand_on_credit_sees_its_limit_and_a_warning_when_funds_run_low(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    brand = _advertiser(operator, "Crisp Snacks", credit_limit=100)
    today = _today()
    for back in (1, 2):  # started two days ago at 40 a day: 100 is 2.5 days of it
        _charge(client, brand, today - timedelta(days=back), 40_000_000)
    make_user(engine, BRAND, Role.ADVERTISER, brand["id"])
    sign_in(client, BRAND)
    html = client.get("/brand/billing").text
    assert "On credit account" in html and "Credit limit" in html and "100.00 <small>USD</small>" in html
    assert "-80.00 <small>USD</small>" in html  # the balance: owed
    assert f'data-reason="{LowBalanceReason.UNDER_DAYS_OF_SPEND.value}"' in html
    assert "About 2.5 days of spend left, at 40.00 USD a day." in html


def test_pages_ask_a_visitor_to_sign_in(client: TestClient) -> None:
    for path in ("/console/billing", "/brand/billing", "/brand/billing/documents/inv_1"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
