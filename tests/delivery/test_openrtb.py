"""`POST /openrtb2/auction` through the app: every OpenRTB example of the standards folder
(tests/standards.py) answered (and its bids valid against the IAB's BidResponse schema), invalid requests
refused with the field named, floors, currencies, sizes, TCF consent, CORS, and the
tracking a bid carries counting one impression and charging the campaign."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests.standards import Standard, standard
from tests.support import Api, field_errors, live_dates, runtime
from tests.waiting import snapshot_current

BROWSER = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
}
AUCTION = "/openrtb2/auction"
FLOOR_CPM = 10.0  # the example placements' floor: a lone bidder pays it plus 0.01
BID_CPM = 50.0


def valid_examples() -> list[tuple[str, dict[str, Any]]]:
    """Every valid bid request of the standards folder, by its path."""
    root = standard(Standard.OPENRTB)
    found: list[tuple[str, dict[str, Any]]] = []
    for path in sorted((standard(Standard.OPENRTB_SCHEMAS) / "examples").rglob("*.json")):
        found.append((str(path.relative_to(root)), json.loads(path.read_text())))
    for path in sorted((root / "prebid-openrtb" / "openrtb2" / "testdata" / "bid-request").rglob("*.json")):
        found.append((str(path.relative_to(root)), json.loads(path.read_text())))
    for folder in ("valid-whole-exemplary", "adapter-exemplary-samples"):
        for path in sorted((root / "prebid-server" / folder).glob("*.json")):
            found.append((str(path.relative_to(root)), json.loads(path.read_text())["mockBidRequest"]))
    return found


def adapter_requests() -> list[dict[str, Any]]:
    """The bid requests prebid-server's adapters send (its exemplary tests), one a line."""
    lines = (
        (standard(Standard.OPENRTB) / "prebid-server" / "adapter-exemplary-ortb-bodies.jsonl").read_text().splitlines()
    )
    return [r["body"] for r in map(json.loads, lines) if r["kind"] == "bid_request"]


def invalid_examples() -> list[tuple[str, bytes]]:
    root = standard(Standard.OPENRTB)
    found = []
    for path in sorted((root / "prebid-server" / "invalid-whole").glob("*.json")):
        try:
            body = json.dumps(json.loads(path.read_text())["mockBidRequest"]).encode()
        except (json.JSONDecodeError, KeyError):
            body = path.read_bytes()
        found.append((path.name, body))
    return found


def bid_response_validator() -> Draft202012Validator:
    schemas = standard(Standard.OPENRTB_SCHEMAS)
    resources = []
    for path in schemas.glob("*.json"):
        schema = json.loads(path.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema)))
    registry: Registry[Any] = Registry().with_resources(resources)
    return Draft202012Validator(json.loads((schemas / "BidResponse.json").read_text()), registry=registry)


# --- TCF v2 consent strings, encoded here (the decoder is iab-tcf's, in the app) ----------------


