"""The operator's lists and a brand's billing history as tables (dashboard/tables.py):
each sorted by any column, filtered and paged from the query alone, 25 rows a page, with
the order each page had before as the default."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from lxml import html as lxml_html  # type: ignore[import-untyped]
from sqlalchemy import Engine

from shelfspace.accounts.roles import Role
from tests.dashboard.pages import make_user, sign_in
from tests.support import Api, campaign_body, live_dates

BOSS = "ops@network.example"
MANY = 30  # two pages of a 25-row table
ENDED = 29  # the health list's one ended campaign


def _page(client: TestClient, url: str) -> lxml_html.HtmlElement:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    return lxml_html.fromstring(answer.text)


def _names(doc: lxml_html.HtmlElement, table: str) -> list[str]:
    """The first cell's first line of each row shown: the name the row is listed by."""
    return [
        " ".join(td.xpath("string(./strong)").split())
        for td in doc.xpath(f'//table[@data-table="{table}"]/tbody/tr/td[1]')
    ]


def _count(doc: lxml_html.HtmlElement, table: str) -> str:
    """What the pager says: "1–25 of 30", with "(filtered from …)" when a filter is on."""
    [said] = doc.xpath(f'//nav[@aria-label="Pages of {table}"]/span[1]')
    return " ".join(said.text_content().split())


def _brands(operator: Api, **body: Any) -> list[dict[str, Any]]:
    """Brand 01 to Brand 30, made in a shuffled order: the lists must sort them themselves."""
    order = sorted(range(1, MANY + 1), key=lambda i: (i * 7) % MANY)
    made = {
        i: operator.post("/v1/advertisers", {"name": f"Brand {i:02d}", "domain": f"brand{i:02d}.example"} | body)
        for i in order
    }
    return [made[i] for i in range(1, MANY + 1)]


def _operator(client: TestClient, engine: Engine) -> None:
    make_user(engine, BOSS)
    sign_in(client, BOSS)


def test_the_advertisers_sort_filter_and_page(client: TestClient, operator: Api, engine: Engine) -> None:
    brands = _brands(operator)
    for i in (4, 14, 24):
        operator.patch(f"/v1/advertisers/{brands[i - 1]['id']}", {"status": "suspended"})
    _operator(client, engine)

    first = _page(client, "/console/advertisers")
    assert _names(first, "advertisers") == [f"Brand {i:02d}" for i in range(1, 26)]  # by name, as before
    assert _count(first, "advertisers") == "1–25 of 30"
    [after] = first.xpath('//nav[@aria-label="Pages of advertisers"]/a[@rel="next"]/@href')
    assert _names(_page(client, f"/console/advertisers{after}"), "advertisers") == [
        f"Brand {i:02d}" for i in range(26, 31)
    ]
    backwards = _page(client, "/console/advertisers?advertisers_sort=name&advertisers_dir=desc")
    assert _names(backwards, "advertisers")[:3] == ["Brand 30", "Brand 29", "Brand 28"]
    assert backwards.xpath('//table[@data-table="advertisers"]//th[@aria-sort]/@aria-sort') == ["descending"]

    statuses = first.xpath('//select[@name="advertisers_status"]/option/@value')
    assert statuses == ["", "active", "suspended"]
    suspended = _page(client, "/console/advertisers?advertisers_status=suspended")
    assert _names(suspended, "advertisers") == ["Brand 04", "Brand 14", "Brand 24"]
    assert _count(suspended, "advertisers") == "1–3 of 3 (filtered from 30)"
    assert len(suspended.xpath('//tr[@data-advertiser]//button[@value="reactivate"]')) == 3
    found = _page(client, "/console/advertisers?advertisers_q=brand%202&advertisers_status=active")
    assert _names(found, "advertisers") == [f"Brand {i}" for i in (20, 21, 22, 23, 25, 26, 27, 28, 29)]


