"""Campaign states on the pages (catalog/campaign_state.py through dashboard/campaign_states.py):
a brand's home and campaign page and the operator's delivery health say what a campaign is,
never "live" or "on pace" of one that cannot serve, and a brand out of funds reads that
delivery stopped, and since when, not "about 0.0 days of spend left"."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfspace.accounts.roles import Role
from shelfspace.billing import ledger
from shelfspace.billing.models import EntryKind
from shelfspace.counters.protocol import BudgetLimits
from shelfspace.db.session import session_scope
from shelfspace.reporting.models import RollupDay, RollupHour
from tests.dashboard.pages import make_user, sign_in
from tests.support import BANNER, Api, banner_creative, campaign_body, line_item_body, runtime

UNIT = 1_000_000
BRAND = "person@harbortea.example"


def _brand(operator: Api, engine: Engine, client: TestClient, **billing: Any) -> str:
    operator.post("/v1/placements", BANNER)
    brand = operator.post("/v1/advertisers", {"name": "Harbor Tea", "domain": "harbortea.example"} | billing)
    make_user(engine, BRAND, Role.ADVERTISER, brand["id"])
    sign_in(client, BRAND)
    return str(brand["id"])


def _campaign(operator: Api, brand: str, start: datetime, name: str = "Tea time") -> dict[str, Any]:
    campaign: dict[str, Any] = operator.post(
        "/v1/campaigns",
        campaign_body(brand, name=name, start=start.isoformat(), end=(start + timedelta(days=30)).isoformat()),
    )
    line_item = operator.post("/v1/line-items", line_item_body(campaign["id"]))
    campaign["line_item_id"] = line_item["id"]
    return campaign


def _spend(client: TestClient, brand: str, campaign: dict[str, Any], micros: int, funds: int) -> None:
    """Delivery charged yesterday through the budget counters, as the engine charges it."""
    day = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    counters = runtime(client).counters
    assert counters.settle(None, BudgetLimits(campaign["id"], day, 1000 * UNIT, None, brand, funds), micros) == micros


def _state_of(html: str, campaign_id: str) -> str:
    """The state badge in a campaign's row of the home table."""
    row = html[html.index(f'href="/brand/campaigns/{campaign_id}"') :]
    found = re.search(r'data-state="([a-z_]+)"', row)
    assert found, "no state badge"
    return found.group(1)


