"""OpenRTB 2.6 in and out of the engine: Shelfspace as a Prebid Server endpoint.

Translation only (no I/O): `read_request` turns a bid request into one `DecisionRequest`
and says, imp by imp, which placement it asks for or why it gets no bid; `bid_response`
turns the engine's `Decision` into the bid response. The route (`openrtb_api.py`) runs
the engine, counts and signs, and passes the markup in.

What names the placement: `imp.tagid`, the OpenRTB field for "the ad tag or placement
id", which Prebid.js fills from the ad unit's `ortb2Imp.tagid`. When it is absent, the
bidder params Prebid.js forwards are read: `imp.ext.prebid.bidder.shelfspace.placement`
(the ad unit's `bids: [{bidder: "shelfspace", params: {placement: "home-hero"}}]`).

Every imp that gets no bid has a `NoBidReason`; the answer's `ext.shelfspace.nobid`
lists them when some other imp got a bid (a request with no bid at all is a bare 204),
and `ext.shelfspace.consent` says how the consent was read (`privacy.consent` reasons).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from html import escape
from typing import Any

import pycountry

from shelfspace.catalog.enums import AdFormat, Device
from shelfspace.catalog.fields import SLUG_PATTERN
from shelfspace.core.errors import FieldProblem, InvalidInput
from shelfspace.core.money import MICROS_PER_UNIT, from_micros
from shelfspace.decisioning.engine import Decision, ServedAd
from shelfspace.decisioning.inventory import LivePlacement, Pricing
from shelfspace.decisioning.request import Context, DecisionRequest, SlotRequest
from shelfspace.delivery.openrtb_models import Bid, BidRequest, BidResponse, DeviceType, Imp, MarkupType, SeatBid
from shelfspace.privacy.consent import ConsentReason, ConsentVerdict, InvalidConsentString, targeting_consent

SEAT = "shelfspace"
DEFAULT_FLOOR_CURRENCY = "USD"  # OpenRTB 2.6: `bidfloorcur` defaults to USD
MAX_KEYWORDS = 50
UNREADABLE_CONSENT = ConsentVerdict(False, ConsentReason.UNREADABLE_STRING)
SLUG = re.compile(SLUG_PATTERN)

DEVICE_TYPES: dict[int, Device] = {
    DeviceType.MOBILE_TABLET: Device.MOBILE,
    DeviceType.PERSONAL_COMPUTER: Device.DESKTOP,
    DeviceType.CONNECTED_TV: Device.CTV,
    DeviceType.PHONE: Device.MOBILE,
    DeviceType.TABLET: Device.TABLET,
    DeviceType.CONNECTED_DEVICE: Device.OTHER,
    DeviceType.SET_TOP_BOX: Device.CTV,
    DeviceType.OOH_DEVICE: Device.OTHER,
}
# Tell-tale words of user agents, checked in this order (a tablet's UA often says Mobile too).
UA_DEVICES: tuple[tuple[re.Pattern[str], Device], ...] = (
    (re.compile(r"SMART-TV|SmartTV|Tizen|Web0S|WebOS|AppleTV|CrKey|Roku|AFT[A-Z]|BRAVIA|HbbTV", re.I), Device.CTV),
    (re.compile(r"iPad|Tablet|Kindle|Silk/", re.I), Device.TABLET),
    (re.compile(r"Mobi|iPhone|iPod|Android", re.I), Device.MOBILE),
)


class MediaType(StrEnum):
    """What an imp is served as; the values are Prebid's `ext.prebid.type`."""

    BANNER = "banner"
    VIDEO = "video"


MARKUP_TYPES = {MediaType.BANNER: MarkupType.BANNER, MediaType.VIDEO: MarkupType.VIDEO}


class NoBidReason(StrEnum):
    """Why an imp (or the whole request) gets no bid."""

    NO_PLACEMENT_NAMED = "no_placement_named"  # neither tagid nor ext.prebid.bidder.shelfspace.placement
    UNKNOWN_PLACEMENT = "unknown_placement"  # no active placement has that id
    MEDIA_TYPE_NOT_SERVED = "media_type_not_served"  # e.g. native or audio only, or banner on a video placement
    SIZE_MISMATCH = "size_mismatch"  # none of the imp's sizes is one of the placement's (or the ad's)
    FLOOR_IN_OTHER_CURRENCY = "floor_in_other_currency"  # bidfloorcur is not the network currency
    BELOW_FLOOR = "below_floor"  # the winner's price is under imp.bidfloor
    CURRENCY_NOT_ACCEPTED = "currency_not_accepted"  # request.cur does not list the network currency
    TEST_VIDEO_UNTRACKED = "test_video_untracked"  # test requests carry no tracking; VAST needs it
    NO_FILL = "no_fill"  # the auction found nothing to serve