def test_the_health_list_is_most_urgent_first_and_sorts_filters_and_pages(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    tea, acme = _brands(operator)[:2]
    now = datetime.now(UTC)
    for i in range(1, MANY + 1):
        owner = tea if i % 2 else acme
        dates = (
            live_dates()
            if i != ENDED
            else {"start": (now - timedelta(days=9)).isoformat(), "end": (now - timedelta(hours=1)).isoformat()}
        )
        campaign = operator.post(
            "/v1/campaigns", campaign_body(owner["id"], name=f"Campaign {i:02d}", budget_total=100 + i, **dates)
        )
        if i % 3 == 0:
            operator.patch(f"/v1/campaigns/{campaign['id']}", {"status": "paused"})
    _operator(client, engine)

    def by_advertiser(numbers: Iterable[int]) -> list[str]:  # Brand 01 has the odd ones, Brand 02 the even
        return [f"Campaign {i:02d}" for i in sorted(numbers, key=lambda i: (i % 2 == 0, i))]

    drafts = by_advertiser(i for i in range(1, MANY + 1) if i % 3 and i != ENDED)
    paused = by_advertiser(range(3, MANY + 1, 3))
    # Drafts (no line item yet), then paused, then ended: catalog/campaign_state.py URGENCY, not the
    # alphabet ("Ended" before "Paused"); within a state by advertiser, then name.
    urgent_first = [*drafts, *paused, f"Campaign {ENDED}"]
    first = _page(client, "/console/health")
    assert _names(first, "campaigns") == urgent_first[:25]
    assert _count(first, "campaigns") == "1–25 of 30"
    states = first.xpath('//table[@data-table="campaigns"]/tbody/tr/@data-state')
    assert states == ["draft"] * 19 + ["paused"] * 6
    second = _page(client, "/console/health?campaigns_page=2")
    assert _names(second, "campaigns") == urgent_first[25:]
    assert second.xpath('//table[@data-table="campaigns"]/tbody/tr[last()]/@data-state') == ["ended"]

    by_budget = _page(client, "/console/health?campaigns_sort=budget")  # a number: the largest first
    assert _names(by_budget, "campaigns")[:3] == ["Campaign 30", "Campaign 29", "Campaign 28"]
    least_urgent = _page(client, "/console/health?campaigns_sort=state&campaigns_dir=desc")
    assert _names(least_urgent, "campaigns")[:11] == list(reversed(urgent_first))[:11]

    assert first.xpath('//select[@name="campaigns_state"]/option/@value') == ["", "Draft", "Ended", "Paused"]
    only_paused = _page(client, "/console/health?campaigns_state=Paused&campaigns_advertiser=Brand+01")
    assert _names(only_paused, "campaigns") == by_advertiser((3, 9, 15, 21, 27))
    assert _count(only_paused, "campaigns") == "1–5 of 5 (filtered from 30)"
    found = _page(client, "/console/health?campaigns_q=campaign+1")
    assert sorted(_names(found, "campaigns")) == [f"Campaign {i}" for i in range(10, 20)]


def test_the_campaigns_list_puts_tests_and_holdouts_first_and_sorts_filters_and_pages(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    tea, acme = _brands(operator)[:2]
    for i in range(1, MANY + 1):
        measured: dict[str, Any] = {}
        if i in (7, 19):
            measured = {"is_test": True, "holdout_percent": 10}
        elif i in (4, 11, 23):
            measured = {"holdout_percent": i}
        owner = tea if i % 2 else acme
        operator.post("/v1/campaigns", campaign_body(owner["id"], name=f"Campaign {i:02d}", **measured))
    _operator(client, engine)

    tests_and_holdouts = ["Campaign 07", "Campaign 19", "Campaign 23", "Campaign 11", "Campaign 04"]
    rest = [f"Campaign {i:02d}" for i in range(1, MANY + 1) if i not in (4, 7, 11, 19, 23)]
    first = _page(client, "/console/campaigns")
    assert _names(first, "campaigns") == (tests_and_holdouts + rest)[:25]  # as the page listed them before
    assert _names(_page(client, "/console/campaigns?campaigns_page=2"), "campaigns") == (tests_and_holdouts + rest)[25:]
    assert _count(first, "campaigns") == "1–25 of 30"

    by_name = _page(client, "/console/campaigns?campaigns_sort=name&campaigns_dir=desc")
    assert _names(by_name, "campaigns")[:2] == ["Campaign 30", "Campaign 29"]
    assert first.xpath('//select[@name="campaigns_measurement"]/option/@value') == ["", "holdout", "no holdout", "test"]
    tests = _page(client, "/console/campaigns?campaigns_measurement=test")
    assert _names(tests, "campaigns") == ["Campaign 07", "Campaign 19"]
    assert (
        len(tests.xpath('//tr[@data-campaign]//a[starts-with(@href, "/console/campaigns/") and text()="Case study"]'))
        == 2
    )
    acme_holdouts = _page(client, "/console/campaigns?campaigns_measurement=holdout&campaigns_advertiser=Brand+02")
    assert _names(acme_holdouts, "campaigns") == ["Campaign 04"]
    found = _page(client, "/console/campaigns?campaigns_q=campaign%202&campaigns_sort=name")
    assert _names(found, "campaigns") == [f"Campaign {i}" for i in range(20, 30)]
    assert _count(found, "campaigns") == "1–10 of 10 (filtered from 30)"


def test_the_balances_are_most_urgent_first_and_sort_filter_and_page(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    brands = _brands(operator, billing_mode="prepaid")
    for i, brand in enumerate(brands, start=1):
        if i % 3:  # every third has no funds: used up
            operator.post(f"/v1/advertisers/{brand['id']}/top-ups", {"amount": str(i * 10), "reference": f"B-{i}"})
    _operator(client, engine)

    used_up = [f"Brand {i:02d}" for i in range(3, MANY + 1, 3)]
    funded = [f"Brand {i:02d}" for i in range(1, MANY + 1) if i % 3]
    first = _page(client, "/console/billing")
    assert _names(first, "balances") == (used_up + funded)[:25]
    assert _count(first, "balances") == "1–25 of 30"
    second = _page(client, "/console/billing?balances_page=2")
    assert _names(second, "balances") == (used_up + funded)[25:]
    assert len(first.xpath('//table[@data-table="balances"]//*[@data-reason="funds_used_up"]')) == 10

    richest = _page(client, "/console/billing?balances_sort=balance")
    assert _names(richest, "balances")[:3] == ["Brand 29", "Brand 28", "Brand 26"]
    assert richest.xpath('//table[@data-table="balances"]/tbody/tr[1]/td[contains(@class, "balance")]/text()') == [
        "290.00"
    ]
    poorest = _page(client, "/console/billing?balances_sort=balance&balances_dir=asc")
    assert _names(poorest, "balances")[:10] == used_up  # nothing, by name (a stable sort)

    warned = _page(client, "/console/billing?balances_warning=Funds+used+up")
    assert _names(warned, "balances") == used_up
    assert _count(warned, "balances") == "1–10 of 10 (filtered from 30)"
    found = _page(client, "/console/billing?balances_q=brand+1&balances_sort=advertiser&balances_dir=desc")
    assert _names(found, "balances") == [f"Brand {i}" for i in range(19, 9, -1)]
    # The top-up form still offers every advertiser, whatever the table shows.
    assert len(found.xpath('//select[@name="advertiser_id"]/option[@value!=""]')) == MANY


def test_a_brands_top_ups_sort_filter_and_page(client: TestClient, operator: Api, engine: Engine) -> None:
    brand = operator.post(
        "/v1/advertisers", {"name": "Harbor Tea", "domain": "harbortea.example", "billing_mode": "prepaid"}
    )
    for i in range(1, MANY + 1):
        operator.post(f"/v1/advertisers/{brand['id']}/top-ups", {"amount": str(i), "reference": f"BANK-{i:02d}"})
    operator.post(f"/v1/advertisers/{brand['id']}/refunds", {"amount": "5", "reference": "BANK-BACK"})
    make_user(engine, "money@harbortea.example", Role.ADVERTISER, brand["id"])
    sign_in(client, "money@harbortea.example")

    def references(doc: lxml_html.HtmlElement) -> list[str]:
        return [
            " ".join(td.text_content().split()) for td in doc.xpath('//table[@data-table="history"]/tbody/tr/td[3]')
        ]

    first = _page(client, "/brand/billing")
    newest_first = ["BANK-BACK", *(f"BANK-{i:02d}" for i in range(MANY, 0, -1))]
    assert references(first) == newest_first[:25]
    assert references(_page(client, "/brand/billing?history_page=2")) == newest_first[25:]
    assert _count(first, "top-ups and refunds") == "1–25 of 31"
    largest = _page(client, "/brand/billing?history_sort=amount")
    assert references(largest)[:2] == ["BANK-30", "BANK-29"]
    refunds = _page(client, "/brand/billing?history_kind=Refund")
    assert references(refunds) == ["BANK-BACK"]
    assert (
        _count(_page(client, "/brand/billing?history_q=bank-1"), "top-ups and refunds")
        == "1–10 of 10 (filtered from 31)"
    )
    assert references(_page(client, "/brand/billing?history_q=bank-1&history_sort=reference")) == [
        f"BANK-{i}" for i in range(10, 20)
    ]
