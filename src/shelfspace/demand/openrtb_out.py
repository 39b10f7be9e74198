"""A decision's unsold placements as one OpenRTB 2.6 BidRequest per partner: data only.

What a partner may learn is decided here, once: the page's context always; the user's
id only when the request's consent allows targeting; the TCF string (with `regs.gdpr`)
whenever one was given, so the partner can check consent itself. No IP address is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

import pycountry

from shelfspace.catalog.enums import AdFormat
from shelfspace.catalog.enums import Device as DeviceName
from shelfspace.core.jsonbody import dumps
from shelfspace.core.money import from_micros
from shelfspace.decisioning.inventory import LivePlacement
from shelfspace.delivery.openrtb_models import (
    Banner,
    BidRequest,
    Device,
    DeviceType,
    Format,
    Geo,
    Imp,
    Regs,
    Site,
    Source,
    User,
    Video,
)
from shelfspace.demand.directory import LivePartner

FIRST_PRICE = 1
VIDEO_MIMES = ["video/mp4", "video/webm"]
VIDEO_PROTOCOLS = [2, 3, 5, 6, 7, 8]  # VAST 2.0, 3.0 and 4.0, inline and wrapper
DEVICE_TYPES = {
    DeviceName.DESKTOP: DeviceType.PERSONAL_COMPUTER,
    DeviceName.MOBILE: DeviceType.PHONE,
    DeviceName.TABLET: DeviceType.TABLET,
    DeviceName.CTV: DeviceType.CONNECTED_TV,
    DeviceName.OTHER: DeviceType.CONNECTED_DEVICE,
}
OFFERED_FORMATS = frozenset({AdFormat.BANNER, AdFormat.VIDEO})  # what partners can fill with markup


@dataclass(frozen=True, slots=True)
class Visit:
    """What the decision request says about the page and the person, already cut down to
    what may leave Shelfspace (`user_id` is None without consent)."""

    page: str | None
    category: str | None
    keywords: tuple[str, ...]
    device: str | None
    country: str | None  # ISO 3166-1 alpha-2, as the decision API takes it
    user_agent: str | None
    user_id: str | None
    tcf: str | None


def effective_floor(partner: LivePartner, placement: LivePlacement) -> int:
    return max(partner.floor_micros, placement.floor_micros)


def _sizes(placement: LivePlacement) -> list[tuple[int, int]]:
    return [(int(w), int(h)) for w, h in (size.split("x") for size in placement.sizes)]


def imp_of(imp_id: str, placement: LivePlacement, partner: LivePartner, currency: str) -> Imp:
    sizes = _sizes(placement)
    banner = video = None
    if placement.format == AdFormat.VIDEO:
        w, h = sizes[0] if sizes else (None, None)
        video = Video(mimes=VIDEO_MIMES, protocols=VIDEO_PROTOCOLS, w=w, h=h)
    else:
        banner = Banner(format=[Format(w=w, h=h) for w, h in sizes])
    return Imp(
        id=imp_id,
        tagid=placement.id,
        banner=banner,
        video=video,
        bidfloor=from_micros(effective_floor(partner, placement)),
        bidfloorcur=currency,
    )


def alpha3(country: str | None) -> str | None:
    found = pycountry.countries.get(alpha_2=country) if country else None
    return found.alpha_3 if found is not None else None


def bid_request(
    auction_id: str, partner: LivePartner, offers: list[tuple[str, LivePlacement]], visit: Visit, currency: str
) -> BidRequest:
    """`offers`: (imp id, placement) for each unsold placement this partner may bid on."""
    country = alpha3(visit.country)
    device = Device(
        ua=visit.user_agent,
        devicetype=DEVICE_TYPES.get(DeviceName(visit.device)) if visit.device else None,
        geo=Geo(country=country) if country else None,
    )
    site = Site(
        page=visit.page, cat=[visit.category] if visit.category else None, keywords=",".join(visit.keywords) or None
    )
    user = User(id=visit.user_id, consent=visit.tcf) if visit.user_id or visit.tcf else None
    return BidRequest(
        id=auction_id,
        imp=[imp_of(imp_id, p, partner, currency) for imp_id, p in offers],
        site=site,
        device=device,
        user=user,
        at=FIRST_PRICE,
        tmax=partner.timeout_ms,
        cur=[currency],
        source=Source(tid=auction_id),
        regs=Regs(gdpr=1) if visit.tcf else None,
    )


def request_json(request: BidRequest) -> bytes:
    """The wire form: unset fields left out, floors as exact JSON numbers."""
    return dumps(request.model_dump(mode="python", exclude_none=True))
