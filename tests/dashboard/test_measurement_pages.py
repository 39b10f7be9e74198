"""Measurement pages for the brand that owns a campaign and for the operator: the figures
are the API's (which tests/measurement recomputes from the raw events), the forms save
through the same services, and another brand's campaign is not found."""

from __future__ import annotations

import io
import re
from typing import Any

from fastapi.testclient import TestClient
from markupsafe import escape
from pypdf import PdfReader
from sqlalchemy import Engine, func, select

from shelfspace.accounts.roles import Role
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.measurement import planner
from shelfspace.measurement.models import BrandLiftStudy
from shelfspace.measurement.planner import PlanIn
from tests.dashboard.pages import make_user, post_form, sign_in, token_of
from tests.measurement.test_lift_api import app_clock, readable_study, study  # noqa: F401  (the fixtures)
from tests.support import Api

BRAND = "person@acme.example"
BOSS = "ops@network.example"


def figure(html: str, name: str) -> str:
    found = re.search(rf'data-figure="{re.escape(name)}">([^<]*)<', html)
    assert found, f"no {name} on the page"
    return found.group(1).strip()


def studies(engine: Engine) -> int:
    with session_scope(make_sessionmaker(engine)) as db:
        return db.scalar(select(func.count()).select_from(BrandLiftStudy)) or 0


def test_the_brand_reads_the_lift_the_api_computes(
    client: TestClient, operator: Api, advertiser_api: Api, engine: Engine, readable_study: dict[str, Any]
) -> None:  # noqa: F811
    campaign_id = readable_study["campaign"]["id"]
    lift = operator.get(f"/v1/campaigns/{campaign_id}/lift")
    assert lift["readable"] and not lift["interim"]
    make_user(engine, BRAND, Role.ADVERTISER, advertiser_api.advertiser_id)
    sign_in(client, BRAND)
    page = client.get(f"/brand/campaigns/{campaign_id}/measurement")
    assert page.status_code == 200, page.text
    html = page.text
    assert figure(html, "intent_to_treat-incremental") == f"{lift['incremental_conversions']:,.1f}"
    assert figure(html, "exposed-incremental") == f"{lift['exposed']['incremental_conversions']:,.1f}"
    assert figure(html, "intent_to_treat-relative") == (
        "–" if lift["relative_lift"] is None else f"{lift['relative_lift'] * 100:.1f}%"
    )
    for group in ("treatment", "control"):
        assert f'<td class="num">{lift[group]["users"]:,}</td>' in html
    assert escape(lift["method"]) in html and escape(lift["minimum_sample"]) in html
    assert escape(lift["read_rule"]) in html and f"read on {lift['read_at'][:10]}" in html
    assert f"/brand/campaigns/{campaign_id}/measurement" in client.get(f"/brand/campaigns/{campaign_id}").text


def test_below_the_minimum_sample_the_page_shows_counts_and_no_lift(
    client: TestClient, operator: Api, advertiser_api: Api, engine: Engine, study: dict[str, Any]
) -> None:  # noqa: F811
    campaign_id = study["campaign"]["id"]
    lift = operator.get(f"/v1/campaigns/{campaign_id}/lift")
    make_user(engine, BRAND, Role.ADVERTISER, advertiser_api.advertiser_id)
    sign_in(client, BRAND)
    html = client.get(f"/brand/campaigns/{campaign_id}/measurement").text
    assert not lift["readable"] and "Too few shoppers to read" in html
    assert 'data-figure="intent_to_treat-incremental"' not in html and 'data-hidden="intent_to_treat"' in html
    assert f'<td class="num">{lift["treatment"]["users"]:,}</td>' in html