@dataclass(frozen=True, slots=True)
class ImpAsk:
    """One imp as read: the placement it asks for, or why it is declined."""

    imp: Imp
    placement_id: str | None = None
    media: MediaType | None = None
    sizes: frozenset[str] = frozenset()  # "300x250"; empty: any of the placement's
    floor_micros: int = 0
    declined: NoBidReason | None = None


@dataclass(frozen=True, slots=True)
class Auction:
    """The bid request read: the engine's request (None: nothing to ask) and every imp."""

    request: DecisionRequest | None
    imps: tuple[ImpAsk, ...]
    user_id: str | None
    consent: ConsentVerdict
    test: bool
    declined: NoBidReason | None = None  # the whole request

    def asked(self) -> dict[str, int]:
        """Slots asked per placement, for the opportunity counts."""
        counts: dict[str, int] = {}
        for ask in self.imps:
            if ask.declined is None and ask.placement_id is not None:
                counts[ask.placement_id] = counts.get(ask.placement_id, 0) + 1
        return counts


@dataclass(frozen=True, slots=True)
class Markup:
    adm: str
    burl: str | None  # None in test mode: nothing to count


@dataclass(slots=True)
class Bids:
    """The answer's bids and, for every other imp, why it has none."""

    bids: list[Bid] = field(default_factory=list)
    declined: dict[str, NoBidReason] = field(default_factory=dict)  # imp id -> reason
    filled: dict[str, int] = field(default_factory=dict)  # placement id -> bids


# ------------------------------------------------------------------ reading


def read_request(request: BidRequest, placement_of: Callable[[str], LivePlacement | None], currency: str) -> Auction:
    """The bid request in the engine's terms. Raises `InvalidInput` (422) for what OpenRTB
    itself forbids: duplicate imp ids, an imp with no media object, an undecodable consent."""
    _check_imps(request)
    user_id = _user_id(request)
    consent = _consent(request)
    test = bool(request.test)
    if request.cur and currency not in request.cur:
        asks = tuple(ImpAsk(imp, declined=NoBidReason.CURRENCY_NOT_ACCEPTED) for imp in request.imp)
        return Auction(None, asks, user_id, consent, test, NoBidReason.CURRENCY_NOT_ACCEPTED)
    asks = tuple(_read_imp(imp, placement_of, currency, test) for imp in request.imp)
    auction = Auction(None, asks, user_id, consent, test)
    # The engine prices each placement against the imps' floor (the lowest of its imps'
    # when several ask for it: each imp's own is checked again when the bids are handed out).
    floors = {
        pid: min(a.floor_micros for a in asks if a.placement_id == pid and a.declined is None)
        for pid in auction.asked()
    }
    slots = tuple(SlotRequest(pid, count, floors[pid]) for pid, count in auction.asked().items())
    if not slots:
        return auction
    ask = DecisionRequest(slots=slots, context=_context(request), user_id=user_id, consent=consent.allowed)
    return Auction(ask, asks, user_id, consent, test)


def _check_imps(request: BidRequest) -> None:
    problems: list[FieldProblem] = []
    seen: set[str] = set()
    for i, imp in enumerate(request.imp):
        if imp.id in seen:
            problems.append(FieldProblem(f"imp.{i}.id", f"imp id {imp.id!r} is used twice; bids name their imp by id"))
        seen.add(imp.id)
        if imp.banner is None and imp.video is None and imp.native is None and imp.audio is None:
            problems.append(FieldProblem(f"imp.{i}", "an imp needs one of banner, video, audio or native"))
    if problems:
        raise InvalidInput.collect(problems)


def _placement_named(imp: Imp) -> str | None:
    if imp.tagid:
        return imp.tagid
    prebid = (imp.ext or {}).get("prebid")
    bidder = prebid.get("bidder") if isinstance(prebid, dict) else None
    params = bidder.get(SEAT) if isinstance(bidder, dict) else None
    named = params.get("placement") if isinstance(params, dict) else None
    return named if isinstance(named, str) and named else None


def _sizes(imp: Imp) -> frozenset[str]:
    banner = imp.banner
    if banner is None:
        return frozenset()
    found = {f"{f.w}x{f.h}" for f in banner.format or () if f.w and f.h}
    if banner.w and banner.h:
        found.add(f"{banner.w}x{banner.h}")
    return frozenset(found)


