"""Our own conformance check of what the ad server emits, written here from the specs'
facts: VAST 4.2 (the IAB's VAST 4.2 document and the element sequences of its XSD) and
OpenRTB 2.6 (the required fields of BidResponse, SeatBid and Bid).

It needs no IAB file, so it runs on every clone. It is our reading of the specs, not the
IAB's schema: tests/delivery/test_vast.py, test_openrtb.py and tests/demand/test_auction.py
hold the same output to the IAB's own XSD and JSON schemas where those are at hand
(tests/standards.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

from fastapi.testclient import TestClient

from tests.delivery.test_openrtb import HERO, auction_until, banner_request, network
from tests.delivery.test_vast import NS, vast_of, video_network
from tests.support import VIDEO, Api

VAST_NAMESPACE = NS["v"]
VAST_VERSION = "4.2"
MANY = 1_000_000  # "unbounded" in the spec's tables


@dataclass(frozen=True, slots=True)
class Child:
    """An element a parent may hold, with how many times (the spec's minOccurs, maxOccurs)."""

    name: str
    least: int = 0
    most: int = 1


# The children of each element we emit, in the order VAST 4.2 sets them out.
IN_LINE = (  # the ad definition's base, then the InLine's own
    Child("AdSystem", 1),
    Child("Error", 0, MANY),
    Child("Extensions"),
    Child("Impression", 1, MANY),
    Child("Pricing"),
    Child("ViewableImpression"),
    Child("AdServingId", 1),
    Child("AdTitle", 1),
    Child("AdVerifications"),
    Child("Advertiser"),
    Child("Category", 0, MANY),
    Child("Creatives", 1),
    Child("Description"),
    Child("Expires"),
    Child("Survey"),
)
CREATIVES = (Child("Creative", 1, MANY),)
CREATIVE = (
    Child("CompanionAds"),
    Child("CreativeExtensions"),
    Child("Linear"),
    Child("NonLinearAds"),
    Child("UniversalAdId", 1, MANY),
)
LINEAR = (
    Child("Icons"),
    Child("TrackingEvents"),
    Child("AdParameters"),
    Child("Duration", 1),
    Child("MediaFiles", 1),
    Child("VideoClicks"),
)
MEDIA_FILES = (
    Child("ClosedCaptionFiles"),
    Child("MediaFile", 1, MANY),
    Child("Mezzanine", 0, MANY),
    Child("InteractiveCreativeFile", 0, MANY),
)
MEDIA_FILE_ATTRIBUTES = ("delivery", "type", "width", "height")  # required on every MediaFile
DELIVERIES = {"progressive", "streaming"}
PRICING_MODELS = {"cpm", "cpc", "cpe", "cpv"}
DURATION = re.compile(r"^\d{2}:[0-5]\d:[0-5]\d(\.\d{3})?$")  # HH:MM:SS or HH:MM:SS.mmm
CURRENCY = re.compile(r"^[A-Z]{3}$")  # ISO 4217


def local(node: Element) -> str:
    namespace, _, name = node.tag.rpartition("}")
    assert namespace == "{" + VAST_NAMESPACE, f"{node.tag} is outside the VAST namespace"
    return name


def children_in_order(parent: Element, declared: tuple[Child, ...]) -> dict[str, list[Element]]:
    """`parent`'s children, by name, once they are known to be among `declared`, in its
    order, each as many times as it may be and the required ones present."""
    order = [child.name for child in declared]
    found: dict[str, list[Element]] = {}
    position = 0
    for node in parent:
        name = local(node)
        assert name in order, f"<{local(parent)}> holds <{name}>, which VAST {VAST_VERSION} does not put there"
        assert order.index(name) >= position, f"<{name}> comes after <{order[position]}> in <{local(parent)}>"
        position = order.index(name)
        found.setdefault(name, []).append(node)
    for child in declared:
        times = len(found.get(child.name, []))
        assert child.least <= times <= child.most, f"<{local(parent)}> holds <{child.name}> {times} times"
    return found


def is_url(text: str | None) -> bool:
    return bool(text) and (text or "").strip().startswith(("https://", "http://"))


def check_vast_4_2(document: Element) -> list[Element]:
    """The document is VAST 4.2 as we read the spec; its ads' InLine elements."""
    assert local(document) == "VAST" and document.get("version") == VAST_VERSION
    in_lines = []
    for ad in document:
        assert local(ad) == "Ad", f"<VAST> holds <{local(ad)}>"
        [in_line] = list(ad)  # an Ad is an InLine or a Wrapper: we serve only InLine ads
        assert local(in_line) == "InLine"
        in_lines.append(in_line)
        found = children_in_order(in_line, IN_LINE)
        assert found["AdSystem"][0].text and found["AdTitle"][0].text and found["AdServingId"][0].text
        assert all(is_url(impression.text) for impression in found["Impression"])
        for pricing in found.get("Pricing", []):
            assert (pricing.get("model") or "").lower() in PRICING_MODELS
            assert CURRENCY.match(pricing.get("currency") or ""), pricing.attrib
            assert float(pricing.text or "") >= 0
        for creative in children_in_order(found["Creatives"][0], CREATIVES)["Creative"]:
            parts = children_in_order(creative, CREATIVE)
            assert all(universal.get("idRegistry") for universal in parts["UniversalAdId"])
            for linear in parts.get("Linear", []):
                check_linear(linear)
    return in_lines


def check_linear(linear: Element) -> None:
    parts = children_in_order(linear, LINEAR)
    assert DURATION.match(parts["Duration"][0].text or ""), parts["Duration"][0].text
    for events in parts.get("TrackingEvents", []):
        for tracking in events:
            assert local(tracking) == "Tracking" and tracking.get("event") and is_url(tracking.text)
    for media_file in children_in_order(parts["MediaFiles"][0], MEDIA_FILES)["MediaFile"]:
        missing = [name for name in MEDIA_FILE_ATTRIBUTES if not media_file.get(name)]
        assert not missing, f"<MediaFile> lacks the required {missing}"
        assert media_file.get("delivery") in DELIVERIES
        assert (media_file.get("width") or "").isdigit() and (media_file.get("height") or "").isdigit()
        assert is_url(media_file.text)


def test_our_vast_has_what_vast_4_2_requires_in_its_order(
    client: TestClient, operator: Api, advertiser_api: Api
) -> None:
    operator.post("/v1/placements", VIDEO)
    assert check_vast_4_2(vast_of(client)) == []  # no fill: a VAST with no ad
    video_network(operator, advertiser_api.advertiser_id or "", placement=False)
    [in_line] = check_vast_4_2(vast_of(client, user="viewer-1", consent="true", device="ctv"))
    assert in_line.find("v:Creatives/v:Creative/v:Linear", NS) is not None  # a video ad is linear


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def test_our_bid_response_has_what_openrtb_2_6_requires(operator: Api) -> None:
    network(operator, [HERO], bid=3.0)
    request = banner_request() | {
        "imp": [
            {"id": "1", "tagid": "hero", "banner": {"format": [{"w": 300, "h": 250}]}},
            {"id": "2", "tagid": "hero", "banner": {"w": 300, "h": 250}},
        ]
    }
    answer = auction_until(operator.client, request)
    assert answer.status_code == 200, answer.text
    response = answer.json()
    assert isinstance(response["id"], str) and response["id"] == request["id"]  # BidResponse.id: the request's
    assert CURRENCY.match(response.get("cur", "USD"))
    assert isinstance(response["seatbid"], list) and response["seatbid"], "a bid answer has a seatbid"
    asked = {imp["id"] for imp in request["imp"]}
    for seat in response["seatbid"]:
        assert isinstance(seat["bid"], list) and seat["bid"], "a SeatBid holds at least one Bid"
        for bid in seat["bid"]:
            assert isinstance(bid["id"], str) and bid["id"]  # Bid.id: required
            assert bid["impid"] in asked  # Bid.impid: required, an Imp.id of the request
            assert is_number(bid["price"]) and bid["price"] > 0  # Bid.price: required, a CPM number
            assert bid.get("mtype", 1) in (1, 2, 3, 4)  # 2.6: banner, video, audio, native
            for side in ("w", "h"):
                assert isinstance(bid.get(side, 0), int)
    no_bid = auction_until(operator.client, banner_request(tagid="nowhere"))
    assert no_bid.status_code == 204 and not no_bid.content  # no bid: HTTP 204, as the spec recommends
