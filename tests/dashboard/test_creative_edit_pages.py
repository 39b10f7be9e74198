"""A brand edits its creatives in-process (/brand/creatives/{id}/edit): a change to what the
operator judged sends the creative back to review, audited; a wrong size is refused beside
the field before anything is kept or changed; a move to another line item follows the review
scope's rule; another brand's creative is not found, and a forged form is refused."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from shelfspace.accounts.models import AuditEntry
from shelfspace.accounts.roles import Role
from shelfspace.dashboard import uploads
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.http.body_limits import CREATIVE_VIDEO_BYTES, FORM_FIELDS_BYTES, BodyKind, limit_for
from tests.dashboard.images import png
from tests.dashboard.pages import make_user, sign_in, token_of
from tests.support import BANNER, PRODUCTS, SEARCH, VIDEO, Api, campaign_body, live_dates, runtime

SIDE = {
    "id": "side-box",
    "name": "Side box",
    "channel": "web",
    "format": "banner",
    "sizes": ["300x250"],
    "floor_cpm": 1,
}


def _brand(operator: Api, engine: Engine, name: str, domain: str, placements: list[str]) -> dict[str, Any]:
    brand = operator.post("/v1/advertisers", {"name": name, "domain": domain})
    campaign = operator.post("/v1/campaigns", campaign_body(brand["id"], name=f"{name} launch", **live_dates()))
    line_item = operator.post(
        "/v1/line-items", {"campaign_id": campaign["id"], "name": "Hero", "bid": 25, "placements": placements}
    )
    creative = operator.post(
        "/v1/creatives",
        {
            "advertiser_id": brand["id"],
            "line_item_id": line_item["id"],
            "format": "banner",
            "size": "300x250",
            "image_url": f"https://{domain}/a.png",
            "click_url": f"https://{domain}/",
        },
    )
    assert creative["status"] == "approved"  # made by the operator
    make_user(engine, f"person@{domain}", Role.ADVERTISER, brand["id"])
    return {"brand": brand, "campaign": campaign, "line_item": line_item, "creative": creative}


@pytest.fixture
def acme(client: TestClient, operator: Api, engine: Engine) -> dict[str, Any]:
    operator.post("/v1/placements", BANNER)
    made = _brand(operator, engine, "Acme Outdoor", "acme.example", ["home-hero"])
    sign_in(client, "person@acme.example")
    return made


def _save(client: TestClient, creative_id: str, fields: dict[str, str], files: dict[str, Any] | None = None) -> Any:
    page = client.get(f"/brand/creatives/{creative_id}/edit")
    assert page.status_code == 200, page.text
    return client.post(
        f"/brand/creatives/{creative_id}/edit",
        data=fields | {"csrf_token": token_of(page.text)},
        files=files,
        follow_redirects=False,
    )


def _flash(client: TestClient, answer: Any) -> str:
    assert answer.status_code == 303, answer.text
    page = client.get(answer.headers["location"]).text
    return unescape(page.split('class="flash" role="status">', 1)[1].split("</p>", 1)[0])


def _audit(engine: Engine, object_id: str) -> list[tuple[str, dict[str, Any] | None]]:
    with session_scope(make_sessionmaker(engine)) as db:
        return [
            (e.action, e.changes)
            for e in db.scalars(select(AuditEntry).where(AuditEntry.object_id == object_id).order_by(AuditEntry.id))
        ]


def _uploads(client: TestClient) -> list[str]:
    folder = runtime(client).settings.data_dir / uploads.UPLOADS
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_new_click_address_sends_the_creative_back_to_review_audited(
    client: TestClient, operator: Api, engine: Engine, acme: dict[str, Any]
) -> None:
    creative, line_item = acme["creative"], acme["line_item"]
    campaign_page = client.get(f"/brand/campaigns/{acme['campaign']['id']}").text
    assert f'href="/brand/creatives/{creative["id"]}/edit"' in campaign_page  # beside Archive on the campaign
    assert f'href="/brand/creatives/{creative["id"]}/edit"' in client.get("/brand/creatives").text  # and the list
    page = unescape(client.get(f"/brand/creatives/{creative['id']}/edit").text)
    assert "What happens when you save" in page and "It is approved and serving." in page
    assert "sends it back to the operator's review: it stops serving until it is approved again" in page
    assert 'value="https://acme.example/"' in page and "Leave it empty to keep the current image." in page

    unchanged = _save(client, creative["id"], {"line_item": line_item["id"], "click_url": "https://acme.example/"})
    assert _flash(client, unchanged) == "Nothing was changed in your banner 300x250."
    assert operator.get(f"/v1/creatives/{creative['id']}")["status"] == "approved"
    assert [a for a, _ in _audit(engine, creative["id"])] == ["create"]

    saved = _save(client, creative["id"], {"line_item": line_item["id"], "click_url": "https://acme.example/tents"})
    assert saved.headers["location"] == f"/brand/campaigns/{acme['campaign']['id']}#creatives"
    assert _flash(client, saved) == (
        "Your banner 300x250 is saved: click address changed. It is back in the operator's "
        "review (a change to what the operator approved): it does not serve until it is "
        "approved again."
    )
    now = operator.get(f"/v1/creatives/{creative['id']}")
    assert (now["status"], now["click_url"], now["image_url"]) == (
        "pending",
        "https://acme.example/tents",
        "https://acme.example/a.png",
    )
    action, changes = _audit(engine, creative["id"])[-1]
    assert action == "update" and changes == {
        "click_url": ["https://acme.example/", "https://acme.example/tents"],
        "status": ["approved", "pending"],
    }
    # The operator's queue has it again.
    make_user(engine, "ops@network.example")
    desk = TestClient(client.app)
    sign_in(desk, "ops@network.example")
    assert f'data-creative="{creative["id"]}"' in desk.get("/console/review").text


def test_a_wrong_size_is_refused_beside_the_field_and_nothing_changes(
    client: TestClient, operator: Api, engine: Engine, acme: dict[str, Any]
) -> None:
    creative, line_item = acme["creative"], acme["line_item"]
    wrong = _save(
        client,
        creative["id"],
        {"line_item": line_item["id"], "click_url": "https://acme.example/new"},
        {"image": ("ad.png", png(728, 90), "image/png")},
    )
    assert wrong.status_code == 400 and 'id="image-error"' in wrong.text
    assert (
        "This image is 728x90 pixels. This line item&#39;s placements take 1200x400 (Home hero); "
        "300x250 (Home hero): resize it to one of those."
    ) in wrong.text
    assert 'value="https://acme.example/new"' in wrong.text  # what was typed stays
    assert _uploads(client) == [], "a refused image was stored"
    assert operator.get(f"/v1/creatives/{creative['id']}") == creative  # nothing changed, still approved
    assert [a for a, _ in _audit(engine, creative["id"])] == ["create"]
    # The right size: kept, the creative takes the new image and size, and goes to review.
    right = _save(
        client,
        creative["id"],
        {"line_item": line_item["id"], "click_url": "https://acme.example/"},
        {"image": ("wide.png", png(1200, 400), "image/png")},
    )
    assert "image and size changed" in _flash(client, right)
    now = operator.get(f"/v1/creatives/{creative['id']}")
    assert now["size"] == "1200x400" and now["image_url"].endswith(_uploads(client)[0]) and now["status"] == "pending"


def test_a_move_keeps_the_approval_only_where_it_covers_the_placements(
    client: TestClient, operator: Api, engine: Engine, acme: dict[str, Any]
) -> None:
    operator.post("/v1/placements", SIDE)
    creative, campaign_id = acme["creative"], acme["campaign"]["id"]
    same = operator.post(
        "/v1/line-items", {"campaign_id": campaign_id, "name": "Hero again", "bid": 5, "placements": ["home-hero"]}
    )
    wider = operator.post(
        "/v1/line-items",
        {"campaign_id": campaign_id, "name": "Side too", "bid": 5, "placements": ["home-hero", "side-box"]},
    )
    page = client.get(f"/brand/creatives/{creative['id']}/edit").text
    assert page.count("data-line-item-choice") == 1 and f'value="{wider["id"]}"' in page
    kept = _save(client, creative["id"], {"line_item": same["id"], "click_url": "https://acme.example/"})
    assert _flash(client, kept) == (
        "Your banner 300x250 is saved: line item changed. Its approval covers where Hero again runs: it keeps serving."
    )
    assert operator.get(f"/v1/creatives/{creative['id']}")["status"] == "approved"
    moved = _save(client, creative["id"], {"line_item": wider["id"], "click_url": "https://acme.example/"})
    assert "back in the operator's review (Side too runs on placements its approval did not cover)" in _flash(
        client, moved
    )
    now = operator.get(f"/v1/creatives/{creative['id']}")
    assert (now["status"], now["line_item_id"]) == ("pending", wider["id"])
    assert _audit(engine, creative["id"])[-1][1] == {
        "status": ["approved", "pending"],
        "placements_added": ["side-box"],
    }


def test_a_video_takes_a_new_address_and_its_length_in_plain_words(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    operator.post("/v1/placements", VIDEO)
    brand = operator.post("/v1/advertisers", {"name": "Acme Outdoor", "domain": "acme.example"})
    campaign = operator.post("/v1/campaigns", campaign_body(brand["id"], **live_dates()))
    line_item = operator.post(
        "/v1/line-items", {"campaign_id": campaign["id"], "name": "Pre-roll", "bid": 25, "placements": ["ctv-preroll"]}
    )
    creative = operator.post(
        "/v1/creatives",
        {
            "advertiser_id": brand["id"],
            "line_item_id": line_item["id"],
            "format": "video",
            "media_url": "https://videos.acme.example/a.webm",
            "media_type": "video/webm",
            "duration_seconds": 15,
            "click_url": "https://acme.example/",
        },
    )
    make_user(engine, "person@acme.example", Role.ADVERTISER, brand["id"])
    sign_in(client, "person@acme.example")
    fields = {
        "line_item": line_item["id"],
        "click_url": "https://acme.example/",
        "duration_seconds": "15",
        "media_url": "https://videos.acme.example/a.webm",
    }
    bad = _save(client, creative["id"], fields | {"duration_seconds": "fifteen"})
    assert bad.status_code == 400 and "a whole number of seconds, from 1 to 600" in bad.text
    saved = _save(
        client, creative["id"], fields | {"media_url": "https://videos.acme.example/b.mp4", "bitrate_kbps": "2500"}
    )
    assert "video and bitrate changed" in _flash(client, saved)
    now = operator.get(f"/v1/creatives/{creative['id']}")
    # Another file: its type is read from its address again, not kept from the old one.
    assert (now["media_url"], now["media_type"], now["status"]) == (
        "https://videos.acme.example/b.mp4",
        None,
        "pending",
    )


def test_another_brands_or_an_archived_creative_is_not_found_and_a_forged_form_is_refused(
    client: TestClient, operator: Api, engine: Engine, acme: dict[str, Any]
) -> None:
    rival = _brand(operator, engine, "Rival Goods", "rival.example", ["home-hero"])
    theirs = rival["creative"]["id"]
    token = token_of(client.get(f"/brand/creatives/{acme['creative']['id']}/edit").text)
    assert client.get(f"/brand/creatives/{theirs}/edit").status_code == 404
    answer = client.post(
        f"/brand/creatives/{theirs}/edit",
        data={"csrf_token": token, "line_item": rival["line_item"]["id"], "click_url": "https://acme.example/"},
    )
    assert answer.status_code == 404
    # One of ours moved to their line item: not one of ours to choose, said beside the field.
    onto = client.post(
        f"/brand/creatives/{acme['creative']['id']}/edit",
        data={"csrf_token": token, "line_item": rival["line_item"]["id"], "click_url": "https://acme.example/"},
    )
    assert onto.status_code == 400 and 'id="line_item-error"' in onto.text
    forged = client.post(
        f"/brand/creatives/{acme['creative']['id']}/edit",
        data={"csrf_token": "forged", "line_item": acme["line_item"]["id"], "click_url": "https://x.example/"},
    )
    assert forged.status_code == 403
    assert operator.get(f"/v1/creatives/{theirs}") == rival["creative"]
    assert operator.get(f"/v1/creatives/{acme['creative']['id']}")["click_url"] == "https://acme.example/"
    operator.delete(f"/v1/creatives/{acme['creative']['id']}")
    assert client.get(f"/brand/creatives/{acme['creative']['id']}/edit").status_code == 404


def test_the_edit_form_takes_a_file_as_large_as_the_add_form(client: TestClient, acme: dict[str, Any]) -> None:
    """Its body limit is the add form's (http/body_limits.py), not the 1 MiB of other forms."""
    path = f"/brand/creatives/{acme['creative']['id']}/edit"
    assert limit_for(path).kind is BodyKind.CREATIVE_FILE
    assert (
        limit_for(path).max_bytes
        == CREATIVE_VIDEO_BYTES + FORM_FIELDS_BYTES
        == limit_for("/brand/creatives/new").max_bytes
    )
    assert limit_for("/brand/creatives/x/edit/more").kind is BodyKind.OTHER
    big = _save(
        client,
        acme["creative"]["id"],
        {"line_item": acme["line_item"]["id"], "click_url": "https://acme.example/"},
        {"image": ("big.png", b"\x00" * (3 * 1024 * 1024 // 2), "image/png")},
    )
    assert big.status_code == 400 and "not a PNG, JPEG or GIF image" in big.text  # read and refused, not a 413


def test_an_html_banner_edits_its_markup_and_size(
    client: TestClient, operator: Api, engine: Engine, acme: dict[str, Any]
) -> None:
    made = operator.post(
        "/v1/creatives",
        {
            "advertiser_id": acme["brand"]["id"],
            "line_item_id": acme["line_item"]["id"],
            "format": "banner",
            "size": "300x250",
            "html": "<a href='%%CLICK_URL%%'>Tents</a>",
            "click_url": "https://acme.example/",
        },
    )
    page = client.get(f"/brand/creatives/{made['id']}/edit").text
    assert 'name="html"' in page and 'name="image"' not in page and '<option value="1200x400" >' in page
    cleared = _save(
        client,
        made["id"],
        {"line_item": acme["line_item"]["id"], "click_url": "https://acme.example/", "html": "", "size": "300x250"},
    )
    assert (
        cleared.status_code == 400
        and 'id="html-error"' in cleared.text
        and "write the banner&#39;s HTML" in cleared.text
    )
    saved = _save(
        client,
        made["id"],
        {
            "line_item": acme["line_item"]["id"],
            "click_url": "https://acme.example/",
            "html": "<a href='%%CLICK_URL%%'>Tents, 20% off</a>",
            "size": "1200x400",
        },
    )
    assert _flash(client, saved).startswith("Your banner 1200x400 is saved: size and HTML changed. It is back in")
    now = operator.get(f"/v1/creatives/{made['id']}")
    assert (now["size"], now["html"], now["status"]) == (
        "1200x400",
        "<a href='%%CLICK_URL%%'>Tents, 20% off</a>",
        "pending",
    )


def test_a_product_ad_offers_its_line_items_free_products_and_refuses_a_rivals(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    advertiser = operator.post(
        "/v1/advertisers", {"name": "Acme Outdoor", "domain": "acme.example", "brands": ["Acme"]}
    )
    operator.post("/v1/placements", SEARCH)
    operator.post(
        "/v1/products/import",
        {
            "products": PRODUCTS
            + [
                {
                    "sku": "RIVAL-1",
                    "title": "Rival tent",
                    "brand": "Rival",
                    "category": "outdoor/camping",
                    "price": 99.0,
                }
            ]
        },
        status=200,
    )
    campaign = operator.post("/v1/campaigns", campaign_body(advertiser["id"], **live_dates()))
    line_item = operator.post(
        "/v1/line-items",
        {
            "campaign_id": campaign["id"],
            "name": "Search",
            "bid": 1,
            "placements": ["search-top"],
            "products": ["TENT-2P", "STOVE-1"],
        },
    )
    tent, _ = (
        operator.post(
            "/v1/creatives",
            {
                "advertiser_id": advertiser["id"],
                "format": "sponsored_product",
                "line_item_id": line_item["id"],
                "sku": sku,
            },
        )
        for sku in ("TENT-2P", "STOVE-1")
    )
    make_user(engine, "person@acme.example", Role.ADVERTISER, advertiser["id"])
    sign_in(client, "person@acme.example")
    form = client.get(f"/brand/creatives/{tent['id']}/edit").text.split("data-creative-form", 1)[1].split("</form>")[0]
    assert '<option value="TENT-2P" selected>' in form
    assert "STOVE-1" not in form and "RIVAL-1" not in form  # another ad's product, and a rival's, are not offered
    rival = _save(client, tent["id"], {"line_item": line_item["id"], "sku": "RIVAL-1"})
    assert rival.status_code == 400 and 'id="sku-error"' in rival.text
    assert "not Acme Outdoor&#39;s own products: RIVAL-1 (Rival)" in rival.text
    assert operator.get(f"/v1/creatives/{tent['id']}") == tent