def test_a_brand_lift_study_is_started_checked_and_closed_from_the_page(
    client: TestClient, advertiser_api: Api, engine: Engine, study: dict[str, Any]
) -> None:  # noqa: F811
    campaign_id = study["campaign"]["id"]
    base = f"/brand/campaigns/{campaign_id}"
    make_user(engine, BRAND, Role.ADVERTISER, advertiser_api.advertiser_id)
    sign_in(client, BRAND)
    wrong = post_form(
        client,
        f"{base}/measurement",
        f"{base}/brand-lift",
        {
            "metric": "recall",
            "question": "Which of these brands have you seen advertised?",
            "answers": "Bolt\nCamp Co",
            "correct_answer": "Acme",
        },
    )
    assert wrong.status_code == 400 and "correct_answer must be one of the answers" in wrong.text
    assert "Bolt\nCamp Co" in wrong.text  # what was typed stays in the form
    assert studies(engine) == 0  # nothing half saved
    made = post_form(
        client,
        f"{base}/measurement",
        f"{base}/brand-lift",
        {
            "metric": "recall",
            "question": "Which of these brands have you seen advertised?",
            "answers": "Bolt\n  Acme \nCamp Co\n",
            "correct_answer": "Acme",
        },
    )
    assert made.status_code == 303 and made.headers["location"].endswith("/measurement#brand-lift")
    [listed] = advertiser_api.get(f"/v1/brand-lift-studies?campaign_id={campaign_id}")["data"]
    assert listed["answers"] == ["Bolt", "Acme", "Camp Co"] and listed["metric"] == "recall"
    html = client.get(f"{base}/measurement").text
    assert "The study is live" in html and f'data-study="{listed["id"]}"' in html
    assert figure(html, "exposed-responses") == "0" and "Minimum sample not reached" in html
    closed = post_form(client, f"{base}/measurement", f"{base}/brand-lift/{listed['id']}/status", {"status": "closed"})
    assert closed.status_code == 303
    assert advertiser_api.get(f"/v1/brand-lift-studies/{listed['id']}")["status"] == "closed"


def test_the_planner_answers_on_the_page_and_names_bad_input(
    client: TestClient, advertiser_api: Api, engine: Engine, study: dict[str, Any]
) -> None:  # noqa: F811
    base = f"/brand/campaigns/{study['campaign']['id']}"
    make_user(engine, BRAND, Role.ADVERTISER, advertiser_api.advertiser_id)
    sign_in(client, BRAND)
    page = client.get(
        f"{base}/measurement",
        params={
            "plan_baseline_rate": "2",
            "plan_expected_rate": "2.4",
            "plan_users_per_day": "5000",
            "plan_days": "",
            "plan_holdout_percent": "20",
        },
    )
    expected = planner.plan(PlanIn(baseline_rate=0.02, expected_rate=0.024, users_per_day=5000, holdout_percent=20))
    assert figure(page.text, "days") == f"{expected['days']:,}"
    assert figure(page.text, "mde") == f"{expected['mde'] * 100:,.3f} pp"
    bad = client.get(
        f"{base}/measurement",
        params={
            "plan_baseline_rate": "two",
            "plan_users_per_day": "5000",
            "plan_days": "14",
            "plan_holdout_percent": "20",
        },
    )
    assert bad.status_code == 200 and "plan-answer" not in bad.text
    assert 'aria-invalid="true"' in bad.text and "valid number" in bad.text


def test_the_holdout_is_set_from_the_page_within_its_limits(
    client: TestClient, advertiser_api: Api, engine: Engine, study: dict[str, Any]
) -> None:  # noqa: F811
    campaign_id = study["campaign"]["id"]
    # The brand's test has started: its held-out share is fixed, not offered, and refused if sent.
    base = f"/brand/campaigns/{campaign_id}"
    make_user(engine, BRAND, Role.ADVERTISER, advertiser_api.advertiser_id)
    sign_in(client, BRAND)
    assert "data-holdout-fixed" in client.get(f"{base}/measurement").text
    fixed = post_form(client, f"{base}/measurement", f"{base}/holdout", {"holdout_percent": "20"})
    assert fixed.status_code == 400 and "fixed once it has started" in fixed.text
    assert advertiser_api.get(f"/v1/campaigns/{campaign_id}")["holdout_percent"] == 50
    # The operator still may, within the limits.
    client.post("/logout", data={"csrf_token": token_of(client.get("/brand").text)})
    make_user(engine, BOSS)
    sign_in(client, BOSS)
    base = f"/console/campaigns/{campaign_id}"
    refused = post_form(client, f"{base}/measurement", f"{base}/holdout", {"holdout_percent": "80"})
    assert refused.status_code == 400 and "less than or equal to 50" in refused.text
    assert advertiser_api.get(f"/v1/campaigns/{campaign_id}")["holdout_percent"] == 50
    saved = post_form(client, f"{base}/measurement", f"{base}/holdout", {"holdout_percent": "20"})
    assert saved.status_code == 303
    assert advertiser_api.get(f"/v1/campaigns/{campaign_id}")["holdout_percent"] == 20


