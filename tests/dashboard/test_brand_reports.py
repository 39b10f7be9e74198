"""A brand's report pages: any range of days compared with the one before, tables sorted,
filtered and paged by the query alone, CSVs whose first line is their header, money in the
network's currency and times in its zone (Europe/London here, pounds)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from lxml import html as lxml_html  # type: ignore[import-untyped]
from sqlalchemy import Engine

from shelfspace.accounts.roles import Role
from shelfspace.config import Settings
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.reporting.models import RollupDay
from shelfspace.sim.clock import SteppedClock
from tests.dashboard.pages import make_user, sign_in
from tests.support import BANNER, Api

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
DAYS = 40  # of delivery, today included: two pages of a 25-row table


@pytest.fixture
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        public_url="http://shelfspace.test",
        timezone="Europe/London",
        currency="GBP",
        country="GB",
    )


@pytest.fixture
def app_clock() -> SteppedClock:
    return SteppedClock(NOW)


def impressions_on(back: int) -> int:
    return 100 + back  # the further back, the more: sorting by impressions is sorting by day


def _brand(operator: Api, engine: Engine) -> str:
    """A brand with one campaign that delivered on each of the last DAYS days; its person signs in later."""
    brand = operator.post("/v1/advertisers", {"name": "Harbor Tea", "domain": "harbortea.example"})
    campaign = operator.post(
        "/v1/campaigns",
        {
            "advertiser_id": brand["id"],
            "name": "Winter tea",
            "budget_total": 12000,
            "budget_daily": 500,
            "start": "2026-09-30T23:00:00Z",
            "end": "2026-12-31T00:00:00Z",
        },
    )  # London: 1 Oct 00:00 to 31 Dec 00:00
    with session_scope(make_sessionmaker(engine)) as db:
        for back in range(DAYS):
            db.add(
                RollupDay(
                    day=(TODAY - timedelta(days=back)).isoformat(),
                    advertiser_id=brand["id"],
                    campaign_id=campaign["id"],
                    line_item_id="li",
                    creative_id="cr",
                    placement_id="home-hero",
                    channel="web",
                    sku="",
                    impressions=impressions_on(back),
                    viewable_impressions=50,
                    clicks=2,
                    spend_micros=3_333_333,
                    invalid_impressions=1,
                    invalid_viewable_impressions=0,
                    invalid_clicks=0,
                )
            )
    make_user(engine, "person@harbortea.example", Role.ADVERTISER, brand["id"])
    return str(campaign["id"])


@pytest.fixture
def campaign_id(client: TestClient, operator: Api, engine: Engine) -> str:
    made = _brand(operator, engine)
    sign_in(client, "person@harbortea.example")
    return made


def _page(client: TestClient, url: str) -> lxml_html.HtmlElement:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    return lxml_html.fromstring(answer.text)


def _words(element: lxml_html.HtmlElement) -> str:
    """An element's text as a reader meets it: its pieces separated by one space."""
    return " ".join(" ".join(element.itertext()).split())


def _column(doc: lxml_html.HtmlElement, table: str, index: int = 0) -> list[str]:
    return [_words(td) for td in doc.xpath(f'//table[@data-table="{table}"]/tbody/tr/td[{index + 1}]')]


def _kpi(doc: lxml_html.HtmlElement, name: str) -> str:
    [kpi] = doc.xpath(f'//div[@class="kpi"][span[@class="name"]="{name}"]')
    return _words(kpi)


def test_any_range_of_days_is_compared_with_the_same_length_before(client: TestClient, campaign_id: str) -> None:
    doc = _page(client, f"/brand/campaigns/{campaign_id}?from=2026-11-29&to=2026-12-01")
    now, before = sum(impressions_on(b) for b in (0, 1, 2)), sum(impressions_on(b) for b in (3, 4, 5))
    assert _kpi(doc, "Impressions") == f"Impressions {now} ▼ {abs(now - before) / before * 100:.1f}%"
    assert _kpi(doc, "Spend").startswith("Spend £10.00 =")  # 3 × 3.33, the same as the three days before
    [note] = doc.xpath('//p[contains(@class, "period-note")]')
    assert " ".join(note.text_content().split()) == (
        "29 Nov 2026 – 01 Dec 2026, compared with 26 Nov 2026 – 28 Nov 2026. Days and times in Europe/London."
    )
    assert doc.xpath('//form[@aria-label="Dates"]//input[@name="from"]/@value') == ["2026-11-29"] and doc.xpath(
        '//form[@aria-label="Dates"]//input[@name="to"]/@value'
    ) == ["2026-12-01"]
    assert _column(doc, "by_day") == ["2026-12-01", "2026-11-30", "2026-11-29"]
    # The shortcuts stay, and mark the one chosen; the brand's home compares the same way.
    home = _page(client, "/brand?days=7")
    assert home.xpath('//button[@aria-pressed="true"]/text()') == ["Last 7 days"]
    assert _kpi(home, "Impressions").startswith(f"Impressions {sum(impressions_on(b) for b in range(7))} ▼")
    # No earlier delivery: nothing to compare with, said in words rather than as a change.
    first_days = _page(client, f"/brand/campaigns/{campaign_id}?from=2026-10-23&to=2026-10-24")
    assert _kpi(first_days, "Clicks") == "Clicks 4 no earlier figure"


