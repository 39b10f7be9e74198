"""The operator console in-process: figures from the rollups, the review queue, and who may see it."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfspace.accounts.roles import Role
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.delivery.models import PlacementRequests
from shelfspace.reporting.models import RollupDay
from tests.dashboard.pages import make_user, post_form, sign_in
from tests.support import BANNER, Api, build_network


def _operator_session(client: TestClient, engine: Engine) -> None:
    make_user(engine, "ops@network.example")
    sign_in(client, "ops@network.example")


def test_the_overview_shows_revenue_and_fill_by_placement(client: TestClient, operator: Api, engine: Engine) -> None:
    operator.post("/v1/placements", BANNER)
    today = date.today().isoformat()
    with session_scope(make_sessionmaker(engine)) as db:
        db.add(
            RollupDay(
                day=today,
                advertiser_id="a",
                campaign_id="c",
                line_item_id="l",
                creative_id="cr",
                placement_id="home-hero",
                channel="web",
                sku="",
                impressions=2000,
                viewable_impressions=1000,
                clicks=10,
                spend_micros=9_000_000,
                invalid_impressions=0,
                invalid_viewable_impressions=0,
                invalid_clicks=0,
            )
        )
        db.add(PlacementRequests(day=today, hour=9, placement_id="home-hero", requests=4000, filled=2000))
    _operator_session(client, engine)
    html = client.get("/console").text
    assert "Network overview" in html
    assert "9.00" in html and "2,000" in html and "50.0%" in html and "4.50" in html  # revenue, impressions, fill, eCPM
    assert '"Revenue"' in html  # the chart's data is in the page


def test_reviewing_creatives_approves_or_rejects_with_a_reason(
    client: TestClient, operator: Api, engine: Engine, advertiser_api: Api
) -> None:
    network = build_network(operator, advertiser_api.advertiser_id)  # type: ignore[arg-type]
    pending = advertiser_api.post(
        "/v1/creatives",
        {
            "format": "banner",
            "size": "300x250",
            "line_item_id": network["line_item"]["id"],
            "image_url": "https://acme.example/ad.png",
            "click_url": "https://acme.example/",
        },
    )
    assert pending["status"] == "pending"
    _operator_session(client, engine)
    queue = client.get("/console/review").text
    assert pending["id"] in queue and "300x250 banner" in queue and "acme.example/ad.png" in queue
    assert '<img src="https://acme.example' not in queue  # the preview never loads other sites' files
    refused = post_form(client, "/console/review", f"/console/review/creatives/{pending['id']}", {"verdict": "reject"})
    assert refused.status_code == 400 and "say why" in refused.text
    assert operator.get(f"/v1/creatives/{pending['id']}")["status"] == "pending"
    done = post_form(client, "/console/review", f"/console/review/creatives/{pending['id']}", {"verdict": "approve"})
    assert done.status_code == 303
    assert operator.get(f"/v1/creatives/{pending['id']}")["status"] == "approved"
    after = client.get("/console/review").text
    assert "approved: it can serve now" in after  # the notice, shown once
    assert f'data-creative="{pending["id"]}"' not in after and "0 creatives waiting" in after


def test_a_pending_brand_is_approved_from_the_queue(client: TestClient, operator: Api, engine: Engine) -> None:
    brand = operator.post("/v1/advertisers", {"name": "Harbor Tea", "domain": "harbortea.example", "status": "pending"})
    _operator_session(client, engine)
    assert "Approve Harbor Tea" in client.get("/console/review").text
    post_form(client, "/console/review", f"/console/review/advertisers/{brand['id']}", {"verdict": "approve"})
    assert operator.get(f"/v1/advertisers/{brand['id']}")["status"] == "active"


def test_console_pages_are_for_operators_only(client: TestClient, operator: Api, engine: Engine) -> None:
    for path in ("/console", "/console/review"):
        assert client.get(path, follow_redirects=False).status_code == 303
    brand = operator.post("/v1/advertisers", {"name": "Acme Outdoor", "domain": "acme.example"})
    make_user(engine, "brand@acme.example", Role.ADVERTISER, brand["id"])
    sign_in(client, "brand@acme.example")
    for path in ("/console", "/console/review"):
        assert client.get(path).status_code == 404
    answer = client.post(f"/console/review/advertisers/{brand['id']}", data={"verdict": "reject"})
    assert answer.status_code in (403, 404)
    assert operator.get(f"/v1/advertisers/{brand['id']}")["status"] == "active"


def test_the_media_kit_is_public_and_counted_from_the_network(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    operator.post("/v1/placements", BANNER)
    with session_scope(make_sessionmaker(engine)) as db:
        db.add(
            PlacementRequests(day=date.today().isoformat(), hour=9, placement_id="home-hero", requests=3000, filled=10)
        )
    html = client.get("/media-kit").text
    assert "Home hero" in html and "2.50" in html and "1200x400, 300x250" in html  # a placement, its floor and sizes
    assert "3,000" in html and "100" in html  # opportunities in 30 days, and a day
    assert "/signup" in html
