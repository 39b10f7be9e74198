"""The pacing panel of a brand's campaign page (dashboard/brand/pacing_panel.py): the issue's
campaign, 12,000 with 500 a day, that spent 8.36 in nine days is told it under-delivers and
what to do, and the forecast of its own line item says what bid would win (POST
/brand/campaigns/{id}/pacing-forecast, asked by static/pacing.js)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfspace.accounts.roles import Role
from shelfspace.config import Settings
from shelfspace.counters.protocol import BudgetLimits
from shelfspace.db.session import session_scope
from shelfspace.reporting.models import RollupDay
from tests.dashboard.pages import make_user, sign_in, token_of
from tests.dashboard.test_forecast_pages import today, write_history
from tests.support import BANNER, Api, banner_creative, campaign_body, line_item_body, runtime

UNIT = 1_000_000
BRAND = "tea@harbortea.example"
OPEN: dict[str, Any] = {"targeting": {}, "frequency_cap": None}  # every shopper of the history


@pytest.fixture
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Every request sampled: the history is exactly what the forecast replays."""
    return Settings(
        data_dir=tmp_path_factory.mktemp("data"), public_url="http://shelfspace.test", request_sample_percent=100
    )


def _campaign(
    client: TestClient, operator: Api, brand: str, name: str, bid: float, days_ago: int, **extra: Any
) -> dict[str, Any]:
    tz = ZoneInfo(runtime(client).settings.timezone)
    start = datetime.combine(today(client) - timedelta(days=days_ago), time(0), tz)
    campaign: dict[str, Any] = operator.post(
        "/v1/campaigns",
        campaign_body(
            brand,
            name=name,
            budget_total=12000,
            budget_daily=500,
            start=start.isoformat(),
            end=(start + timedelta(days=30)).isoformat(),
        )
        | extra,
    )
    line_item = operator.post("/v1/line-items", line_item_body(campaign["id"], bid=bid, **OPEN))
    operator.post("/v1/creatives", banner_creative(brand, line_item["id"]))
    return campaign


def _spent(client: TestClient, brand: str, campaign: dict[str, Any], a_day: int, days: int, now: int) -> None:
    """`days` days of delivery in the rollups before today, and `now` today in the budget counters."""
    with session_scope(runtime(client).db_sessions) as db:
        for back in range(1, days + 1):
            db.add(
                RollupDay(
                    day=(today(client) - timedelta(days=back)).isoformat(),
                    advertiser_id=brand,
                    campaign_id=campaign["id"],
                    line_item_id="li",
                    creative_id="cr",
                    placement_id="home-hero",
                    channel="web",
                    sku="",
                    impressions=3,
                    spend_micros=a_day,
                )
            )
    if now:
        limits = BudgetLimits(campaign["id"], today(client).isoformat(), 12000 * UNIT, 500 * UNIT, brand, None)
        assert runtime(client).counters.settle(None, limits, now) == now


@pytest.fixture
def network(client: TestClient, operator: Api, engine: Engine) -> dict[str, str]:
    """Harbor Tea (signed in) bidding 3 on the hero where a rival bids 20, with a week of shoppers."""
    operator.post("/v1/placements", BANNER)
    brand = str(operator.post("/v1/advertisers", {"name": "Harbor Tea", "domain": "harbortea.example"})["id"])
    rival = str(operator.post("/v1/advertisers", {"name": "Rival Brew", "domain": "rivalbrew.example"})["id"])
    write_history(client)
    _campaign(client, operator, rival, "Rival coffee", 20, days_ago=9)
    slow = _campaign(client, operator, brand, "Winter tea", 3, days_ago=9)
    _spent(client, brand, slow, 928_889, 9, 1_500_000)  # 8.36 in nine days, 1.50 today
    make_user(engine, BRAND, Role.ADVERTISER, brand)
    sign_in(client, BRAND)
    return {"brand": brand, "rival": rival, "slow": slow["id"]}


def _panel(html: str) -> str:
    return html[html.index('<section class="card pacing"') :].split("</section>", 1)[0]