@pytest.mark.parametrize(
    ("first", "last", "field", "message"),
    [
        ("2026-12-01", "2026-11-01", "to", "The last day comes before the first"),
        ("1st of May", "2026-11-01", "from", "Enter a date such as"),
        ("2026-11-01", "2026-12-02", "to", "That day has not come yet"),
        ("2024-01-01", "2026-11-01", "to", "at most 400 days"),
    ],
)
def test_a_range_that_cannot_be_shown_is_named_beside_its_field(
    client: TestClient, campaign_id: str, first: str, last: str, field: str, message: str
) -> None:
    answer = client.get(f"/brand/campaigns/{campaign_id}", params={"from": first, "to": last})
    assert answer.status_code == 200
    doc = lxml_html.fromstring(answer.text)
    [error] = doc.xpath(f'//span[@id="{field}-error"]')
    assert message in error.text_content()
    assert doc.xpath(f'//form[@aria-label="Dates"]//input[@name="{field}"]/@aria-invalid') == ["true"]
    assert doc.xpath(f'//form[@aria-label="Dates"]//input[@name="{field}"]/@value') == [
        {"from": first, "to": last}[field]
    ]  # as typed
    assert len(_column(doc, "by_day")) == 25  # meanwhile, the last 30 days (page 1 of 2)


def test_tables_sort_filter_and_page_without_javascript(client: TestClient, campaign_id: str) -> None:
    url = f"/brand/campaigns/{campaign_id}?days=90"
    doc = _page(client, url)
    assert _column(doc, "by_day")[0] == "2026-12-01" and len(_column(doc, "by_day")) == 25  # newest day first
    [pages] = doc.xpath('//nav[@aria-label="Pages of days"]')
    assert "1–25 of 40" in pages.text_content() and "page 1 of 2" in pages.text_content()
    [following] = pages.xpath('.//a[@rel="next"]/@href')
    second = _page(client, f"/brand/campaigns/{campaign_id}{following}")
    assert _column(second, "by_day")[-1] == (TODAY - timedelta(days=DAYS - 1)).isoformat()
    assert len(_column(second, "by_day")) == DAYS - 25

    # Sorting by a column: the header's link, largest first, then the other way round.
    [by_impressions] = doc.xpath(
        '//table[@data-table="by_day"]//th/a[starts-with(normalize-space(), "Impressions")]/@href'
    )
    most = _page(client, f"/brand/campaigns/{campaign_id}{by_impressions}")
    assert _column(most, "by_day", 1)[:2] == [str(impressions_on(DAYS - 1)), str(impressions_on(DAYS - 2))]
    assert most.xpath('//table[@data-table="by_day"]//th[@aria-sort]/@aria-sort') == ["descending"]
    [again] = most.xpath('//table[@data-table="by_day"]//th[@aria-sort]/a/@href')
    fewest = _page(client, f"/brand/campaigns/{campaign_id}{again}")
    assert _column(fewest, "by_day", 1)[0] == str(impressions_on(0))
    assert "days=90" in again  # the period stays

    # Filtering: the form is a GET keeping the rest of the query.
    [form] = doc.xpath('//form[@aria-label="Filter days"]')
    assert ("days", "90") in [(i.get("name"), i.get("value")) for i in form.xpath('.//input[@type="hidden"]')]
    november = _page(client, url + "&by_day_q=2026-11-1")
    assert _column(november, "by_day") == [f"2026-11-{d}" for d in range(19, 9, -1)]
    assert "filtered from 40" in november.xpath('//nav[@aria-label="Pages of days"]')[0].text_content()
    nothing = _page(client, url + "&by_day_q=1999")
    assert _column(nothing, "by_day") == ["No days match the filter."]

    # The brand's campaigns: one is nothing to look through (no form, no pages), but a filter
    # in the query still applies, and then the form shows to change or clear it.
    home = _page(client, "/brand")
    assert not home.xpath('//form[@aria-label="Filter campaigns"]') and not home.xpath(
        '//nav[@aria-label="Pages of campaigns"]'
    )
    statuses = _page(client, "/brand?campaigns_q=winter").xpath('//select[@name="campaigns_status"]/option/@value')
    assert len(statuses) == 2 and statuses[0] == ""  # "all", then the one status the brand's campaign has
    home = _page(client, f"/brand?campaigns_q=winter&campaigns_status={statuses[1]}")
    assert _column(home, "campaigns")[0] == "Winter tea"
    assert home.xpath('//form[@aria-label="Filter campaigns"]//a[.="Show all"]/@href') == ["?#campaigns"]
    assert _column(_page(client, "/brand?campaigns_q=summer"), "campaigns") == ["No campaigns match the filter."]


