"""Billing in Debian's Chromium against the real server: the operator records a prepaid
brand's bank transfer on the Billing page (a mistake first, named beside its field) and
sees the new balance; the brand signs in and sees its balance, the top-up in its history,
and its receipt as a page and as a PDF.

Screenshots go to the test's tmp dir, with copies in /tmp/billing-shots for a person to look at.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from shelfspace.billing import ledger
from shelfspace.billing.models import EntryKind
from shelfspace.config import Settings
from shelfspace.db.engine import make_engine
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.browser.network import BOSS, add_people
from tests.browser.test_dashboard_journeys import PHONE, _sign_in
from tests.servers import BOOTSTRAP, base_env, running_server

COPIES = Path("/tmp/billing-shots")
DESKTOP = {"width": 1280, "height": 900}


class Shots:
    """Full-page screenshots into the test's own folder, each also copied for review."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        COPIES.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Any, name: str) -> Path:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shutil.copy(path, COPIES / path.name)
        return path


def _network(api: httpx.Client) -> dict[str, Any]:
    brand = api.post(
        "/v1/advertisers", json={"name": "Harbor Tea", "domain": "harbortea.example", "billing_mode": "prepaid"}
    ).json()
    other = api.post(
        "/v1/advertisers", json={"name": "Bigco Foods", "domain": "bigco.example", "credit_limit": 2000}
    ).json()
    add_people(api, (("money@harbortea.example", "advertiser", brand["id"]), (BOSS, "operator", None)))
    campaigns = {}
    for advertiser, name in ((brand, "Green tea launch"), (other, "Snack week")):
        made = api.post(
            "/v1/campaigns",
            json={
                "advertiser_id": advertiser["id"],
                "name": name,
                "budget_total": 10000,
                "budget_daily": 1000,
                "start": "2026-01-01T00:00:00Z",
            },
        )
        assert made.status_code == 201, made.text
        campaigns[advertiser["id"]] = made.json()["id"]
    return {"brand": brand, "other": other, "campaigns": campaigns}


def _delivered(data: Path, advertiser_id: str, campaign_id: str, micros: int, days: int) -> str:
    """`micros` charged on each of the last `days` ended days, written into the server's
    database as its rollups would post them: a day has to have ended before it can be
    billed (or count in the daily average), and real delivery would be today's. Returns
    the last of those days."""
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    engine = make_engine(Settings(data_dir=data).sqlalchemy_url())
    try:
        with session_scope(make_sessionmaker(engine)) as db:
            for back in range(days):
                ledger.post(
                    db,
                    advertiser_id=advertiser_id,
                    kind=EntryKind.CHARGE,
                    amount_micros=-micros,
                    day=yesterday - timedelta(days=back),
                    time=datetime.now(UTC),
                    actor="rollup",
                    campaign_id=campaign_id,
                )
    finally:
        engine.dispose()
    return yesterday.isoformat()


