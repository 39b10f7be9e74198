"""The network's view-through rule through the real app: which views earn sales, and every
report, export, page and case study stating the windows and what a view is.

Each test runs under both rules (`SHELFSPACE_ATTRIBUTION_VIEW_THROUGH`: any counted
impression, or only a viewable one) and on both databases."""

from __future__ import annotations

import csv
import html
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from shelfspace.accounts.roles import Role
from shelfspace.config import Settings, SettingsError, load_settings
from shelfspace.core.attribution import ViewThrough
from shelfspace.db.session import session_scope
from shelfspace.reporting.models import AttributedItem
from tests.dashboard.pages import make_user, sign_in
from tests.reporting.test_reports_api import BOT, hit, report, run_rollups, today
from tests.support import HERO_ASK, Api, build_network, decide, decide_until, runtime


@pytest.fixture(params=list(ViewThrough), ids=lambda rule: f"views={rule}")
def settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The app's settings (conftest's `client` builds the app from them), under one rule."""
    return Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        public_url="http://shelfspace.test",
        attribution_view_through=request.param,
    )


def rule_of(api: Api) -> ViewThrough:
    return runtime(api.client).settings.attribution_view_through


def shoppers_who_saw_clicked_and_bought(operator: Api, advertiser_api: Api) -> dict[str, Any]:
    """Four shoppers are served the tent banner, then each buys a tent (the brand's: a halo
    sale) within the hour. shopper-0's ad was served and measured viewable; shopper-1's
    only served; shopper-2's served and clicked; shopper-3's impression came from a bot
    (not counted) though a viewable event came: no counted impression, so never a view."""
    network = build_network(operator, advertiser_api.advertiser_id or "")
    operator.patch(f"/v1/advertisers/{advertiser_api.advertiser_id}", {"brands": ["Acme"]})
    client = operator.client
    decide_until(operator, HERO_ASK | {"user": {"id": "warm-up"}}, "home-hero", 1)
    ads = [
        decide(Api(client, None), HERO_ASK | {"user": {"id": f"shopper-{n}"}})["decisions"]["home-hero"][0]
        for n in range(4)
    ]
    for ad in ads[:3]:
        hit(client, ad["tracking"]["impression"])
    hit(client, ads[3]["tracking"]["impression"], BOT)
    hit(client, ads[0]["tracking"]["viewable"])
    hit(client, ads[3]["tracking"]["viewable"])
    hit(client, ads[2]["tracking"]["click"])
    now = datetime.now(UTC).isoformat()  # after every interaction, inside both windows
    orders = [
        {
            "id": f"o-{n}",
            "user_id": f"shopper-{n}",
            "time": now,
            "items": [{"sku": "TENT-2P", "quantity": 1, "price": 100.0}],
        }
        for n in range(4)
    ]
    assert operator.post("/v1/events/conversions", {"events": orders}, status=202)["accepted"] == 4
    run_rollups(operator)
    return network


def credited_orders(api: Api, campaign_id: str) -> set[str]:
    """The orders credited to the campaign, as the rollup holds them (what reports sum)."""
    with session_scope(runtime(api.client).db_sessions) as db:
        return set(db.scalars(select(AttributedItem.conversion_id).where(AttributedItem.campaign_id == campaign_id)))


def test_the_setting_decides_which_views_earn_the_sales(operator: Api, advertiser_api: Api) -> None:
    network = shoppers_who_saw_clicked_and_bought(operator, advertiser_api)
    body = report(operator, group_by="campaign")
    [row] = [r for r in body["rows"] if r["campaign_id"] == network["campaign"]["id"]]
    # Delivery is the same under either rule: three counted impressions, one viewable (shopper-3's
    # viewable event came with no counted impression: it counts nowhere), a click.
    assert (row["impressions"], row["viewable_impressions"], row["clicks"], row["reach"]) == (3, 1, 1, 3)
    assert row["click_conversions"] == 1  # shopper-2's click earns under either rule
    if rule_of(operator) is ViewThrough.IMPRESSION:  # shopper-0 and shopper-1: any counted impression
        assert (row["conversions"], row["view_conversions"], row["revenue"]) == (3, 2, 300.0)
        assert credited_orders(operator, network["campaign"]["id"]) == {"o-0", "o-1", "o-2"}
    else:  # shopper-0 only: a counted impression measured viewable
        assert (row["conversions"], row["view_conversions"], row["revenue"]) == (2, 1, 200.0)
        assert credited_orders(operator, network["campaign"]["id"]) == {"o-0", "o-2"}
    assert body["disclosure"]["attribution"]["view_through"] == rule_of(operator).value


def stated(text: str, rule: ViewThrough) -> bool:
    """Whether `text` states both windows and what a view is under `rule` (in words: MRC's
    50% of the pixels for 1 s, 2 s for video; or any counted impression)."""
    text = html.unescape(text)
    windows = "14 days after a click" in text and "1 day after a view" in text
    if rule is ViewThrough.VIEWABLE:
        view = (
            "a view is a viewable impression only: at least 50% of the ad's pixels in view for 1 continuous "
            "second (2 seconds for video)"
        ) in text
    else:
        view = "a view is any counted impression (served and not invalid traffic), viewable or not" in text
    return windows and view


def test_every_report_export_page_and_case_study_states_the_windows_and_the_view_rule(
    client: TestClient, operator: Api, advertiser_api: Api, engine: Engine
) -> None:
    network = shoppers_who_saw_clicked_and_bought(operator, advertiser_api)
    rule, campaign_id = rule_of(operator), network["campaign"]["id"]

    terms = report(operator)["disclosure"]["attribution"]  # the API's answer, as fields and in words
    assert (terms["post_click_days"], terms["post_view_days"], terms["view_through"]) == (14, 1, rule.value)
    assert terms["windows_include_their_last_instant"] is True
    assert ("50% of the ad's pixels" in terms["view_definition"]) is (rule is ViewThrough.VIEWABLE)
    assert stated(terms["terms"], rule)

    exported = client.get(f"/v1/reports?from={today()}&to={today()}&format=csv", headers=operator.headers)
    assert exported.text.startswith("day,")  # the header first, as spreadsheets read a CSV
    assert list(csv.reader(io.StringIO(exported.text)))[-1][0] == today()  # then its numbers
    described = exported.headers["link"].split(">", 1)[0].lstrip("<")  # and its disclosure beside it
    assert "format=terms" in described and f"from={today()}" in described
    in_words = client.get(described, headers=operator.headers)
    assert in_words.headers["content-type"].startswith("text/plain") and stated(in_words.text, rule)
    assert f"Post click days: {terms['post_click_days']}" in in_words.text

    case_study = client.get(f"/v1/campaigns/{campaign_id}/case-study", headers=operator.headers)
    assert case_study.status_code == 200
    methodology = html.unescape(case_study.text)
    assert "clicked one of its ads within 14 days, or saw one within 1 day" in methodology
    view = (
        "a view is a viewable impression only: at least 50% of the ad's pixels in view for 1 continuous second "
        "(2 seconds for video)"
        if rule is ViewThrough.VIEWABLE
        else "a view is any counted impression (served and not invalid traffic), viewable or not"
    )
    assert view in methodology

    make_user(engine, "person@acme.example", Role.ADVERTISER, advertiser_api.advertiser_id)
    sign_in(client, "person@acme.example")
    for page in ("/brand", f"/brand/campaigns/{campaign_id}", f"/brand/campaigns/{campaign_id}/measurement"):
        answer = client.get(page)
        assert answer.status_code == 200 and stated(answer.text, rule), page
    brand_csv = client.get(f"/brand/campaigns/{campaign_id}/report.csv", params={"group_by": "day"})
    assert brand_csv.text.startswith("day,impressions,")
    brand_terms = client.get(brand_csv.headers["link"].split(">", 1)[0].lstrip("<")).text
    assert f"View through: {rule.value}" in brand_terms and stated(brand_terms, rule)
    client.cookies.clear()
    make_user(engine, "ops@network.example", Role.OPERATOR)
    sign_in(client, "ops@network.example")
    for page in (
        "/console",
        "/console/advertisers",
        "/console/campaigns",
        f"/console/campaigns/{campaign_id}/measurement",
    ):
        answer = client.get(page)
        assert answer.status_code == 200 and stated(answer.text, rule), page


def test_the_rule_is_read_from_its_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("POST_CLICK_DAYS", "POST_VIEW_DAYS", "VIEW_THROUGH"):
        monkeypatch.delenv(f"SHELFSPACE_ATTRIBUTION_{name}", raising=False)
    assert load_settings().attribution_windows().view_through is ViewThrough.IMPRESSION  # today's behaviour
    monkeypatch.setenv("SHELFSPACE_ATTRIBUTION_VIEW_THROUGH", "viewable")
    monkeypatch.setenv("SHELFSPACE_ATTRIBUTION_POST_VIEW_DAYS", "3")
    windows = load_settings().attribution_windows()
    assert (windows.post_click_days, windows.post_view_days, windows.view_through) == (14, 3, ViewThrough.VIEWABLE)
    monkeypatch.setenv("SHELFSPACE_ATTRIBUTION_VIEW_THROUGH", "rendered")
    with pytest.raises(SettingsError, match="SHELFSPACE_ATTRIBUTION_VIEW_THROUGH"):
        load_settings()
