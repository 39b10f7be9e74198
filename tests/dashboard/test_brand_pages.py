"""Brand self-serve in-process: sign-up, approval, the wizard (all or nothing), exports, tenancy."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from shelfspace.accounts.roles import Role
from shelfspace.catalog.models import Campaign, Creative, LineItem
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.reporting.models import RollupDay
from tests.dashboard.images import png
from tests.dashboard.pages import PASSWORD, confirm_email, make_user, sign_in, token_of
from tests.support import BANNER, Api

TOMORROW = (date.today() + timedelta(days=1)).isoformat()


def _counts(engine: Engine) -> tuple[int, int, int]:
    with session_scope(make_sessionmaker(engine)) as db:
        return tuple(db.scalar(select(func.count()).select_from(t)) or 0 for t in (Campaign, LineItem, Creative))  # type: ignore[return-value]


def _signup(client: TestClient, **fields: str):  # type: ignore[no-untyped-def]
    token = token_of(client.get("/signup").text)
    data = {
        "name": "Harbor Tea",
        "domain": "harbortea.example",
        "category": "beverages/tea",
        "email": "ops@harbortea.example",
        "password": PASSWORD,
    } | fields
    return client.post("/signup", data=data | {"csrf_token": token}, follow_redirects=False)


def test_sign_up_names_each_mistake_and_creates_nothing(client: TestClient, operator: Api) -> None:
    answer = _signup(client, domain="not a domain", password="short", email="nobody")
    assert answer.status_code == 400
    html = answer.text
    for field in ("domain", "password", "email"):
        assert f'id="{field}-error"' in html, field
    assert 'value="Harbor Tea"' in html  # what was typed stays
    assert operator.get("/v1/advertisers")["data"] == []


def test_a_new_brand_waits_for_approval_then_builds_a_campaign(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    operator.post("/v1/placements", BANNER)
    assert _signup(client).status_code == 303
    assert 'data-state="check-email"' in client.get("/brand").text  # the e-mail is proven first
    confirm_email(client, engine, "ops@harbortea.example")
    home = client.get("/brand")
    assert "reviewing" in home.text and "Harbor Tea" in home.text
    assert "reviewing" in client.get("/brand/campaigns/new").text  # no form before approval
    brand = operator.get("/v1/advertisers", params={"status": "pending"})["data"][0]
    assert brand["name"] == "Harbor Tea"
    # A second sign-up with the same email is refused beside the field, and nothing is made.
    other = TestClient(client.app)
    again = _signup(other, name="Copycat", domain="copycat.example")
    assert again.status_code == 400 and 'id="email-error"' in again.text
    assert len(operator.get("/v1/advertisers")["data"]) == 1

    operator.patch(f"/v1/advertisers/{brand['id']}", {"status": "active"})
    page = client.get("/brand/campaigns/new")
    assert "Home hero" in page.text and "Your bid" in page.text
    form = {
        "csrf_token": token_of(page.text),
        "goal": "awareness",
        "name": "Tea time",
        "budget_total": "500",
        "budget_daily": "40",
        "start": TOMORROW,
        "pacing": "even",
        "placements": "home-hero",
        "pricing": "cpm",
        "bid": "6",
        "countries": "gb",
        "click_url": "https://harbortea.example/tea",
    }
    wrong_size = client.post("/brand/campaigns/new", data=form, files={"image": ("ad.png", png(100, 100), "image/png")})
    assert wrong_size.status_code == 400 and 'id="image-error"' in wrong_size.text
    assert "100x100" in wrong_size.text
    assert _counts(engine) == (0, 0, 0)  # the campaign and line item were not kept either
    below_floor = client.post(
        "/brand/campaigns/new", data=form | {"bid": "1"}, files={"image": ("ad.png", png(300, 250), "image/png")}
    )
    assert below_floor.status_code == 400 and 'id="bid-error"' in below_floor.text and "floor" in below_floor.text
    assert 'data-first-step="4"' in below_floor.text  # the wizard reopens at the bid
    assert _counts(engine) == (0, 0, 0)
    made = client.post(
        "/brand/campaigns/new",
        data=form,
        files={"image": ("ad.png", png(300, 250), "image/png")},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    assert _counts(engine) == (1, 1, 1)
    creative = operator.get("/v1/creatives")["data"][0]
    assert creative["size"] == "300x250" and creative["status"] == "pending"
    image = client.get(creative["image_url"].split("shelfspace.test", 1)[1])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    campaign = client.get(made.headers["location"])
    assert "Tea time" in campaign.text and "waiting for the operator" in campaign.text


def test_an_upload_that_is_not_an_image_is_named(client: TestClient, operator: Api, engine: Engine) -> None:
    brand = operator.post("/v1/advertisers", {"name": "Acme Outdoor", "domain": "acme.example"})
    operator.post("/v1/placements", BANNER)
    make_user(engine, "brand@acme.example", Role.ADVERTISER, brand["id"])
    sign_in(client, "brand@acme.example")
    token = token_of(client.get("/brand/campaigns/new").text)
    answer = client.post(
        "/brand/campaigns/new",
        data={
            "csrf_token": token,
            "name": "x",
            "budget_total": "10",
            "start": TOMORROW,
            "placements": "home-hero",
            "bid": "5",
        },
        files={"image": ("ad.png", b"<html>not an image</html>", "image/png")},
    )
    assert answer.status_code == 400 and "not a PNG, JPEG or GIF image" in answer.text
    assert _counts(engine) == (0, 0, 0)


def _brand_with_delivery(operator: Api, engine: Engine, name: str, domain: str) -> tuple[str, str]:
    brand = operator.post("/v1/advertisers", {"name": name, "domain": domain})
    campaign = operator.post(
        "/v1/campaigns",
        {
            "advertiser_id": brand["id"],
            "name": f"{name} launch",
            "start": f"{date.today().isoformat()}T00:00:00Z",
            "budget_total": 100,
            "budget_daily": 10,
        },
    )
    with session_scope(make_sessionmaker(engine)) as db:
        db.add(
            RollupDay(
                day=date.today().isoformat(),
                advertiser_id=brand["id"],
                campaign_id=campaign["id"],
                line_item_id="li",
                creative_id="cr",
                placement_id="home-hero",
                channel="web",
                sku="",
                impressions=1000,
                viewable_impressions=600,
                clicks=12,
                spend_micros=4_000_000,
                invalid_impressions=0,
                invalid_viewable_impressions=0,
                invalid_clicks=0,
            )
        )
    make_user(engine, f"person@{domain}", Role.ADVERTISER, brand["id"])
    return brand["id"], campaign["id"]


def test_a_campaign_page_shows_results_and_exports_them(client: TestClient, operator: Api, engine: Engine) -> None:
    _, campaign_id = _brand_with_delivery(operator, engine, "Acme Outdoor", "acme.example")
    sign_in(client, "person@acme.example")
    page = client.get(f"/brand/campaigns/{campaign_id}")
    assert page.status_code == 200
    assert "1,000" in page.text and "1.20%" in page.text and "4.00" in page.text  # impressions, CTR, spend
    exported = client.get(f"/brand/campaigns/{campaign_id}/report.csv", params={"group_by": "day"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(line for line in io.StringIO(exported.text) if not line.startswith("#")))
    assert [(r["day"], r["impressions"], r["clicks"]) for r in rows] == [(date.today().isoformat(), "1000", "12")]


def test_a_brand_never_reaches_another_brands_pages(client: TestClient, operator: Api, engine: Engine) -> None:
    _brand_with_delivery(operator, engine, "Acme Outdoor", "acme.example")
    _, theirs = _brand_with_delivery(operator, engine, "Rival Goods", "rival.example")
    sign_in(client, "person@acme.example")
    assert "Rival" not in client.get("/brand").text
    assert client.get(f"/brand/campaigns/{theirs}").status_code == 404
    assert client.get(f"/brand/campaigns/{theirs}/report.csv").status_code == 404
    token = token_of(client.get("/brand").text)
    assert (
        client.post(f"/brand/campaigns/{theirs}/status", data={"csrf_token": token, "status": "paused"}).status_code
        == 404
    )
    assert operator.get(f"/v1/campaigns/{theirs}")["status"] == "live"
    assert client.get("/console").status_code == 404  # and no operator page either