def test_the_operator_edits_publishes_and_withdraws_the_case_study(
    client: TestClient, operator: Api, engine: Engine, study: dict[str, Any]
) -> None:  # noqa: F811
    campaign_id = study["campaign"]["id"]
    make_user(engine, BOSS)
    sign_in(client, BOSS)
    listing = client.get("/console/campaigns").text
    assert f'data-campaign="{campaign_id}"' in listing and "50% held out" in listing
    assert client.get(f"/console/campaigns/{campaign_id}/measurement").status_code == 200
    assert client.get(f"/brand/campaigns/{campaign_id}/measurement").status_code == 404  # the brand's side
    editor = f"/console/campaigns/{campaign_id}/case-study/edit"
    page = client.get(editor)
    assert page.status_code == 200 and "narrative are the generated draft" in page.text
    too_long = post_form(client, editor, editor, {"headline": "x" * 201, "narrative": "Words.", "action": "save"})
    assert too_long.status_code == 400 and "at most 200 characters" in too_long.text
    published = post_form(
        client,
        editor,
        editor,
        {
            "headline": "Acme grows its tent sales",
            "narrative": "First paragraph.\n\nSecond paragraph.",
            "action": "publish",
        },
    )
    assert published.status_code == 303
    html = client.get(editor).text
    assert "Published: anyone with the link can read it" in html
    share = re.search(r'id="share-link">([^<]+)<', html)
    assert share
    path = share.group(1).split("://", 1)[1].split("/", 1)[1]
    document = client.get(f"/console/campaigns/{campaign_id}/case-study").text
    assert "Acme grows its tent sales" in document and "Second paragraph." in document
    with TestClient(client.app) as stranger:  # type: ignore[arg-type]  # no session, no key
        assert "Acme grows its tent sales" in stranger.get(f"/{path}").text
        withdrawn = post_form(client, editor, editor, {"headline": "", "narrative": "", "action": "unpublish"})
        assert withdrawn.status_code == 303
        assert stranger.get(f"/{path}").status_code == 404


def test_the_brand_reads_its_case_study_and_never_another_brands_pages(
    client: TestClient, operator: Api, advertiser_api: Api, engine: Engine, study: dict[str, Any]
) -> None:  # noqa: F811
    campaign_id = study["campaign"]["id"]
    rival = operator.post("/v1/advertisers", {"name": "Rival Goods", "domain": "rival.example"})
    make_user(engine, "person@rival.example", Role.ADVERTISER, rival["id"])
    sign_in(client, "person@rival.example")
    for path in ("measurement", "case-study", "case-study?format=pdf"):
        assert client.get(f"/brand/campaigns/{campaign_id}/{path}").status_code == 404, path
    token = token_of(client.get("/brand").text)
    assert (
        client.post(
            f"/brand/campaigns/{campaign_id}/holdout", data={"csrf_token": token, "holdout_percent": "10"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/brand/campaigns/{campaign_id}/brand-lift",
            data={"csrf_token": token, "question": "Which of these?", "answers": "A\nB", "correct_answer": "A"},
        ).status_code
        == 404
    )
    assert client.get(f"/console/campaigns/{campaign_id}/case-study/edit").status_code == 404
    assert operator.get(f"/v1/campaigns/{campaign_id}")["holdout_percent"] == 50 and studies(engine) == 0

    client.post("/logout", data={"csrf_token": token})
    make_user(engine, BRAND, Role.ADVERTISER, advertiser_api.advertiser_id)
    sign_in(client, BRAND)
    html = client.get(f"/brand/campaigns/{campaign_id}/case-study")
    assert html.status_code == 200 and "Acme Outdoor" in html.text
    pdf = client.get(f"/brand/campaigns/{campaign_id}/case-study", params={"format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Acme Outdoor" in text and "Methodology" in text
