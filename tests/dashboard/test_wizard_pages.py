"""The campaign wizard in-process: each step checked as it goes in a marketer's words, the
summary before saving, sponsored products only from the brand's own, drafts, the truthful
placement table, an uploaded video played in review, and a live test's holdout kept out of
a brand's reach."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from shelfspace.accounts.models import AuditEntry
from shelfspace.accounts.roles import Role
from shelfspace.catalog.models import Campaign, CampaignDraft, Creative, LineItem
from shelfspace.dashboard import uploads
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.delivery.models import PlacementRequests
from shelfspace.reporting.models import RollupDay
from tests.dashboard.images import MP4, png
from tests.dashboard.pages import make_user, sign_in, token_of
from tests.support import BANNER, SEARCH, VIDEO, Api, field_errors, runtime

TOMORROW = (date.today() + timedelta(days=1)).isoformat()
RAW = ("String should", "Input should", "fits none of the line item", "above budget_total", "is below the floor 2.5")
PRODUCTS = [
    {"sku": "TENT-2P", "title": "Two-person tent", "brand": "Acme Outdoor", "price": 199.0},
    {"sku": "RIVAL-TENT", "title": "Rival tent", "brand": "Rival Camping", "price": 149.0},
]


def _counts(engine: Engine) -> tuple[int, ...]:
    with session_scope(make_sessionmaker(engine)) as db:
        return tuple(
            db.scalar(select(func.count()).select_from(t)) or 0 for t in (Campaign, LineItem, Creative, AuditEntry)
        )


@pytest.fixture
def brand(client: TestClient, operator: Api, engine: Engine) -> str:
    advertiser = operator.post("/v1/advertisers", {"name": "Acme Outdoor", "domain": "acme.example"})
    operator.post("/v1/placements", BANNER)
    operator.post("/v1/placements", SEARCH)
    operator.post("/v1/products/import", {"products": PRODUCTS}, status=200)
    make_user(engine, "brand@acme.example", Role.ADVERTISER, advertiser["id"])
    sign_in(client, "brand@acme.example")
    return str(advertiser["id"])


def _form(client: TestClient, **fields: Any) -> dict[str, Any]:
    base = {
        "csrf_token": token_of(client.get("/brand/campaigns/new").text),
        "goal": "awareness",
        "name": "Tent week",
        "budget_total": "500",
        "budget_daily": "40",
        "start": TOMORROW,
        "end": "",
        "pacing": "even",
        "placements": "home-hero",
        "pricing": "cpm",
        "bid": "6",
        "click_url": "https://acme.example/tents",
    }
    return base | fields


def _check(client: TestClient, step: int, **fields: Any) -> dict[str, Any]:
    answer = client.post("/brand/campaigns/new/check", data=_form(client, **fields) | {"step": str(step)})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    for message in found["errors"].values():
        assert not any(raw in message for raw in RAW), message
    return found


def test_each_step_is_checked_in_plain_words_and_nothing_is_kept(
    client: TestClient, brand: str, engine: Engine
) -> None:
    before = _counts(engine)
    assert _check(client, 0, name="") == {
        "errors": {"name": "Give the campaign a name, e.g. Spring launch."},
        "step": 0,
        "summary": None,
    }
    # The services' own rules, in words; a later step's mistakes wait for that step.
    budget = _check(client, 1, budget_daily="600", bid="")
    assert budget["errors"] == {"budget_daily": "The daily budget can't be more than the total budget."}
    assert _check(client, 1, budget_daily="", end="")["errors"]["pacing"].startswith("Even pacing spreads your budget")
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    assert "in the past" in _check(client, 1, start=yesterday)["errors"]["start"]
    mixed = _check(client, 2, placements=["home-hero", "search-top"])
    assert mixed["errors"]["placements"] == "Choose placements of one format: one creative serves them all."
    floor = _check(client, 4, bid="1")
    assert floor["step"] == 4 and floor["errors"]["bid"] == (
        "Your bid is below the floor of Home hero: bid at least 2.50, the lowest price per thousand impressions it accepts."
    )
    # An image chosen in the browser is checked by the size read there, before any upload.
    wrong = _check(client, 5, image_probe="100x100")
    assert wrong["errors"] == {
        "image": "This image is 100x100 pixels, and the placements you chose show 1200x400 "
        "or 300x250. Upload an image of one of those sizes."
    }
    assert _check(client, 5)["errors"] == {"image": "Upload your ad's image."}
    assert _counts(engine) == before  # checks book nothing and record nothing


def test_the_last_step_sums_up_what_is_bought_and_its_cost(client: TestClient, brand: str, engine: Engine) -> None:
    end = (date.today() + timedelta(days=10)).isoformat()
    found = _check(client, 5, image_probe="300x250", end=end, keywords="tents, camping", countries="gb", cap_count="3")
    assert found["errors"] == {} and found["step"] is None
    summary = re.sub(r"\s+", " ", found["summary"])
    assert "$400.00</strong> at most over 10 days" in summary  # 40 a day for 10 days, within the 500
    assert "Total budget: <strong>$500.00</strong>; at most <strong>$40.00</strong> a day" in summary
    assert "$6.00 per thousand impressions (CPM)" in summary and "Home hero" in summary
    assert (
        "Searching for tents, camping" in summary
        and "In GB" in summary
        and "At most 3 ads per person per day" in summary
    )
    assert "The image you chose (300x250)" in summary and "Clicks go to https://acme.example/tents" in summary
    assert _counts(engine)[:3] == (0, 0, 0)


def test_a_failed_save_speaks_plainly_and_reopens_at_the_step(client: TestClient, brand: str, engine: Engine) -> None:
    page = client.post(
        "/brand/campaigns/new",
        data=_form(client, name="", budget_total="0"),
        files={"image": ("ad.png", png(300, 250), "image/png")},
    )
    assert page.status_code == 400 and 'data-first-step="0"' in page.text
    assert "Give the campaign a name, e.g. Spring launch." in page.text
    assert "Enter a total budget above zero." in page.text
    assert not [raw for raw in RAW if raw in page.text]
    assert _counts(engine)[:3] == (0, 0, 0)
    # Enter never submits without a choice: the form's first submit button saves a draft.
    buttons = re.findall(r'<button type="submit" name="action" value="(\w+)"', page.text)
    assert buttons == ["draft", "create"]
    steps = re.findall(
        r'<button type="button" class="step-label" data-step-label="(\d)"\s*(aria-current="step")?', page.text
    )
    assert [s for s, _ in steps] == [str(i) for i in range(7)] and steps[0][1] == 'aria-current="step"'


def test_sponsored_products_only_from_the_brands_own(
    client: TestClient, operator: Api, brand: str, engine: Engine
) -> None:
    page = client.get("/brand/campaigns/new").text
    assert 'value="TENT-2P"' in page and "RIVAL-TENT" not in page
    assert [p["sku"] for p in client.get("/brand/products", params={"q": "tent"}).json()] == ["TENT-2P"]
    sponsored = {"goal": "sales", "placements": "search-top", "pricing": "cpc", "bid": "0.5", "click_url": ""}
    refused = client.post("/brand/campaigns/new", data=_form(client, **sponsored, products=["TENT-2P", "RIVAL-TENT"]))
    assert refused.status_code == 400 and 'id="products-error"' in refused.text
    assert "RIVAL-TENT (Rival Camping)" in refused.text and _counts(engine)[:3] == (0, 0, 0)
    # The operator allows the brand to resell: the rival's product is offered, and booked.
    operator.patch(f"/v1/advertisers/{brand}", {"reseller": True})
    assert [p["sku"] for p in client.get("/brand/products", params={"q": "tent"}).json()] == ["RIVAL-TENT", "TENT-2P"]
    made = client.post(
        "/brand/campaigns/new", data=_form(client, **sponsored, products=["RIVAL-TENT"]), follow_redirects=False
    )
    assert made.status_code == 303, made.text
    # The operator's review card says whose product it is.
    make_user(engine, "ops@network.example")
    other = TestClient(client.app)
    sign_in(other, "ops@network.example")
    card = other.get("/console/review").text
    assert 'data-sku-owner="other"' in card and "Rival Camping" in card and "Acme Outdoor is a reseller" in card


def test_the_operator_sets_the_reseller_flag_on_the_advertiser_page(
    client: TestClient, operator: Api, brand: str, engine: Engine
) -> None:
    make_user(engine, "ops@network.example")
    client.post("/logout", data={"csrf_token": token_of(client.get("/brand").text)})
    sign_in(client, "ops@network.example")
    page = client.get("/console/advertisers").text
    assert 'data-reseller="no"' in page
    answer = client.post(
        f"/console/advertisers/{brand}/reseller",
        data={"reseller": "yes", "csrf_token": token_of(page)},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and operator.get(f"/v1/advertisers/{brand}")["reseller"] is True


def test_a_draft_is_kept_resumed_finished_and_deleted(
    client: TestClient, operator: Api, brand: str, engine: Engine
) -> None:
    saved = client.post(
        "/brand/campaigns/new", data=_form(client, name="Half done", bid="", action="draft"), follow_redirects=False
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/brand#drafts"
    home = client.get("/brand").text
    draft_id = re.search(r'data-draft="(drf_[0-9a-f]+)"', home).group(1)  # type: ignore[union-attr]
    assert "Half done" in home and ">Draft<" in home and _counts(engine)[:3] == (0, 0, 0)
    resumed = client.get(f"/brand/campaigns/new?draft={draft_id}").text
    assert 'name="name" value="Half done"' in resumed and f'name="draft" value="{draft_id}"' in resumed
    assert 'name="budget_daily" value="40"' in resumed
    # Another brand neither sees nor resumes it.
    rival = operator.post("/v1/advertisers", {"name": "Rival Camping", "domain": "rival.example"})
    make_user(engine, "brand@rival.example", Role.ADVERTISER, rival["id"])
    other = TestClient(client.app)
    sign_in(other, "brand@rival.example")
    assert "Half done" not in other.get("/brand").text
    assert other.get(f"/brand/campaigns/new?draft={draft_id}").status_code == 404
    token = token_of(other.get("/brand").text)
    assert other.post(f"/brand/drafts/{draft_id}/delete", data={"csrf_token": token}).status_code == 404
    # Finished from the draft: the campaign is made and the draft is gone.
    made = client.post(
        "/brand/campaigns/new",
        data=_form(client, name="Half done", draft=draft_id),
        files={"image": ("ad.png", png(300, 250), "image/png")},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    assert _counts(engine)[:3] == (1, 1, 1) and "data-draft=" not in client.get("/brand").text
    # Deleting one.
    client.post("/brand/campaigns/new", data=_form(client, name="Never mind", action="draft"))
    with session_scope(make_sessionmaker(engine)) as db:
        second = db.scalar(select(CampaignDraft.id))
    deleted = client.post(
        f"/brand/drafts/{second}/delete",
        data={"csrf_token": token_of(client.get("/brand").text)},
        follow_redirects=False,
    )
    assert deleted.status_code == 303 and "data-draft=" not in client.get("/brand").text


# A video campaign on the CTV pre-roll (tests/support.py VIDEO: CPM, floor 20).
VIDEO_STEPS = {"placements": "ctv-preroll", "bid": "25", "duration_seconds": "15"}


def _uploads(client: TestClient) -> list[str]:
    folder = runtime(client).settings.data_dir / uploads.UPLOADS
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _creatives(engine: Engine) -> list[Creative]:
    with session_scope(make_sessionmaker(engine)) as db:
        found = list(db.scalars(select(Creative)))
        db.expunge_all()
        return found


def test_an_uploaded_video_is_booked_from_our_own_files_and_plays_in_review(
    client: TestClient, operator: Api, brand: str, engine: Engine
) -> None:
    operator.post("/v1/placements", VIDEO)
    page = client.get("/brand/campaigns/new").text
    assert 'type="file" name="video" accept="video/mp4,video/webm"' in page and "up to 50 MB" in page
    assert "or the URL of an MP4 on your site" in page and 'name="video_kept" value=""' in page
    made = client.post(
        "/brand/campaigns/new",
        data=_form(client, **VIDEO_STEPS),
        files={"video": ("spot.mp4", MP4, "video/mp4")},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    [creative] = _creatives(engine)
    [stored] = _uploads(client)
    assert creative.media_url == f"http://shelfspace.test/uploads/{stored}" and stored.endswith(".mp4")
    assert creative.media_type == "video/mp4" and creative.duration_seconds == 15
    assert client.get(f"/uploads/{stored}").content == MP4
    # The operator's review plays the file itself: a <video> of our own upload, not a placeholder.
    make_user(engine, "ops@network.example")
    desk = TestClient(client.app)
    sign_in(desk, "ops@network.example")
    queue = desk.get("/console/review").text
    assert f'<video class="ad-video-player" src="{creative.media_url}"' in queue and "controls" in queue


def test_a_file_that_is_not_a_video_is_refused_beside_the_field_and_nothing_is_booked(
    client: TestClient, operator: Api, brand: str, engine: Engine
) -> None:
    operator.post("/v1/placements", VIDEO)
    before = _counts(engine)
    refused = client.post(
        "/brand/campaigns/new",
        data=_form(client, **VIDEO_STEPS),
        files={"video": ("spot.mp4", b"<html>not a video</html>", "video/mp4")},
    )
    assert refused.status_code == 400 and 'data-first-step="5"' in refused.text
    assert re.search(
        r'id="video-error"[^>]*>This file is not a video we can show: upload an MP4 or WebM file\.<', refused.text
    )
    assert _counts(engine) == before and _uploads(client) == []
    # Neither a file nor an address: asked for beside the file, in the same words as the step's check.
    missing = client.post("/brand/campaigns/new", data=_form(client, **VIDEO_STEPS))
    assert missing.status_code == 400 and re.search(
        r'id="video-error"[^>]*>Upload your video file, or give', missing.text
    )
    assert _check(client, 5, **VIDEO_STEPS)["errors"] == {
        "video": "Upload your video file, or give the address of an MP4 on your site."
    }
    assert _counts(engine) == before


def test_a_chosen_video_is_checked_by_its_type_and_weight_before_it_is_sent(
    client: TestClient, operator: Api, brand: str, engine: Engine
) -> None:
    operator.post("/v1/placements", VIDEO)
    not_video = _check(client, 5, **VIDEO_STEPS, video_probe="image/png 2000")
    assert not_video["errors"] == {"video": "This file is not a video we can show: upload an MP4 or WebM file."}
    heavy = _check(client, 5, **VIDEO_STEPS, video_probe=f"video/mp4 {uploads.MAX_VIDEO_BYTES + 1}")
    assert heavy["errors"] == {
        "video": "This video is larger than 50 MB: upload a shorter or more compressed file of at most 50 MB."
    }
    fine = _check(client, 5, **VIDEO_STEPS, video_probe="video/webm 2000000")
    assert fine["errors"] == {} and "15-second video: the file you chose" in re.sub(r"\s+", " ", fine["summary"])
    # A URL typed instead of a file is summed up as given.
    by_url = _check(client, 5, **VIDEO_STEPS, media_url="https://acme.example/spot.mp4")
    assert by_url["errors"] == {} and "https://acme.example/spot.mp4" in by_url["summary"]
    assert _uploads(client) == [] and _counts(engine)[:3] == (0, 0, 0)  # checks store no file and book nothing


def test_an_uploaded_video_is_kept_by_a_retry_and_by_a_draft(
    client: TestClient, operator: Api, brand: str, engine: Engine
) -> None:
    operator.post("/v1/placements", VIDEO)
    # Another step is wrong: nothing is booked, and the file sent is kept for the next try.
    first = client.post(
        "/brand/campaigns/new",
        data=_form(client, **VIDEO_STEPS, name=""),
        files={"video": ("spot.mp4", MP4, "video/mp4")},
    )
    assert first.status_code == 400 and 'data-first-step="0"' in first.text and _counts(engine)[:3] == (0, 0, 0)
    [stored] = _uploads(client)
    assert f'name="video_kept" value="{stored}"' in first.text
    assert "the video you uploaded is kept unless you choose another" in first.text
    # The step check sums it up as the file uploaded, and plays it.
    summary = _check(client, 5, **VIDEO_STEPS, video_kept=stored)["summary"]
    assert "the file you uploaded" in summary and f'src="http://shelfspace.test/uploads/{stored}"' in summary
    # Kept by a draft, and back in the form when it is resumed.
    saved = client.post(
        "/brand/campaigns/new",
        data=_form(client, **VIDEO_STEPS, name="Spot", video_kept=stored, action="draft"),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    with session_scope(make_sessionmaker(engine)) as db:
        draft_id = db.scalar(select(CampaignDraft.id))
    resumed = client.get(f"/brand/campaigns/new?draft={draft_id}").text
    assert f'name="video_kept" value="{stored}"' in resumed
    # Finished with no file sent again: the kept one is the creative's, with its type read from its bytes.
    made = client.post(
        "/brand/campaigns/new",
        data=_form(client, **VIDEO_STEPS, name="Spot", video_kept=stored, draft=str(draft_id)),
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    [creative] = _creatives(engine)
    assert creative.media_url == f"http://shelfspace.test/uploads/{stored}" and creative.media_type == "video/mp4"
    assert _uploads(client) == [stored]
    # A kept name that is not one of our files is ignored, never taken as a path.
    forged = client.post("/brand/campaigns/new", data=_form(client, **VIDEO_STEPS, video_kept="../../etc/passwd"))
    assert forged.status_code == 400 and 'id="video-error"' in forged.text


def test_placements_show_requests_a_day_and_reach_truthfully(
    client: TestClient, operator: Api, brand: str, engine: Engine
) -> None:
    operator.post(
        "/v1/placements",
        {
            "id": "checkout-screens",
            "name": "Checkout screens",
            "channel": "instore",
            "format": "video",
            "sizes": ["1920x1080"],
            "floor_cpm": 8,
        },
    )
    with session_scope(make_sessionmaker(engine)) as db:
        for back in range(1, 8):  # a young network: a week of checkout screen plays, nobody identified
            day = (date.today() - timedelta(days=back)).isoformat()
            db.add(PlacementRequests(day=day, hour=12, placement_id="checkout-screens", requests=168, filled=150))
            db.add(
                RollupDay(
                    day=day,
                    advertiser_id=brand,
                    campaign_id="c",
                    line_item_id="li",
                    creative_id="cr",
                    placement_id="checkout-screens",
                    channel="instore",
                    sku="",
                    impressions=150,
                    viewable_impressions=150,
                    clicks=0,
                    spend_micros=1_000_000,
                    invalid_impressions=0,
                    invalid_viewable_impressions=0,
                    invalid_clicks=0,
                )
            )
    page = client.get("/brand/campaigns/new").text
    assert re.search(r'data-reach="checkout-screens">\s*<span class="muted small">not identified', page)
    assert 'data-requests="checkout-screens">168<' in page  # over the 7 days it has, not 30
    assert re.search(r'data-reach="home-hero">\s*<span class="muted small">no ads shown yet', page)
    assert "Shoppers who saw its ads (7 days)" in page


def test_a_brand_cannot_move_the_holdout_of_a_live_test(client: TestClient, operator: Api, brand: str) -> None:
    start = datetime.now(UTC) - timedelta(days=1)
    test = operator.post(
        "/v1/campaigns",
        {
            "advertiser_id": brand,
            "name": "Lift test",
            "start": start.isoformat(),
            "end": (start + timedelta(days=20)).isoformat(),
            "budget_total": 100,
            "is_test": True,
        },
    )
    page = client.get(f"/brand/campaigns/{test['id']}/measurement").text
    assert "data-holdout-fixed" in page and f'action="/brand/campaigns/{test["id"]}/holdout"' not in page
    token = token_of(page)
    refused = client.post(f"/brand/campaigns/{test['id']}/holdout", data={"holdout_percent": "5", "csrf_token": token})
    assert refused.status_code == 400 and "fixed once it has started" in refused.text
    assert operator.get(f"/v1/campaigns/{test['id']}")["holdout_percent"] == 20
    assert (
        operator.patch(f"/v1/campaigns/{test['id']}", {"holdout_percent": 10})["holdout_percent"] == 10
    )  # the operator may


def test_the_api_refuses_a_brand_moving_a_live_holdout(operator: Api, advertiser_api: Api) -> None:
    start = datetime.now(UTC) - timedelta(hours=1)
    test = advertiser_api.post(
        "/v1/campaigns",
        {"name": "Lift test", "start": start.isoformat(), "budget_total": 100, "budget_daily": 10, "is_test": True},
    )
    answer = advertiser_api.call("PATCH", f"/v1/campaigns/{test['id']}", {"holdout_percent": 30})
    assert answer.status_code == 422 and "fixed once it has started" in field_errors(answer.json())["holdout_percent"]
    advertiser_api.patch(f"/v1/campaigns/{test['id']}", {"holdout_percent": 20, "name": "Renamed"})  # unchanged: fine
    later = advertiser_api.post(
        "/v1/campaigns",
        {
            "name": "Next test",
            "start": (start + timedelta(days=3)).isoformat(),
            "budget_total": 100,
            "budget_daily": 10,
            "is_test": True,
        },
    )
    assert advertiser_api.patch(f"/v1/campaigns/{later['id']}", {"holdout_percent": 30})["holdout_percent"] == 30