def tc_string(purposes: set[int]) -> str:
    """A TCF v2 core string consenting to `purposes` (and to no vendor)."""
    bits = ""

    def put(value: int, width: int) -> None:
        nonlocal bits
        bits += format(value, f"0{width}b")

    deciseconds = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 10)
    put(2, 6)  # version
    put(deciseconds, 36)  # created
    put(deciseconds, 36)  # last updated
    put(7, 12)  # CMP id
    put(1, 12)  # CMP version
    put(1, 6)  # consent screen
    put(ord("E") - 65, 6)  # language "EN"
    put(ord("N") - 65, 6)
    put(100, 12)  # vendor list version
    put(2, 6)  # TCF policy version
    put(1, 1)  # service specific
    put(0, 1)  # non-standard texts
    put(0, 12)  # special feature opt-ins
    bits += "".join("1" if p in purposes else "0" for p in range(1, 25))  # purposes consent
    put(0, 24)  # purposes legitimate interest
    put(0, 1)  # purpose one treatment
    put(ord("F") - 65, 6)  # publisher country "FR"
    put(ord("R") - 65, 6)
    put(1, 16)  # vendor consents: max vendor id 1, bit field, vendor 1 refused
    put(0, 1)
    put(0, 1)
    put(1, 16)  # vendor legitimate interests: the same
    put(0, 1)
    put(0, 1)
    put(0, 12)  # no publisher restrictions
    bits += "0" * (-len(bits) % 8)
    raw = int(bits, 2).to_bytes(len(bits) // 8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


GRANTS_1_3_4 = tc_string({1, 2, 3, 4, 7})
GRANTS_1_ONLY = tc_string({1, 2, 7})


# --- a network -------------------------------------------------------------------------------


def network(
    operator: Api, placements: list[dict[str, Any]], *, bid: float = BID_CPM, line_item: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The placements, and one advertiser whose CPM line item runs on all of them with a
    creative of every banner size and a video."""
    for placement in placements:
        operator.post("/v1/placements", placement)
    brand = operator.post("/v1/advertisers", {"name": "Acme Outdoor", "domain": "acme.example"})
    campaign = operator.post(
        "/v1/campaigns",
        {"advertiser_id": brand["id"], "name": "Open web", **live_dates(), "budget_total": 10000, "pacing": "asap"},
    )
    item = operator.post(
        "/v1/line-items",
        {
            "campaign_id": campaign["id"],
            "name": "Everywhere",
            "pricing": "cpm",
            "bid": bid,
            "placements": [p["id"] for p in placements],
        }
        | (line_item or {}),
    )
    sizes = sorted({s for p in placements if p["format"] == "banner" for s in p["sizes"]})
    creatives = [
        operator.post(
            "/v1/creatives",
            {
                "advertiser_id": brand["id"],
                "line_item_id": item["id"],
                "format": "banner",
                "size": size,
                "title": "Tents",
                "image_url": f"http://127.0.0.1:9/{size}.png",
                "click_url": "https://acme.example/tents",
            },
        )
        for size in sizes
    ]
    if any(p["format"] == "video" for p in placements):
        creatives.append(
            operator.post(
                "/v1/creatives",
                {
                    "advertiser_id": brand["id"],
                    "line_item_id": item["id"],
                    "format": "video",
                    "size": "1920x1080",
                    "duration_seconds": 15,
                    "media_url": "https://media.acme.example/tent.mp4",
                    "click_url": "https://acme.example/tents",
                },
            )
        )
    return {"advertiser": brand, "campaign": campaign, "line_item": item, "creatives": creatives}


def auction(client: TestClient, body: Any, **headers: str) -> Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(AUCTION, content=raw, headers={"Content-Type": "text/plain"} | headers)


def auction_until(client: TestClient, body: dict[str, Any]) -> Response:
    """The auction once the snapshot holds the network just built (rebuilt now, not polled for)."""
    snapshot_current(client)
    return auction(client, body)


def banner_request(tagid: str = "hero", **imp: Any) -> dict[str, Any]:
    return {
        "id": "req-1",
        "imp": [{"id": "1", "tagid": tagid, "banner": {"format": [{"w": 300, "h": 250}]}} | imp],
        "site": {"page": "https://shop.example/c/outdoor"},
        "device": {"ua": BROWSER["User-Agent"]},
        "user": {"buyeruid": "shopper-1"},
        "regs": {"gdpr": 0},
    }


HERO = {"id": "hero", "name": "Hero", "channel": "web", "format": "banner", "sizes": ["300x250"], "floor_cpm": 1}


# --- the examples ----------------------------------------------------------------------------


def _slug_for(imp: dict[str, Any], taken: set[str], n: int) -> str:
    tagid = imp.get("tagid")
    ok = isinstance(tagid, str) and tagid.replace("-", "").replace("_", "").isalnum() and tagid == tagid.lower()
    name = tagid if ok and tagid not in taken else f"example-{n}"
    taken.add(name)
    return name


def _sizes(imp: dict[str, Any]) -> list[str]:
    banner = imp.get("banner") or {}
    sizes = {f"{f['w']}x{f['h']}" for f in banner.get("format") or [] if f.get("w") and f.get("h")}
    if banner.get("w") and banner.get("h"):
        sizes.add(f"{banner['w']}x{banner['h']}")
    return sorted(sizes) or ["300x250"]


def _expects_bid(request: dict[str, Any], imp: dict[str, Any]) -> bool:
    if request.get("cur") and "USD" not in request["cur"]:
        return False
    banner, video = imp.get("banner") is not None, imp.get("video") is not None
    if not banner and not video:
        return False
    if video and not banner and request.get("test"):
        return False  # test requests carry no tracking, and VAST needs it
    floor = imp.get("bidfloor") or 0
    return not floor or ((imp.get("bidfloorcur") or "USD") == "USD" and floor <= BID_CPM)


def test_every_example_request_is_answered_and_bids_where_it_names_a_placement(operator: Api) -> None:
    examples = valid_examples()
    assert len(examples) >= 30
    client, validator = operator.client, bid_response_validator()
    # As the examples come: no tagid names a placement of ours, so no bid (and no 5xx).
    for name, body in examples:
        answer = auction(client, body)
        assert answer.status_code in (200, 204), f"{name}: {answer.status_code} {answer.text}"
    # Each imp's tagid made a placement of its media type and sizes: now a bid comes back.
    taken: set[str] = set()
    placements: list[dict[str, Any]] = []
    rewritten = []
    for n, (name, body) in enumerate(examples):
        body = json.loads(json.dumps(body))
        for i, imp in enumerate(body["imp"]):
            imp["tagid"] = _slug_for(imp, taken, n * 100 + i)
            video = imp.get("video") is not None and imp.get("banner") is None
            placements.append(
                {
                    "id": imp["tagid"],
                    "name": f"{name} imp {i}",
                    "channel": "web",
                    "format": "video" if video else "banner",
                    "sizes": ["1920x1080"] if video else _sizes(imp),
                    "floor_cpm": FLOOR_CPM,
                }
            )
        rewritten.append((name, body))
    network(operator, placements)
    snapshot_current(client)
    first = next(body for _, body in rewritten if _expects_bid(body, body["imp"][0]) and len(body["imp"]) == 1)
    assert auction_until(client, first).status_code == 200
    bids_seen = 0
    for name, body in rewritten:
        answer = auction(client, body)
        assert answer.status_code in (200, 204), f"{name}: {answer.status_code} {answer.text}"
        expected = {imp["id"] for imp in body["imp"] if _expects_bid(body, imp)}
        if not expected:
            assert answer.status_code == 204, f"{name}: {answer.text}"
            continue
        assert answer.status_code == 200, f"{name}: no bid for {expected}"
        response = answer.json()
        errors = [e.message for e in validator.iter_errors(response)]
        assert errors == [], f"{name}: {errors}"
        assert response["id"] == body["id"] and response["cur"] == "USD"
        [seat] = response["seatbid"]
        assert seat["seat"] == "shelfspace"
        assert {b["impid"] for b in seat["bid"]} == expected, (name, response.get("ext"))
        for bid in seat["bid"]:
            assert bid["price"] == FLOOR_CPM + 0.01 and bid["adomain"] == ["acme.example"]
            assert bid["ext"]["prebid"]["type"] in ("banner", "video") and bid["mtype"] in (1, 2)
        bids_seen += len(seat["bid"])
    assert bids_seen >= 25


def test_prebid_servers_adapter_requests_are_all_answered(operator: Api) -> None:
    requests = adapter_requests()
    assert len(requests) > 500
    for body in requests:
        answer = auction(operator.client, body)
        assert answer.status_code in (200, 204, 422), f"{answer.status_code}: {json.dumps(body)[:300]}"
        if answer.status_code == 422:
            assert field_errors(answer.json()), answer.text


def test_invalid_requests_are_422_naming_the_field_never_5xx(operator: Api) -> None:
    client = operator.client
    for name, body in invalid_examples():
        answer = auction(client, body)
        assert answer.status_code in (200, 204, 422), f"{name}: {answer.status_code} {answer.text}"
        if answer.status_code == 422:
            assert field_errors(answer.json()), f"{name}: {answer.text}"
    assert set(field_errors(auction(client, {}).json())) == {"id", "imp"}
    assert set(field_errors(auction(client, b"{not json").json())) == {"body"}
    assert auction(client, b"{not json").status_code == 422
    assert set(field_errors(auction(client, {"id": "r", "imp": []}).json())) == {"imp"}
    assert set(field_errors(auction(client, {"id": "r", "imp": [{"banner": {}}]}).json())) == {"imp.0.id"}
    assert set(field_errors(auction(client, {"id": "r", "imp": [{"id": "1"}]}).json())) == {"imp.0"}
    twice = {"id": "r", "imp": [{"id": "1", "banner": {}}, {"id": "1", "banner": {}}]}
    assert set(field_errors(auction(client, twice).json())) == {"imp.1.id"}
    consent_int = banner_request() | {"user": {"ext": {"consent": 1}}}
    assert set(field_errors(auction(client, consent_int).json())) == {"user.ext.consent"}
    negative = banner_request(banner={"format": [{"w": -300, "h": 250}]})
    assert set(field_errors(auction(client, negative).json())) == {"imp.0.banner.format.0.w"}


def test_floors_currencies_and_sizes(operator: Api) -> None:
    network(operator, [HERO], bid=3.0)
    client = operator.client
    answer = auction_until(client, banner_request())
    assert answer.status_code == 200, answer.text
    [bid] = answer.json()["seatbid"][0]["bid"]
    assert bid["price"] == 1.01 and (bid["w"], bid["h"]) == (300, 250)  # the placement's floor + 0.01
    # imp.bidfloor: the auction clears against it (a winner pays it plus 0.01), up to the
    # line item's own bid; above that, no bid; in another currency, no bid.
    raised = auction(client, banner_request(bidfloor=2.5))
    assert raised.status_code == 200 and raised.json()["seatbid"][0]["bid"][0]["price"] == 2.51
    assert auction(client, banner_request(bidfloor=3.0)).json()["seatbid"][0]["bid"][0]["price"] == 3.0
    assert auction(client, banner_request(bidfloor=3.01)).status_code == 204
    assert auction(client, banner_request(bidfloor=0.5, bidfloorcur="EUR")).status_code == 204
    assert auction(client, banner_request(bidfloor=0.5, bidfloorcur="USD")).status_code == 200
    # request.cur: ours must be among them.
    assert auction(client, banner_request() | {"cur": ["EUR"]}).status_code == 204
    assert auction(client, banner_request() | {"cur": ["EUR", "USD"]}).status_code == 200
    # Sizes: none of the placement's -> no bid; w/h instead of format -> a bid.
    assert auction(client, banner_request(banner={"format": [{"w": 728, "h": 90}]})).status_code == 204
    assert auction(client, banner_request(banner={"w": 300, "h": 250})).status_code == 200
    # The placement named in the bidder params when tagid is absent.
    params = {
        "id": "1",
        "banner": {"format": [{"w": 300, "h": 250}]},
        "ext": {"prebid": {"bidder": {"shelfspace": {"placement": "hero"}}}},
    }
    assert auction(client, banner_request() | {"imp": [params]}).status_code == 200
    # Several imps: each declined one is named with its reason beside the bid.
    mixed = banner_request() | {
        "imp": [
            {"id": "a", "tagid": "hero", "banner": {"format": [{"w": 300, "h": 250}]}},
            {
                "id": "b",
                "tagid": "hero",
                "banner": {"format": [{"w": 300, "h": 250}]},
                "bidfloor": 2,
                "bidfloorcur": "EUR",
            },
            {"id": "c", "tagid": "nowhere", "banner": {"format": [{"w": 300, "h": 250}]}},
            {"id": "d", "tagid": "hero", "native": {"request": "{}"}},
            {"id": "e", "banner": {"format": [{"w": 300, "h": 250}]}},
        ]
    }
    body = auction(client, mixed).json()
    assert [b["impid"] for b in body["seatbid"][0]["bid"]] == ["a"]
    assert body["ext"]["shelfspace"]["nobid"] == {
        "b": "floor_in_other_currency",
        "c": "unknown_placement",
        "d": "media_type_not_served",
        "e": "no_placement_named",
    }


def test_tcf_consent_decides_for_a_frequency_capped_line_item(operator: Api) -> None:
    # A capped line item may serve only a user it can count: one whose consent covers
    # TCF purposes 1, 3 and 4, or one out of GDPR's reach.
    network(operator, [HERO], bid=3.0, line_item={"frequency_cap": {"count": 50, "period": "day"}})
    client = operator.client
    assert auction_until(client, banner_request()).status_code == 200  # regs.gdpr 0: no string needed
    granted = banner_request() | {"regs": {"gdpr": 1}, "user": {"buyeruid": "u-1", "consent": GRANTS_1_3_4}}
    assert auction(client, granted).status_code == 200
    as_25 = banner_request() | {"regs": {"ext": {"gdpr": 1}}, "user": {"id": "u-1", "ext": {"consent": GRANTS_1_3_4}}}
    assert auction(client, as_25).status_code == 200
    refused = banner_request() | {"regs": {"gdpr": 1}, "user": {"buyeruid": "u-1", "consent": GRANTS_1_ONLY}}
    assert auction(client, refused).status_code == 204
    silent = banner_request() | {"regs": {"gdpr": 1}, "user": {"buyeruid": "u-1"}}
    assert auction(client, silent).status_code == 204
    anonymous = banner_request() | {"user": {"consent": GRANTS_1_3_4}, "regs": {"gdpr": 1}}
    assert auction(client, anonymous).status_code == 204  # nobody to count


def test_cors_echoes_the_origin_with_credentials(operator: Api) -> None:
    client = operator.client
    origin = "http://shelfspace.test"  # the network's own; listed origins and strangers: tests/prebid/test_cors.py
    preflight = client.options(
        AUCTION,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == origin
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    for body in (banner_request(), {}):  # a no-bid and an error alike
        answer = auction(client, body, Origin=origin)
        assert answer.headers["access-control-allow-origin"] == origin
        assert answer.headers["access-control-allow-credentials"] == "true"


def _hit(client: TestClient, url: str) -> None:
    parts = urlsplit(url)
    answer = client.get(parts.path + (f"?{parts.query}" if parts.query else ""), headers=BROWSER)
    assert answer.status_code in (200, 204), answer.text


def test_burl_and_the_adm_pixel_count_one_impression_and_charge_once(operator: Api) -> None:
    built = network(operator, [HERO], bid=3.0)
    client = operator.client
    answer = auction_until(client, banner_request())
    [bid] = answer.json()["seatbid"][0]["bid"]
    assert bid["crid"] in {c["id"] for c in built["creatives"]}
    pixel = bid["adm"].split('<img src="')[2].split('"')[0].replace("&amp;", "&")
    assert pixel == bid["burl"] + "?img=1"
    assert "/track/click/" in bid["adm"]
    _hit(client, bid["burl"])
    _hit(client, pixel)
    _hit(client, bid["burl"])
    runtime(client).rollups.run()
    today = datetime.now(UTC).date().isoformat()
    rows = operator.get(f"/v1/reports?from={today}&to={today}&group_by=campaign")["rows"]
    [row] = [r for r in rows if r["campaign_id"] == built["campaign"]["id"]]
    assert row["impressions"] == 1
    assert row["spend"] == pytest.approx(bid["price"] / 1000)


def test_a_test_request_bids_without_tracking(operator: Api) -> None:
    network(operator, [HERO], bid=3.0)
    client = operator.client
    auction_until(client, banner_request())
    [bid] = auction(client, banner_request() | {"test": 1}).json()["seatbid"][0]["bid"]
    assert "burl" not in bid and "/track/" not in bid["adm"] and "https://acme.example/tents" in bid["adm"]


def test_a_video_imp_gets_vast(operator: Api) -> None:
    video = {
        "id": "preroll",
        "name": "Pre-roll",
        "channel": "web",
        "format": "video",
        "sizes": ["1920x1080"],
        "floor_cpm": 5,
    }
    network(operator, [video], bid=9.0)
    body = {
        "id": "v",
        "imp": [{"id": "1", "tagid": "preroll", "video": {"mimes": ["video/mp4"], "w": 640, "h": 360}}],
        "app": {"bundle": "com.example"},
        "device": {"devicetype": 3, "geo": {"country": "VNM"}},
    }
    answer = auction_until(operator.client, body)
    assert answer.status_code == 200, answer.text
    [bid] = answer.json()["seatbid"][0]["bid"]
    assert bid["mtype"] == 2 and bid["ext"]["prebid"]["type"] == "video"
    assert bid["adm"].startswith("<?xml") and "<VAST" in bid["adm"] and bid["burl"] in bid["adm"]