def test_an_export_starts_with_its_header_and_its_terms_are_beside_it(client: TestClient, campaign_id: str) -> None:
    doc = _page(client, f"/brand/campaigns/{campaign_id}?from=2026-11-20&to=2026-11-30")
    [export] = doc.xpath('//section[@id="by_day"]//a[@data-download]/@href')
    answer = client.get(export)
    assert answer.headers["content-type"].startswith("text/csv")
    lines = answer.text.splitlines()
    assert lines[0].startswith("day,impressions,viewable_impressions,clicks,ctr,spend,")
    assert not any(line.startswith("#") for line in lines)
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["day"] for r in rows][0] == "2026-11-20" and len(rows) == 11
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="{campaign_id}-day-2026-11-20-to-2026-11-30-Europe-London.csv"'
    )
    terms_url = re.fullmatch(r'<([^>]+)>; rel="describedby"; type="text/plain"', answer.headers["link"])
    assert terms_url and terms_url.group(1) in doc.xpath('//a[contains(., "report terms")]/@href')
    terms = client.get(terms_url.group(1))
    assert terms.headers["content-type"].startswith("text/plain")
    assert terms.text.startswith("Winter tea: report terms, 2026-11-20 to 2026-11-30 (days in Europe/London)")
    for said in (
        "Sales are credited up to 14 days after a click",
        "Time zone: Europe/London",
        "Invalid traffic:",
        "Invalid: 11",
        "Viewability: MRC/IAB",
    ):
        assert said in terms.text, said


def test_money_in_pounds_and_a_flight_ending_at_midnight_shown_by_its_last_day(
    client: TestClient, campaign_id: str
) -> None:
    doc = _page(client, f"/brand/campaigns/{campaign_id}?days=7")
    [head] = doc.xpath('//div[@class="page-head"]//p[@class="muted small"]')
    assert "01 Oct 2026 to 30 Dec 2026 (Europe/London)" in head.text_content()
    assert "budget £12,000.00, £500.00 a day" in " ".join(head.text_content().split())
    assert _kpi(doc, "Spend").startswith("Spend £23.33 ")  # 7 × 3.333333, two decimals
    assert _kpi(doc, "CPC").startswith("CPC £1.67 ")
    cpm = 7 * 3.333333 / sum(impressions_on(b) for b in range(7)) * 1000
    assert _kpi(doc, "CPM").startswith(f"CPM £{cpm:.2f} ")
    spend_cells = _column(doc, "by_day", 4)
    assert spend_cells and all(re.fullmatch(r"£\d+\.\d\d", cell) for cell in spend_cells), spend_cells
    home = _page(client, "/brand")
    assert _column(home, "campaigns", 2) == ["01 Oct 2026 to 30 Dec 2026"]
    assert _column(home, "campaigns", 3) == ["£12,000.00 £500.00/day"]
    headings = [_words(th) for th in home.xpath('//table[@data-table="campaigns"]/thead//th')]
    cells = [_words(td) for td in home.xpath('//table[@data-table="campaigns"]/tbody/tr[1]/td')]
    by_heading = dict(zip(headings, cells, strict=True))  # each figure under its own heading
    assert by_heading["Spend"].startswith("£") and by_heading["Flight ▼"] == "01 Oct 2026 to 30 Dec 2026"
    assert by_heading["Impressions"] == f"{sum(impressions_on(b) for b in range(30)):,}"
    assert by_heading["CTR"].endswith("%") and by_heading["Clicks"] == "60"


def test_the_media_kit_says_no_data_yet_rather_than_zero(client: TestClient, operator: Api) -> None:
    operator.post("/v1/placements", BANNER)
    doc = lxml_html.fromstring(client.get("/media-kit").text)
    [row] = doc.xpath('//tr[td[1]="Home hero"]')
    assert row.xpath("td[7]")[0].text_content() == "no data yet"
    assert "0.00%" not in client.get("/media-kit").text
    assert "£2.50" in row.xpath("td[5]")[0].text_content()  # the floor, in the network's currency
