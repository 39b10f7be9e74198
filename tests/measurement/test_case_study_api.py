"""Case studies: the page and the PDF quote the same numbers as the API; the operator's
words and the share link."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

from pypdf import PdfReader

from shelfspace.accounts.roles import Role
from tests.conftest import new_key
from tests.measurement.test_lift_api import app_clock, readable_study, study, surveyed_study  # noqa: F401  (the fixtures)
from tests.support import Api


def test_the_page_quotes_the_report_and_the_lift(operator: Api, advertiser_api: Api, study: dict[str, Any]) -> None:  # noqa: F811
    campaign_id = study["campaign"]["id"]
    page = operator.client.get(f"/v1/campaigns/{campaign_id}/case-study", headers=operator.headers)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    today = datetime.now(UTC).date().isoformat()
    report = operator.get(f"/v1/reports?from=2026-01-01&to={today}&campaign_id={campaign_id}&group_by=campaign")
    totals = report["totals"]
    lift = operator.get(f"/v1/campaigns/{campaign_id}/lift")
    figure = re.compile(r'<span class="value">([^<]+)</span><span class="name">([^<]+)</span>')
    figures = {name: value for value, name in figure.findall(html)}
    assert figures["impressions"] == f"{totals['impressions']:,}"
    assert figures["shoppers reached"] == f"{totals['reach']:,}"
    assert figures["click-through rate"] == f"{(totals['ctr'] or 0) * 100:.2f}%"
    assert figures["spend"] == f"{totals['spend']:,.2f} USD"
    assert f"<td>{lift['treatment']['users']}</td><td>{lift['treatment']['converters']}</td>" in html
    assert f"<td>{lift['control']['users']}</td><td>{lift['control']['converters']}</td>" in html
    assert "Too few shoppers to tell" in html  # the smaller group must expect ten buyers before a lift is shown
    assert "Acme Outdoor" in html and "Home hero (web, banner)" in html and "searching for tent" in html
    assert "Methodology" in html and "stable hash" in html and "<svg" in html
    # The lift's period and the attribution windows are both stated: they differ.
    assert (
        f"purchases of the study&#39;s users from {lift['window']['from'][:10]} to {lift['window']['to'][:10]}" in html
        or f"purchases of the study's users from {lift['window']['from'][:10]} to {lift['window']['to'][:10]}" in html
    )
    assert "clicked one of its ads within 14 days" in html

    mine = advertiser_api.client.get(f"/v1/campaigns/{campaign_id}/case-study", headers=advertiser_api.headers)
    assert mine.status_code == 200


def test_the_pdf_is_a_real_pdf(operator: Api, study: dict[str, Any]) -> None:  # noqa: F811
    pdf = operator.client.get(
        f"/v1/campaigns/{study['campaign']['id']}/case-study?format=pdf", headers=operator.headers
    )
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    pages = PdfReader(io.BytesIO(pdf.content)).pages
    text = " ".join(page.extract_text() for page in pages)
    assert len(pages) >= 2 and "Acme Outdoor" in text and "Methodology" in text and "page 1 of" in text
    treated = operator.get(f"/v1/campaigns/{study['campaign']['id']}/lift")["treatment"]["users"]
    assert f"{treated}" in text  # the lift table


def test_the_operator_writes_and_publishes_and_only_the_operator(
    operator: Api, advertiser_api: Api, engine: Any, study: dict[str, Any]
) -> None:  # noqa: F811
    campaign_id = study["campaign"]["id"]
    path = f"/v1/campaigns/{campaign_id}/case-study"
    assert advertiser_api.patch(path, {"narrative": "Mine"}, status=403)["error"]["code"] == "forbidden"
    edited = operator.patch(
        path, {"headline": "Acme tents sell out", "narrative": "First.\n\nSecond paragraph.", "published": True}
    )
    assert edited["published"] is True and edited["share_url"].startswith("http")
    html = operator.client.get(path, headers=operator.headers).text
    assert "<h1>Acme tents sell out</h1>" in html and "<p>Second paragraph.</p>" in html
    shared = edited["share_url"].split("/case-studies/")[1]
    public = operator.client.get(f"/case-studies/{shared}")
    assert public.status_code == 200 and "Acme tents sell out" in public.text
    assert operator.client.get(f"/case-studies/{shared}?format=pdf").content.startswith(b"%PDF-")
    assert operator.patch(path, {"published": False})["share_url"] is None
    assert operator.client.get(f"/case-studies/{shared}").status_code == 404
    assert operator.patch(path, {"headline": "x" * 201}, status=422)
    stranger = Api(
        operator.client,
        new_key(engine, Role.ADVERTISER, operator.post("/v1/advertisers", {"name": "O", "domain": "o.example"})["id"]),
    )
    assert stranger.get(path, status=404)["error"]["code"] == "not_found"


def test_a_read_lift_is_quoted_with_what_it_may_show(operator: Api, readable_study: dict[str, Any]) -> None:  # noqa: F811
    """Readable, but with too few buyers for heavy-tailed sales: the case study gives the
    purchases and their interval, and says why sales and iROAS are not shown."""
    campaign_id = readable_study["campaign"]["id"]
    lift = operator.get(f"/v1/campaigns/{campaign_id}/lift")
    assert lift["readable"] and lift["ci95"]["incremental_revenue"] is None
    page = operator.client.get(f"/v1/campaigns/{campaign_id}/case-study", headers=operator.headers)
    assert page.status_code == 200, page.text
    low, high = lift["ci95"]["incremental_conversions"]
    from shelfspace.measurement.case_study import _Formats

    assert (
        f"Incremental purchases {_Formats.estimate(lift['incremental_conversions'])} (95% "
        f"{_Formats.estimate(low)} to {_Formats.estimate(high)})" in page.text
    )
    assert "incremental sales and iROAS not shown" in page.text
    assert f"up to its read date, {lift['read_at'][:10]}" in page.text


def test_an_interim_lift_says_when_it_will_be_read(operator: Api, surveyed_study: dict[str, Any]) -> None:  # noqa: F811
    campaign_id = surveyed_study["campaign"]["id"]
    lift = operator.get(f"/v1/campaigns/{campaign_id}/lift")
    assert lift["interim"] is True
    page = operator.client.get(f"/v1/campaigns/{campaign_id}/case-study", headers=operator.headers).text
    assert f"Read on {lift['read_at'][:10]}" in page and "the counts below are interim" in page