def test_a_prepaid_brand_out_of_funds_reads_that_delivery_stopped_and_since_when(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    brand = _brand(operator, engine, client, billing_mode="prepaid")
    operator.post(f"/v1/advertisers/{brand}/top-ups", {"amount": "100", "reference": "BANK-1"})
    campaign = _campaign(operator, brand, datetime.now(UTC) - timedelta(days=2))
    operator.post("/v1/creatives", banner_creative(brand, campaign["line_item_id"]))
    assert _state_of(client.get("/brand").text, campaign["id"]) == "live"
    # It ran dry yesterday afternoon: the last hour with spend was 14:00, and a sliver under a cent is left.
    _spend(client, brand, campaign, 100 * UNIT - 4_000, 100 * UNIT)
    yesterday = date.today() - timedelta(days=1)
    with session_scope(runtime(client).db_sessions) as db:
        dims = {
            "advertiser_id": brand,
            "campaign_id": campaign["id"],
            "line_item_id": campaign["line_item_id"],
            "creative_id": "cr",
            "placement_id": "home-hero",
            "channel": "web",
            "sku": "",
            "spend_micros": 100 * UNIT,
        }
        db.add(RollupDay(day=yesterday.isoformat(), **dims))
        db.add(RollupHour(day=yesterday.isoformat(), hour=14, **dims))
        for back in range(1, 4):
            ledger.post(
                db,
                advertiser_id=brand,
                kind=EntryKind.CHARGE,
                amount_micros=-30 * UNIT,
                day=date.today() - timedelta(days=back),
                time=datetime.now(UTC),
                actor="test",
                campaign_id=campaign["id"],
            )

    stopped = f"delivery stopped on {yesterday.day} {yesterday:%b} between 14:00 and 15:00"
    home = client.get("/brand").text
    assert _state_of(home, campaign["id"]) == "out_of_funds"
    notice = home[home.index('data-funds="funds_used_up"') :]
    assert "Delivery stopped." in notice and stopped in notice and "Top up the wallet" in notice
    assert "0.0 days" not in home and "days of spend left" not in home
    page = client.get(f"/brand/campaigns/{campaign['id']}").text
    assert 'data-state-line="out_of_funds"' in page and stopped in page and "Top up the wallet to resume" in page
    assert "data-funds" not in page  # the state line says it: no second notice
    assert ">Live<" not in page
    billing = client.get("/brand/billing").text  # the billing page's own warning follows the same rule
    assert 'data-reason="funds_used_up"' in billing and "0.0 days" not in billing
    # The API says the same.
    state = operator.get(f"/v1/campaigns/{campaign['id']}")["state"]
    assert state["code"] == "out_of_funds" and stopped in state["message"]


def test_a_brand_running_low_is_told_how_long_its_funds_last(client: TestClient, operator: Api, engine: Engine) -> None:
    brand = _brand(operator, engine, client, billing_mode="prepaid")
    operator.post(f"/v1/advertisers/{brand}/top-ups", {"amount": "100", "reference": "BANK-1"})
    campaign = _campaign(operator, brand, datetime.now(UTC) - timedelta(days=2))
    operator.post("/v1/creatives", banner_creative(brand, campaign["line_item_id"]))
    _spend(client, brand, campaign, 90 * UNIT, 100 * UNIT)  # 10 left, at 48 a day: five hours
    with session_scope(runtime(client).db_sessions) as db:
        ledger.post(
            db,
            advertiser_id=brand,
            kind=EntryKind.CHARGE,
            amount_micros=-48 * UNIT,
            day=date.today() - timedelta(days=1),
            time=datetime.now(UTC),
            actor="test",
            campaign_id=campaign["id"],
        )
    home = client.get("/brand").text
    assert _state_of(home, campaign["id"]) == "live"
    notice = home[home.index('data-funds="under_days_of_spend"') :]
    assert "Low balance." in notice and "About 5 hours of spend left, at 48.00 USD a day." in notice


def test_a_rejected_only_creative_starting_tomorrow_reads_creative_rejected_not_live(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    brand = _brand(operator, engine, client)
    campaign = _campaign(operator, brand, datetime.now(UTC) + timedelta(days=1))
    creative = operator.post("/v1/creatives", banner_creative(brand, campaign["line_item_id"]))
    operator.patch(f"/v1/creatives/{creative['id']}", {"status": "rejected", "review_note": "Logo too small"})
    home = client.get("/brand").text
    assert _state_of(home, campaign["id"]) == "creative_rejected"
    assert "The only creative was rejected (“Logo too small”): nothing can serve." in home
    page = client.get(f"/brand/campaigns/{campaign['id']}").text
    assert 'data-state="creative_rejected"' in page and "Replace it with a new creative" in page
    assert "data-funds" not in page  # credit without a limit: no funds notice


def test_the_health_page_names_states_and_paces_only_live_campaigns(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    empty = operator.post(
        "/v1/advertisers", {"name": "Harbor Tea", "domain": "harbortea.example", "billing_mode": "prepaid"}
    )
    other = operator.post("/v1/advertisers", {"name": "Acme Outdoor", "domain": "acme.example"})
    operator.post("/v1/placements", BANNER)
    dry = _campaign(operator, empty["id"], datetime.now(UTC) - timedelta(days=1), "Dry tea")
    operator.post("/v1/creatives", banner_creative(empty["id"], dry["line_item_id"]))
    running = _campaign(operator, other["id"], datetime.now(UTC) - timedelta(days=1), "Tents")
    operator.post("/v1/creatives", banner_creative(other["id"], running["line_item_id"]))
    make_user(engine, "ops@network.example")
    sign_in(client, "ops@network.example")
    html = client.get("/console/health").text
    dry_row = html[html.index(f'data-campaign="{dry["id"]}"') : html.index(f'data-campaign="{running["id"]}"')]
    assert 'data-state="out_of_funds"' in dry_row and "data-pace" not in dry_row  # no "on pace" for it
    assert "The prepaid funds are used up: delivery cannot start." in dry_row
    live_row = html[html.index(f'data-campaign="{running["id"]}"') :]
    assert 'data-state="live"' in live_row and "data-pace=" in live_row
    # The console's counts of live campaigns are the serving ones: the one out of funds is not counted.
    assert "1 live campaigns" in client.get("/console").text
    advertisers = client.get("/console/advertisers").text
    live = {
        name: re.search(rf"{name}</a></strong>.*?<td class=\"num\">([^<]*)</td>", advertisers, re.S)
        for name in ("Harbor Tea", "Acme Outdoor")
    }  # the first figure of each row: its live campaigns
    assert {name: m.group(1) if m else None for name, m in live.items()} == {"Harbor Tea": "0", "Acme Outdoor": "1"}
