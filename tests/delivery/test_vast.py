"""`GET /v1/vast`: VAST 4.2 wired to our tracking, and valid against the IAB's own XSD
(tests/standards.py says where it is looked for; our own reading of the spec, which needs
no IAB file, is tests/delivery/test_own_spec_checks.py)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from tests.standards import Standard, standard
from tests.support import VIDEO, Api, campaign_body, live_dates, runtime
from tests.waiting import snapshot_current

NS = {"v": "http://www.iab.com/VAST"}
BROWSER_UA = (
    "Mozilla/5.0 (SMART-TV; Linux; Tizen 7.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/94.0 TV Safari/537.36"
)


def schema():  # type: ignore[no-untyped-def]
    """The IAB's VAST 4.2 XSD (tests/standards.py: absent, a skip on a laptop, a failure in CI)."""
    xsd = standard(Standard.VAST_4_2_XSD)
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(xsd)))


def video_network(operator: Api, advertiser_id: str, *, placement: bool = True) -> None:
    """A 30 s video line item on the CTV pre-roll (made too, unless `placement` is False)."""
    if placement:
        operator.post("/v1/placements", VIDEO)
    campaign = operator.post("/v1/campaigns", campaign_body(advertiser_id, **live_dates()))
    line_item = operator.post(
        "/v1/line-items", {"campaign_id": campaign["id"], "name": "TV spot", "bid": 30, "placements": ["ctv-preroll"]}
    )
    operator.post(
        "/v1/creatives",
        {
            "advertiser_id": advertiser_id,
            "line_item_id": line_item["id"],
            "format": "video",
            "size": "1920x1080",
            "media_url": "https://media.acme.example/spot",
            "media_type": "video/mp4",
            "bitrate_kbps": 2500,
            "duration_seconds": 30,
            "click_url": "https://acme.example/tv",
        },
    )


def vast_of(client: TestClient, **params: str):  # type: ignore[no-untyped-def]
    """The VAST of the pre-roll, asked of a snapshot that holds every catalogue change so far."""
    from lxml import etree

    snapshot_current(client)
    answer = client.get("/v1/vast", params={"placement": "ctv-preroll", **params})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/xml")
    return etree.fromstring(answer.content)


def test_a_video_ad_is_vast_4_2_with_our_tracking(client: TestClient, operator: Api, advertiser_api: Api) -> None:
    video_network(operator, advertiser_api.advertiser_id)  # type: ignore[arg-type]
    document = vast_of(client, user="viewer-1", consent="true", device="ctv")
    assert document.findall("v:Ad", NS), "the video line item was not served"
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
    log = runtime(client).event_log
    keys = {f"video:{e}:{serving_id}" for e in (*events, "error")} | {f"impression:{serving_id}", f"click:{serving_id}"}
    assert log.contains(keys) == keys
    call(events["start"][:-4] + "AAAA", 204)  # forged: answered like any other, counted nowhere
    today = time.strftime("%Y-%m-%d", time.gmtime())
    runtime(client).rollups.run()  # each event was on disk before its answer
    totals = operator.get("/v1/reports", params={"from": today, "to": today})["totals"]
    assert (totals["video_starts"], totals["video_midpoints"], totals["video_completes"]) == (1, 1, 1)
    assert totals["video_completion_rate"] == 1


def test_a_video_file_type_is_checked(operator: Api, advertiser_api: Api) -> None:
    body = {
        "format": "video",
        "media_url": "https://media.acme.example/spot.mp4",
        "duration_seconds": 15,
        "media_type": "text/html",
        "bitrate_kbps": 10,
    }
    refused = advertiser_api.call("POST", "/v1/creatives", body)
    assert refused.status_code == 422
    assert {f["field"] for f in refused.json()["error"]["fields"]} == {"media_type", "bitrate_kbps"}


def test_no_fill_is_an_empty_vast_and_a_display_placement_is_refused(client: TestClient, operator: Api) -> None:
    operator.post("/v1/placements", VIDEO)
    document = vast_of(client)
    assert document.findall("v:Ad", NS) == [] and document.get("version") == "4.2"
    operator.post(
        "/v1/placements",
        {"id": "home-hero", "name": "Hero", "channel": "web", "format": "banner", "sizes": ["300x250"], "floor_cpm": 1},
    )
    snapshot_current(client)  # the banner placement in it
    refused = client.get("/v1/vast", params={"placement": "home-hero"})
    assert refused.status_code == 422 and "not video" in refused.text
    assert client.get("/v1/vast", params={"placement": "nope"}).status_code == 422


def test_a_filled_and_an_empty_vast_are_valid_against_the_iab_vast_4_2_xsd(
    client: TestClient, operator: Api, advertiser_api: Api
) -> None:
    xsd = schema()
    operator.post("/v1/placements", VIDEO)
    empty = vast_of(client)
    xsd.assertValid(empty)
    assert empty.findall("v:Ad", NS) == []
    video_network(operator, advertiser_api.advertiser_id, placement=False)  # type: ignore[arg-type]
    filled = vast_of(client, user="viewer-1", consent="true", device="ctv")
    assert filled.findall("v:Ad", NS), "the video line item was not served"
    xsd.assertValid(filled)
