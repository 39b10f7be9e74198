"""`GET /v1/vast`: VAST 4.2 valid against the IAB schema, wired to our tracking."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.support import VIDEO, Api, campaign_body, live_dates, wait_until

XSD = Path(__file__).resolve().parents[3] / "shared" / "standards" / "vast" / "xsd" / "vast_4.2.xsd"
NS = {"v": "http://www.iab.com/VAST"}
BROWSER_UA = "Mozilla/5.0 (SMART-TV; Linux; Tizen 7.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/94.0 TV Safari/537.36"


def schema():  # type: ignore[no-untyped-def]
    if not XSD.exists():
        pytest.skip(f"the IAB VAST schema is not at {XSD} (../shared/standards is absent)")
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(XSD)))


def _video_network(operator: Api, advertiser_id: str) -> None:
    operator.post("/v1/placements", VIDEO)
    campaign = operator.post("/v1/campaigns", campaign_body(advertiser_id, **live_dates()))
    line_item = operator.post("/v1/line-items", {"campaign_id": campaign["id"], "name": "TV spot", "bid": 30,
                                                 "placements": ["ctv-preroll"]})
    operator.post("/v1/creatives", {"advertiser_id": advertiser_id, "line_item_id": line_item["id"], "format": "video",
                                    "size": "1920x1080", "media_url": "https://media.acme.example/spot",
                                    "media_type": "video/mp4", "bitrate_kbps": 2500,
                                    "duration_seconds": 30, "click_url": "https://acme.example/tv"})


def _vast(client: TestClient, **params: str):  # type: ignore[no-untyped-def]
    from lxml import etree

    answers = []

    def known() -> bool:  # a placement created a moment ago is known once the snapshot refreshes
        answers.append(client.get("/v1/vast", params={"placement": "ctv-preroll", **params}))
        return answers[-1].status_code == 200

    wait_until(known, 3, "", every=0.1)
    answer = answers[-1]
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/xml")
    return etree.fromstring(answer.content)


def test_a_video_ad_is_valid_vast_4_2_with_our_tracking(client: TestClient, operator: Api, advertiser_api: Api) -> None:
    xsd = schema()
    _video_network(operator, advertiser_api.advertiser_id)  # type: ignore[arg-type]
    documents = []

    def served() -> bool:  # the new line item reaches the snapshot
        documents.append(_vast(client, user="viewer-1", consent="true", device="ctv"))
        return bool(documents[-1].findall("v:Ad", NS))

    wait_until(served, 10, "the video line item was never served", every=0.1)
    document = documents[-1]
    xsd.assertValid(document)
    ad = document.find("v:Ad/v:InLine", NS)
    serving_id = ad.findtext("v:AdServingId", namespaces=NS)
    assert serving_id and serving_id == document.find("v:Ad", NS).get("id")
    media = ad.find(".//v:MediaFile", NS)
    assert media.text == "https://media.acme.example/spot" and media.get("type") == "video/mp4"  # as catalogued
    assert media.get("bitrate") == "2500"
    assert (media.get("width"), media.get("height")) == ("1920", "1080")
    assert ad.findtext(".//v:Duration", namespaces=NS) == "00:00:30.000"
    assert ad.find(".//v:UniversalAdId", NS).get("idRegistry")
    assert ad.findtext("v:Pricing", namespaces=NS) == "30.00" or float(ad.findtext("v:Pricing", namespaces=NS)) <= 30
    events = {t.get("event"): t.text for t in ad.findall(".//v:Tracking", NS)}
    assert set(events) == {"start", "firstQuartile", "midpoint", "thirdQuartile", "complete"}
    assert "/track/video/error/" in ad.findtext("v:Error", namespaces=NS)

    def call(url: str, status: int) -> None:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        assert client.get(path, headers={"User-Agent": BROWSER_UA}, follow_redirects=False).status_code == status

    call(ad.findtext("v:Impression", namespaces=NS), 204)
    for url in events.values():
        call(url, 204)
    call(events["midpoint"], 204)  # reported twice, counted once
    call(ad.findtext("v:Error", namespaces=NS) + "?code=405", 204)
    call(ad.findtext(".//v:ClickThrough", namespaces=NS), 302)
    log = client.app.state.event_log  # type: ignore[attr-defined]
    keys = {f"video:{e}:{serving_id}" for e in (*events, "error")} | {f"impression:{serving_id}", f"click:{serving_id}"}
    assert log.contains(keys) == keys
    call(events["start"][:-4] + "AAAA", 204)  # forged: answered like any other, counted nowhere
    today = time.strftime("%Y-%m-%d", time.gmtime())

    def totals_now() -> dict[str, Any]:
        return dict(client.get("/v1/reports", params={"from": today, "to": today},
                               headers={"Authorization": f"Bearer {operator.key}"}).json()["totals"])

    wait_until(lambda: totals_now()["video_completes"] >= 1, 10, "the rollups took up the events", every=0.1)
    totals = totals_now()
    assert (totals["video_starts"], totals["video_midpoints"], totals["video_completes"]) == (1, 1, 1)
    assert totals["video_completion_rate"] == 1


def test_a_video_file_type_is_checked(operator: Api, advertiser_api: Api) -> None:
    body = {"format": "video", "media_url": "https://media.acme.example/spot.mp4", "duration_seconds": 15,
            "media_type": "text/html", "bitrate_kbps": 10}
    refused = advertiser_api.call("POST", "/v1/creatives", body)
    assert refused.status_code == 422
    assert {f["field"] for f in refused.json()["error"]["fields"]} == {"media_type", "bitrate_kbps"}


def test_no_fill_is_an_empty_vast_and_a_display_placement_is_refused(client: TestClient, operator: Api) -> None:
    xsd = schema()
    operator.post("/v1/placements", VIDEO)
    document = _vast(client)
    xsd.assertValid(document)
    assert document.findall("v:Ad", NS) == [] and document.get("version") == "4.2"
    operator.post("/v1/placements", {"id": "home-hero", "name": "Hero", "channel": "web", "format": "banner",
                                     "sizes": ["300x250"], "floor_cpm": 1})
    wait_until(lambda: "not video" in client.get("/v1/vast", params={"placement": "home-hero"}).text, 5,
               "the banner placement reached the snapshot", every=0.1)
    refused = client.get("/v1/vast", params={"placement": "home-hero"})
    assert refused.status_code == 422 and "not video" in refused.text
    assert client.get("/v1/vast", params={"placement": "nope"}).status_code == 422