def test_the_operator_records_a_top_up_and_the_brand_sees_it(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    shot = Shots(tmp_path / "shots")
    data = tmp_path / "data"
    env = base_env(
        data,
        SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP,
        SHELFSPACE_COMPANY_NAME="Freshmart Media Ltd",
        SHELFSPACE_COMPANY_ADDRESS="1 Market Street; London EC1A 1AA",
        SHELFSPACE_TAX_RATE="20",
    )
    with running_server(env) as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        made = _network(api)
        brand = made["brand"]
        other = made["other"]["id"]
        assert (
            api.post(
                f"/v1/advertisers/{other}/top-ups", json={"amount": "250", "reference": "BANK-BIGCO-1"}
            ).status_code
            == 201
        )
        # 800 a day for a week on 2,250 available (its 2,000 limit and 250 paid in): under 3 days left.
        through = _delivered(data, other, made["campaigns"][other], 800_000_000, 7)
        invoice = api.post("/v1/invoices", json={"advertiser_id": other, "through": through}).json()
        assert (invoice["kind"], invoice["status"]) == ("invoice", "unpaid"), invoice

        _sign_in(page, url, "boss@shop.example")
        page.click("nav a:text('Billing')")
        page.wait_for_load_state()
        row = page.locator(f"#balances tr[data-advertiser='{brand['id']}']")
        assert row.locator(".balance").inner_text() == "0.00"
        assert row.locator("[data-reason=funds_used_up]").is_visible()  # nothing paid in yet
        assert page.locator(f"#balances tr[data-advertiser='{other}'] [data-reason=under_days_of_spend]").is_visible()
        assert invoice["number"] in page.locator(f"#unpaid tr[data-invoice='{invoice['id']}']").inner_text()
        page.wait_for_selector(".chart .main-svg", timeout=10000)
        page.click(".chart-tabs button:text('Charges')")
        shot(page, "console-billing")

        row.locator("a:text('Top up')").click()
        page.wait_for_load_state()
        assert page.locator("select[name=advertiser_id]").input_value() == brand["id"]
        page.fill("input[name=amount]", "-50")
        page.fill("input[name=reference]", "BANK-HT-0001")
        page.click("#top-up button[type=submit]")
        page.wait_for_load_state()
        assert "greater than 0" in page.locator("#amount-error").inner_text()
        assert page.locator("input[name=reference]").input_value() == "BANK-HT-0001"  # kept
        page.locator("#top-up").scroll_into_view_if_needed()
        shot(page, "console-top-up-error")

        page.fill("input[name=amount]", "1500")
        page.click("#top-up button[type=submit]")
        page.wait_for_load_state()
        assert (
            "Top-up of 1,500.00 USD recorded for Harbor Tea: its balance is now 1,500.00 USD."
            in page.locator(".flash").inner_text()
        )
        row = page.locator(f"#balances tr[data-advertiser='{brand['id']}']")
        assert row.locator(".balance").inner_text() == "1,500.00"
        assert row.locator(".available").inner_text() == "1,500.00"
        assert row.locator("[data-reason]").count() == 0
        assert api.get(f"/v1/advertisers/{brand['id']}/balance").json()["balance"] == 1500
        shot(page, "console-billing-after-top-up")
        page.set_viewport_size(PHONE)
        page.reload()  # as a phone loads it: the chart is drawn at the phone's width
        page.wait_for_selector(".chart .main-svg", timeout=10000)
        shot(page, "console-billing-phone")
        page.set_viewport_size(DESKTOP)

        through = _delivered(data, brand["id"], made["campaigns"][brand["id"]], 120_000_000, 1)
        receipt = api.post("/v1/invoices", json={"advertiser_id": brand["id"], "through": through}).json()
        assert receipt["kind"] == "receipt", receipt

        page.click("form.signout button")
        page.wait_for_load_state()
        _sign_in(page, url, "money@harbortea.example")
        page.click("nav a:text('Billing')")
        page.wait_for_load_state()
        assert page.locator("#balance .balance").inner_text() == "1,380.00 USD"  # 1,500 less yesterday's 120
        history = page.locator("#history tbody tr")
        assert history.count() == 1 and "BANK-HT-0001" in history.first.inner_text()
        assert "1,500.00" in history.first.inner_text()
        assert "BANK-BIGCO-1" not in page.content()  # another brand's money
        document = page.locator(f"#documents tr[data-invoice='{receipt['id']}']")
        assert receipt["number"] in document.inner_text() and "paid" in document.inner_text()
        shot(page, "brand-billing")

        with page.expect_download() as download:
            document.locator("a:text('PDF')").click()
        assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
        assert download.value.suggested_filename == f"{receipt['number']}.pdf"
        with page.context.expect_page() as opened:
            document.locator("a:text('View')").click()
        view = opened.value
        view.wait_for_load_state()
        assert receipt["number"] in view.locator("body").inner_text()
        shot(view, "brand-receipt")
        view.close()

        page.set_viewport_size(PHONE)
        page.reload()
        shot(page, "brand-billing-phone")
    assert outside == [], f"pages reached outside the machine: {outside}"
