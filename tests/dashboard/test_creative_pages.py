"""A brand's creatives in-process: several per line item in several sizes, the size checked
on the server before the file is kept, the rejected one replaced and back in review, video
uploads that play from our own files, and another brand's objects out of reach."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from shelfspace.accounts.models import AuditEntry
from shelfspace.accounts.roles import Role
from shelfspace.dashboard import uploads
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.dashboard.images import MP4, WEBM, png
from tests.dashboard.pages import make_user, sign_in, token_of
from tests.support import BANNER, VIDEO, Api, campaign_body, live_dates, runtime


def _brand(operator: Api, engine: Engine, name: str, domain: str, placements: list[str]) -> dict[str, Any]:
    brand = operator.post("/v1/advertisers", {"name": name, "domain": domain})
    campaign = operator.post("/v1/campaigns", campaign_body(brand["id"], name=f"{name} launch", **live_dates()))
    line_item = operator.post(
        "/v1/line-items", {"campaign_id": campaign["id"], "name": "Hero", "bid": 25, "placements": placements}
    )
    make_user(engine, f"person@{domain}", Role.ADVERTISER, brand["id"])
    return {"brand": brand, "campaign": campaign, "line_item": line_item}


@pytest.fixture
def acme(client: TestClient, operator: Api, engine: Engine) -> dict[str, Any]:
    operator.post("/v1/placements", BANNER)
    made = _brand(operator, engine, "Acme Outdoor", "acme.example", ["home-hero"])
    sign_in(client, "person@acme.example")
    return made


def _send(client: TestClient, page: str, fields: dict[str, str], files: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    token = token_of(client.get(page).text)
    return client.post("/brand/creatives/new", data=fields | {"csrf_token": token}, files=files, follow_redirects=False)


def _uploads(client: TestClient) -> list[str]:
    folder: Path = runtime(client).settings.data_dir / uploads.UPLOADS
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_brand_adds_creatives_in_two_sizes_and_a_wrong_size_is_named_before_it_is_kept(
    client: TestClient, operator: Api, acme: dict[str, Any]
) -> None:
    line_item = acme["line_item"]["id"]
    page = f"/brand/creatives/new?line_item={line_item}"
    form = client.get(page)
    assert form.status_code == 200 and "1200x400 (Home hero) or 300x250 (Home hero)" in form.text
    wrong = _send(
        client,
        page,
        {"line_item": line_item, "format": "banner", "click_url": "https://acme.example/tents"},
        {"image": ("ad.png", png(100, 100), "image/png")},
    )
    assert wrong.status_code == 400 and 'id="image-error"' in wrong.text
    assert (
        "This image is 100x100 pixels. This line item&#39;s placements take 1200x400 (Home hero); "
        "300x250 (Home hero): resize it to one of those."
    ) in wrong.text
    assert _uploads(client) == [], "a refused image was stored"
    assert operator.get("/v1/creatives")["data"] == []
    no_click = _send(
        client, page, {"line_item": line_item, "format": "banner"}, {"image": ("ad.png", png(300, 250), "image/png")}
    )
    assert no_click.status_code == 400 and "where should a click take people?" in no_click.text
    kept = no_click.text.split('name="image_kept" value="', 1)[1].split('"', 1)[0]
    assert kept.endswith(".png") and kept in _uploads(client)  # typed again without choosing the file again
    first = _send(
        client,
        page,
        {"line_item": line_item, "format": "banner", "image_kept": kept, "click_url": "https://acme.example/tents"},
    )
    assert first.status_code == 303, first.text
    assert first.headers["location"] == f"/brand/campaigns/{acme['campaign']['id']}#creatives"
    second = _send(
        client,
        page,
        {"line_item": line_item, "format": "banner", "click_url": "https://acme.example/tents"},
        {"image": ("wide.png", png(1200, 400), "image/png")},
    )
    assert second.status_code == 303, second.text
    made = operator.get("/v1/creatives", params={"line_item_id": line_item})["data"]
    assert sorted((c["size"], c["status"]) for c in made) == [("1200x400", "pending"), ("300x250", "pending")]
    campaign = client.get(f"/brand/campaigns/{acme['campaign']['id']}")
    # Thumbnails: the stored originals, drawn smaller by their width and height.
    assert campaign.text.count('class="thumb-media"') == 2
    assert 'width="160" height="53"' in campaign.text and 'width="120" height="100"' in campaign.text
    listing = client.get("/brand/creatives")
    assert listing.text.count('class="thumb-media"') == 2 and "banner 1200x400" in listing.text


def test_a_rejected_creative_shows_its_reason_and_its_replacement_goes_back_to_review(
    client: TestClient, operator: Api, engine: Engine, acme: dict[str, Any]
) -> None:
    line_item, campaign_id = acme["line_item"]["id"], acme["campaign"]["id"]
    page = f"/brand/creatives/new?line_item={line_item}"
    assert (
        _send(
            client,
            page,
            {"line_item": line_item, "format": "banner", "click_url": "https://acme.example/tents"},
            {"image": ("ad.png", png(300, 250), "image/png")},
        ).status_code
        == 303
    )
    old = operator.get("/v1/creatives")["data"][0]
    operator.patch(
        f"/v1/creatives/{old['id']}", {"status": "rejected", "review_note": "The price is not on the banner"}
    )
    campaign = client.get(f"/brand/campaigns/{campaign_id}")
    assert "The price is not on the banner" in campaign.text
    assert campaign.text.count(f'href="/brand/creatives/new?replaces={old["id"]}"') == 2  # the notice and the row
    replace_page = f"/brand/creatives/new?replaces={old['id']}"
    form = client.get(replace_page)
    assert (
        form.status_code == 200
        and "The operator rejected it:" in form.text
        and "The price is not on the banner" in form.text
    )
    wrong = _send(
        client,
        replace_page,
        {"replaces": old["id"], "format": "banner", "click_url": "https://acme.example/t"},
        {"image": ("ad.png", png(728, 90), "image/png")},
    )
    assert wrong.status_code == 400 and "This image is 728x90 pixels" in wrong.text
    assert operator.get(f"/v1/creatives/{old['id']}")["archived_at"] is None  # nothing changed
    done = _send(
        client,
        replace_page,
        {"replaces": old["id"], "format": "banner", "click_url": "https://acme.example/t"},
        {"image": ("ad.png", png(300, 250, (200, 40, 40)), "image/png")},
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/brand/campaigns/{campaign_id}#creatives"
    assert operator.get(f"/v1/creatives/{old['id']}")["archived_at"] is not None  # kept for history, never served
    current = operator.get("/v1/creatives")["data"]
    assert [(c["status"], c["replaces_id"]) for c in current] == [("pending", old["id"])]
    after = client.get(f"/brand/campaigns/{campaign_id}")
    assert "The price is not on the banner" not in after.text and "in review" in after.text
    assert client.get(replace_page).status_code == 404  # an archived creative is replaced once
    with session_scope(make_sessionmaker(engine)) as db:
        audit = [
            (e.action, e.object_id)
            for e in db.scalars(select(AuditEntry).where(AuditEntry.object_type == "creative").order_by(AuditEntry.id))
        ]
        created = db.scalar(select(AuditEntry).where(AuditEntry.object_id == current[0]["id"]))
        assert created is not None and created.changes["replaces_id"] == old["id"]
    assert audit[-2:] == [("create", current[0]["id"]), ("archive", old["id"])]
    # The operator's queue shows the replacement with what it replaces and why that was rejected.
    make_user(engine, "ops@network.example")
    desk = TestClient(client.app)
    sign_in(desk, "ops@network.example")
    queue = desk.get("/console/review").text
    assert f'data-creative="{current[0]["id"]}"' in queue and f'data-replaces="{old["id"]}"' in queue
    assert "The price is not on the banner" in queue


def test_a_video_is_uploaded_checked_by_its_bytes_and_plays_from_our_own_files(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    operator.post("/v1/placements", VIDEO)
    made = _brand(operator, engine, "Acme Outdoor", "acme.example", ["ctv-preroll"])
    sign_in(client, "person@acme.example")
    line_item = made["line_item"]["id"]
    page = f"/brand/creatives/new?line_item={line_item}"
    fields = {
        "line_item": line_item,
        "format": "video",
        "duration_seconds": "15",
        "click_url": "https://acme.example/v",
    }
    not_video = _send(client, page, fields, {"video": ("clip.mp4", b"<html>nope</html>", "video/mp4")})
    assert (
        not_video.status_code == 400
        and "not an MP4 or WebM video" in not_video.text
        and 'id="video-error"' in not_video.text
    )
    assert _uploads(client) == []
    no_length = _send(client, page, fields | {"duration_seconds": ""}, {"video": ("clip.webm", WEBM, "video/webm")})
    assert no_length.status_code == 400 and "how long is the video, in seconds?" in no_length.text
    sent = _send(client, page, fields, {"video": ("clip.mp4", MP4, "video/mp4")})
    assert sent.status_code == 303, sent.text
    creative = operator.get("/v1/creatives", params={"line_item_id": line_item})["data"][0]
    assert creative["media_type"] == "video/mp4" and creative["media_url"].endswith(".mp4")
    path = creative["media_url"].split("shelfspace.test", 1)[1]
    whole = client.get(path)
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4" and whole.content == MP4
    part = client.get(path, headers={"Range": "bytes=0-99"})  # players seek
    assert part.status_code == 206 and part.content == MP4[:100]
    # The brand's list and the operator's queue play it: a <video> of our own file.
    assert '<video class="thumb-media" src="http://shelfspace.test' + path in client.get("/brand/creatives").text
    make_user(engine, "ops@network.example")
    desk = TestClient(client.app)
    sign_in(desk, "ops@network.example")
    queue = desk.get("/console/review").text
    assert '<video class="ad-video-player" src="http://shelfspace.test' + path in queue and "controls" in queue
    # A URL instead of a file is kept as given, and not played from another server.
    by_url = _send(client, page, fields | {"media_url": "https://videos.acme.example/spot.mp4"})
    assert by_url.status_code == 303, by_url.text
    assert "on another server, not played here" in desk.get("/console/review").text


def test_a_video_over_its_limit_is_dropped_while_it_is_copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads, "MAX_VIDEO_BYTES", 3 * uploads.CHUNK)
    with pytest.raises(uploads.BadVideo, match="over"):
        uploads.store_video(tmp_path, io.BytesIO(MP4 + b"\x00" * (3 * uploads.CHUNK)))
    assert list((tmp_path / uploads.UPLOADS).iterdir()) == []  # no part file left behind
    kept = uploads.store_video(tmp_path, io.BytesIO(WEBM))
    assert kept.media_type == "video/webm" and (tmp_path / uploads.UPLOADS / kept.name).read_bytes() == WEBM


def test_another_brands_line_items_and_creatives_are_not_found(
    client: TestClient, operator: Api, engine: Engine, acme: dict[str, Any]
) -> None:
    rival = _brand(operator, engine, "Rival Goods", "rival.example", ["home-hero"])
    theirs = operator.post(
        "/v1/creatives",
        {
            "advertiser_id": rival["brand"]["id"],
            "line_item_id": rival["line_item"]["id"],
            "format": "banner",
            "size": "300x250",
            "image_url": "https://rival.example/a.png",
            "click_url": "https://rival.example/",
        },
    )
    assert client.get(f"/brand/creatives/new?line_item={rival['line_item']['id']}").status_code == 404
    assert client.get(f"/brand/creatives/new?replaces={theirs['id']}").status_code == 404
    token = token_of(client.get("/brand/creatives").text)
    answer = client.post(
        "/brand/creatives/new",
        data={"csrf_token": token, "replaces": theirs["id"], "format": "banner", "click_url": "https://acme.example/"},
        files={"image": ("ad.png", png(300, 250), "image/png")},
    )
    assert answer.status_code == 404
    assert client.post(f"/brand/creatives/{theirs['id']}/archive", data={"csrf_token": token}).status_code == 404
    assert operator.get(f"/v1/creatives/{theirs['id']}")["archived_at"] is None