def _read_imp(imp: Imp, placement_of: Callable[[str], LivePlacement | None], currency: str, test: bool) -> ImpAsk:
    named = _placement_named(imp)
    if named is None:
        return ImpAsk(imp, declined=NoBidReason.NO_PLACEMENT_NAMED)
    placement = placement_of(named) if SLUG.match(named) else None
    if placement is None:
        return ImpAsk(imp, declined=NoBidReason.UNKNOWN_PLACEMENT)
    if placement.format == AdFormat.VIDEO and imp.video is not None:
        media = MediaType.VIDEO
    elif placement.format == AdFormat.BANNER and imp.banner is not None:
        media = MediaType.BANNER
    else:
        return ImpAsk(imp, named, declined=NoBidReason.MEDIA_TYPE_NOT_SERVED)
    if media is MediaType.VIDEO and test:
        return ImpAsk(imp, named, media, declined=NoBidReason.TEST_VIDEO_UNTRACKED)
    sizes = _sizes(imp) if media is MediaType.BANNER else frozenset()
    if sizes and placement.sizes and not sizes & set(placement.sizes):
        return ImpAsk(imp, named, media, sizes, declined=NoBidReason.SIZE_MISMATCH)
    floor = imp.bidfloor or Decimal(0)
    if floor > 0 and (imp.bidfloorcur or DEFAULT_FLOOR_CURRENCY).upper() != currency:
        return ImpAsk(imp, named, media, sizes, declined=NoBidReason.FLOOR_IN_OTHER_CURRENCY)
    floor_micros = int((floor * MICROS_PER_UNIT).to_integral_value(ROUND_CEILING))
    return ImpAsk(imp, named, media, sizes, floor_micros)


def _user_id(request: BidRequest) -> str | None:
    user = request.user
    if user is None:
        return None
    return user.buyeruid or user.id or None


def _ext_value(ext: dict[str, Any] | None, key: str) -> object:
    return (ext or {}).get(key)


def _consent(request: BidRequest) -> ConsentVerdict:
    """TCF v2: `regs.gdpr` (2.6) or `regs.ext.gdpr` (2.5), `user.consent` or `user.ext.consent`.
    Wrong JSON types are refused (422); an undecodable string is no consent."""
    regs, user = request.regs, request.user
    gdpr: object = regs.gdpr if regs and regs.gdpr is not None else _ext_value(regs.ext if regs else None, "gdpr")
    if gdpr is not None and gdpr not in (0, 1):
        raise InvalidInput.on("regs.ext.gdpr", "must be 0 or 1")
    tc: object = user.consent if user and user.consent else _ext_value(user.ext if user else None, "consent")
    where = "user.consent" if user and user.consent else "user.ext.consent"
    if tc is not None and not isinstance(tc, str):
        raise InvalidInput.on(where, "must be a TCF consent string")
    try:
        return targeting_consent(tc or None, None if gdpr is None else gdpr == 1)
    except InvalidConsentString:
        # As Prebid Server does: a string that does not decode (a TCF v1 string, say) is
        # read as no consent rather than refused; the bids say so (UNREADABLE_CONSENT).
        return UNREADABLE_CONSENT


def _country(request: BidRequest) -> str | None:
    geo = (request.device.geo if request.device else None) or (request.user.geo if request.user else None)
    code = (geo.country or "").strip().upper() if geo else ""
    if len(code) == 3:
        found = pycountry.countries.get(alpha_3=code)
        return found.alpha_2 if found else None
    if len(code) == 2 and pycountry.countries.get(alpha_2=code):
        return code  # some senders use alpha-2 despite the spec
    return None


def _device(request: BidRequest) -> Device | None:
    device = request.device
    if device is None:
        return None
    if device.devicetype is not None and device.devicetype in DEVICE_TYPES:
        return DEVICE_TYPES[device.devicetype]
    if device.ua:
        return next((kind for pattern, kind in UA_DEVICES if pattern.search(device.ua)), Device.DESKTOP)
    return None


def _keywords(request: BidRequest) -> tuple[str, ...]:
    source = request.site or request.app
    if source is None:
        return ()
    words = [*(source.keywords or "").split(","), *(source.kwarray or ())]
    cleaned = (" ".join(w.split()) for w in words)
    return tuple(dict.fromkeys(w for w in cleaned if w and len(w) <= 100))[:MAX_KEYWORDS]


def _context(request: BidRequest) -> Context:
    site = request.site
    categories = (site.cat if site else None) or (request.app.cat if request.app else None) or []
    category = next((c.strip().lower() for c in categories if c.strip()), None)
    return Context(
        url=site.page if site else None,
        keywords=_keywords(request),
        category=category,
        device=_device(request),
        country=_country(request),
    )


