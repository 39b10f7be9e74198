"""A served video ad as VAST 4.2 XML (IAB), or the empty VAST of no fill.

Translation only: the decision and the tracking URLs come in, XML goes out. Element order
follows the IAB schema (`vast_4.2.xsd`), which the tests validate against.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal

from shelfspace.core.buying import Pricing

VAST_NS = "http://www.iab.com/VAST"
MEDIA_TYPES = {"mp4": "video/mp4", "webm": "video/webm", "m3u8": "application/x-mpegURL", "mov": "video/quicktime"}
DEFAULT_SIZE = (1920, 1080)
QUARTILES = ("start", "firstQuartile", "midpoint", "thirdQuartile", "complete")


@dataclass(frozen=True, slots=True)
class VideoAd:
    ad_id: str  # also the AdServingId: unique per served ad
    creative_id: str
    title: str
    advertiser: str
    media_url: str
    duration_seconds: int
    size: str | None
    media_type: str | None
    bitrate_kbps: int | None
    price: Decimal  # CPM the winner pays
    currency: str
    impression_url: str
    viewable_url: str
    click_url: str
    progress_urls: dict[str, str]  # quartile event -> URL
    error_url: str


def _duration(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}.000"


def _media_type(url: str) -> str:
    extension = url.rsplit("?", 1)[0].rsplit(".", 1)[-1].lower()
    return MEDIA_TYPES.get(extension, "video/mp4")


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, tag, attrs)
    node.text = text
    return node


def empty_vast() -> bytes:
    """No fill: a VAST document with no ad, which players read as nothing to show."""
    return _serialise(ET.Element("VAST", {"version": "4.2", "xmlns": VAST_NS}))


def vast(ad: VideoAd) -> bytes:
    root = ET.Element("VAST", {"version": "4.2", "xmlns": VAST_NS})
    inline = ET.SubElement(ET.SubElement(root, "Ad", {"id": ad.ad_id}), "InLine")
    _text(inline, "AdSystem", "Shelfspace", version="1")
    _text(inline, "Error", ad.error_url)
    _text(inline, "Impression", ad.impression_url, id=f"{ad.ad_id}-impression")
    _text(inline, "Pricing", f"{ad.price:.2f}", model=str(Pricing.CPM), currency=ad.currency)
    viewable = ET.SubElement(inline, "ViewableImpression", {"id": f"{ad.ad_id}-viewable"})
    _text(viewable, "Viewable", ad.viewable_url)
    _text(inline, "AdServingId", ad.ad_id)
    _text(inline, "AdTitle", ad.title)
    _text(inline, "Advertiser", ad.advertiser)
    creatives = ET.SubElement(inline, "Creatives")
    creative = ET.SubElement(creatives, "Creative", {"id": ad.creative_id, "adId": ad.creative_id})
    linear = ET.SubElement(creative, "Linear")
    events = ET.SubElement(linear, "TrackingEvents")
    for name in QUARTILES:
        _text(events, "Tracking", ad.progress_urls[name], event=name)
    _text(linear, "Duration", _duration(ad.duration_seconds))
    width, height = (int(n) for n in ad.size.split("x")) if ad.size else DEFAULT_SIZE
    media_files = ET.SubElement(linear, "MediaFiles")
    extra = {"bitrate": str(ad.bitrate_kbps)} if ad.bitrate_kbps else {}
    _text(
        media_files,
        "MediaFile",
        ad.media_url,
        delivery="progressive",
        type=ad.media_type or _media_type(ad.media_url),
        width=str(width),
        height=str(height),
        **extra,
    )
    clicks = ET.SubElement(linear, "VideoClicks")
    _text(clicks, "ClickThrough", ad.click_url, id=f"{ad.ad_id}-click")
    _text(creative, "UniversalAdId", ad.creative_id, idRegistry="shelfspace")
    return _serialise(root)


def _serialise(root: ET.Element) -> bytes:
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body