def test_a_campaign_spending_8_36_of_12000_in_nine_days_is_told_it_under_delivers(
    client: TestClient, network: dict[str, str]
) -> None:
    page = client.get(f"/brand/campaigns/{network['slow']}")
    assert page.status_code == 200
    panel = _panel(page.text)
    assert 'data-pacing="under_delivering"' in panel
    assert "$9.86" in panel and "of $12,000.00" in panel  # 8.36 before today and 1.50 today
    assert "0.08% used" in panel and "even pacing would have spent about $" in panel
    assert "Spent today: $1.50 of the day&#39;s target of $500.00 (its daily budget)." in panel
    assert "<strong>Under-delivering.</strong> At this rate it will spend about $" in panel
    assert (
        "of $12,000.00 (its daily budget allows $10,508.36 by the end). Raise the bid, or widen the targeting" in panel
    )
    assert "data-pacing-projection" not in panel  # the suggestion says it
    assert "Projected from the average spend of the last 7 days ($0.93 a day)" in panel
    assert f'action="/brand/campaigns/{network["slow"]}/pacing-forecast"' in panel
    assert '<script src="/static/pacing.js" defer></script>' in page.text

    # What the panel's script asks: the line item forecast as it stands, against the rival's bids.
    answer = client.post(
        f"/brand/campaigns/{network['slow']}/pacing-forecast", data={"csrf_token": token_of(page.text)}
    )
    assert answer.status_code == 200, answer.text
    assert 'data-line-item-forecast="ready"' in answer.text
    assert (
        "The forecast for “Hero banner”</strong> at its current settings: it would spend about $0.00 a day."
        in answer.text
    )
    assert "Other line items rank above yours in 100.0% of the auctions it enters." in answer.text
    assert "would win three in four of those." in answer.text
    assert "<html" not in answer.text  # a fragment of the panel, not a page


def test_the_panel_forecast_needs_the_page_token_and_the_brands_own_campaign(
    client: TestClient, operator: Api, engine: Engine, network: dict[str, str]
) -> None:
    action = f"/brand/campaigns/{network['slow']}/pacing-forecast"
    assert client.post(action, data={}).status_code == 403
    make_user(engine, "brew@rivalbrew.example", Role.ADVERTISER, network["rival"])
    sign_in(client, "brew@rivalbrew.example")
    token = token_of(client.get("/brand").text)
    assert client.post(action, data={"csrf_token": token}).status_code == 404


def test_a_campaign_on_pace_and_one_paused_get_no_suggestion(
    client: TestClient, operator: Api, network: dict[str, str]
) -> None:
    steady = _campaign(client, operator, network["brand"], "Green tea", 3, days_ago=5)
    _spent(client, network["brand"], steady, 450 * UNIT, 5, 0)
    panel = _panel(client.get(f"/brand/campaigns/{steady['id']}").text)
    assert 'data-pacing="on_pace"' in panel and "Under-delivering" not in panel and "pacing-forecast" not in panel
    assert "At this rate it will spend about $" in panel

    paused = _campaign(client, operator, network["brand"], "Chai", 3, days_ago=5, status="paused")
    _spent(client, network["brand"], paused, UNIT, 5, 0)
    panel = _panel(client.get(f"/brand/campaigns/{paused['id']}").text)
    assert 'data-pacing="not_delivering"' in panel and "Under-delivering" not in panel
    assert "Not delivering now (see its state above)" in panel


def test_a_campaign_not_started_shows_its_budget_and_nothing_projected(
    client: TestClient, operator: Api, network: dict[str, str]
) -> None:
    later = _campaign(client, operator, network["brand"], "Spring tea", 3, days_ago=-3)
    panel = _panel(client.get(f"/brand/campaigns/{later['id']}").text)
    assert 'data-pacing="not_started"' in panel and "Not started yet: nothing to project." in panel
    assert "Spent today" not in panel and "$0.00" in panel


def test_an_open_ended_campaign_says_how_long_its_budget_lasts_and_then_that_it_is_spent(
    client: TestClient, operator: Api, network: dict[str, str]
) -> None:
    lasting = _campaign(client, operator, network["brand"], "Oolong", 3, days_ago=4, end=None)
    _spent(client, network["brand"], lasting, 400 * UNIT, 4, 0)
    panel = _panel(client.get(f"/brand/campaigns/{lasting['id']}").text)
    assert 'data-pacing="on_pace"' in panel and "Budget lasts until" in panel
    assert "No end date. At this rate ($400.00 a day) its $12,000.00 budget lasts until about" in panel

    spent = _campaign(client, operator, network["brand"], "Earl grey", 3, days_ago=30, end=None)
    _spent(client, network["brand"], spent, 500 * UNIT, 24, 0)
    panel = _panel(client.get(f"/brand/campaigns/{spent['id']}").text)
    assert 'data-pacing="budget_spent"' in panel and "Its $12,000.00 budget is spent." in panel