# ------------------------------------------------------------------ answering


def ecpm_micros(ad: ServedAd) -> int:
    """What the ad is worth per thousand impressions, in micros: a CPM ad's price, a CPC
    ad's price per click times its predicted CTR times 1000."""
    if ad.candidate.line_item.pricing is Pricing.CPM:
        return ad.price_micros
    return round(ad.price_micros * ad.predicted_ctr * 1000)


def _size_of(ad: ServedAd, ask: ImpAsk) -> tuple[int, int] | None:
    size = ad.creative.size or (min(ask.sizes) if ask.sizes else None)
    if not size or "x" not in size:
        return None
    w, h = size.split("x", 1)
    return int(w), int(h)


def _fits(ad: ServedAd, ask: ImpAsk) -> bool:
    return ask.media is MediaType.VIDEO or not ask.sizes or ad.creative.size is None or ad.creative.size in ask.sizes


def bids_of(auction: Auction, decision: Decision, markup: Callable[[ServedAd, MediaType], Markup]) -> Bids:
    """Each served ad goes to the first imp of its placement that its size fits and whose
    floor it meets (the engine priced it against the lowest floor of the placement's
    imps); every imp left has its reason."""
    out = Bids()
    ads = {pid: list(served) for pid, served in decision.ads.items()}
    for ask in auction.imps:
        if ask.declined is not None:
            out.declined[ask.imp.id] = ask.declined
            continue
        assert ask.placement_id is not None and ask.media is not None
        waiting = ads.get(ask.placement_id, [])
        ad = next((a for a in waiting if _fits(a, ask)), None)
        if ad is None:
            out.declined[ask.imp.id] = NoBidReason.SIZE_MISMATCH if waiting else NoBidReason.NO_FILL
            continue
        price = ecpm_micros(ad)
        if price < ask.floor_micros:
            out.declined[ask.imp.id] = NoBidReason.BELOW_FLOOR
            continue
        waiting.remove(ad)
        out.bids.append(_bid(ad, ask, ask.media, price, markup(ad, ask.media)))
        out.filled[ask.placement_id] = out.filled.get(ask.placement_id, 0) + 1
    return out


def _bid(ad: ServedAd, ask: ImpAsk, media: MediaType, price_micros: int, markup: Markup) -> Bid:
    size = _size_of(ad, ask)
    domain = ad.candidate.advertiser.domain
    return Bid(
        id=ad.ad_id,
        impid=ask.imp.id,
        price=from_micros(price_micros),
        adm=markup.adm,
        burl=markup.burl,
        adid=ad.ad_id,
        crid=ad.creative.id,
        cid=ad.candidate.line_item.campaign_id,
        adomain=[domain] if domain else None,
        w=size[0] if size else None,
        h=size[1] if size else None,
        mtype=MARKUP_TYPES[media],
        ext={"prebid": {"type": str(media)}},
    )


def bid_response(
    request: BidRequest, auction: Auction, decision_id: str, bids: Bids, currency: str
) -> BidResponse | None:
    """The answer, or None for no bid (the route answers 204)."""
    if not bids.bids:
        return None
    ours: dict[str, Any] = {"consent": str(auction.consent.reason)}
    if bids.declined:
        ours["nobid"] = {imp: str(reason) for imp, reason in bids.declined.items()}
    return BidResponse(
        id=request.id, bidid=decision_id, cur=currency, ext={SEAT: ours}, seatbid=[SeatBid(seat=SEAT, bid=bids.bids)]
    )


def banner_markup(ad: ServedAd, urls: Mapping[str, str] | None) -> str:
    """The banner's `adm`: the creative (its HTML, or its image linked to our signed click
    URL) and our impression pixel. `urls` None (a test request): the landing page
    directly and no pixel, so nothing is counted or charged."""
    creative = ad.creative
    landing = creative.click_url or (ad.product.url if ad.product else None) or ""
    click = urls["click"] if urls else landing
    pixel = (
        (
            f'<img src="{escape(urls["impression"])}?img=1" width="1" height="1" alt="" '
            'style="position:absolute;left:-9999px;border:0">'
        )
        if urls
        else ""
    )
    if creative.html:
        return creative.html.replace("%%CLICK_URL%%", escape(click)) + pixel
    w, h = (creative.size or "x").split("x", 1)
    dims = f' width="{w}" height="{h}"' if w and h else ""
    alt = escape(creative.title or "Advertisement")
    return (
        f'<a href="{escape(click)}" target="_blank" rel="noopener">'
        f'<img src="{escape(creative.image_url or "")}"{dims} alt="{alt}" style="display:block;border:0"></a>' + pixel
    )
