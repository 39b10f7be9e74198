"""OpenRTB 2.6 objects, the subset Shelfspace reads and writes, in both directions.

Used for the bid requests Prebid Server clients send us (`POST /openrtb2/auction`) and
the responses we answer, and equally for the requests Shelfspace sends to demand
partners and the responses it parses from them. So the models stay general: nothing
here is Shelfspace policy, only the shape of the protocol.

Unlike the rest of our inputs (`core.inputs.InputModel` refuses unknown fields), every
object here *allows* unknown fields: OpenRTB is extensible by design (new versions,
vendor fields, `ext`), and a bidder that refused a field it does not know would refuse
most real traffic. Unknown fields are kept (`extra="allow"`) so a request can be passed
on without losing them. Only what the spec makes non-negative is checked, so a broken
request is answered with a 422 naming the field rather than read wrongly.

Money: `price` and `bidfloor` are CPMs in the currency of the response or the imp, kept
as `Decimal` (pydantic reads JSON numbers into it exactly); convert with
`core.money.to_micros` at the edge.
"""

from __future__ import annotations

from decimal import Decimal
from enum import IntEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from shelfspace.core.jsonbody import SENT_AS_NUMBER

Ext = dict[str, Any]
NonNegative = Annotated[int, Field(ge=0)]
Flag = Annotated[int, Field(ge=0, le=1)]  # OpenRTB's booleans are 0 or 1
Price = Annotated[Decimal, Field(ge=0, allow_inf_nan=False), SENT_AS_NUMBER]


class OpenRtbObject(BaseModel):
    """Every OpenRTB object: unknown fields kept, never refused (see the module docstring)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class MarkupType(IntEnum):
    """`Bid.mtype` (OpenRTB 2.6): the kind of markup in `adm`."""

    BANNER = 1
    VIDEO = 2
    AUDIO = 3
    NATIVE = 4


class DeviceType(IntEnum):
    """AdCOM 1.0 Device Types, the values of `Device.devicetype`."""

    MOBILE_TABLET = 1  # "Mobile/Tablet - General"
    PERSONAL_COMPUTER = 2
    CONNECTED_TV = 3
    PHONE = 4
    TABLET = 5
    CONNECTED_DEVICE = 6
    SET_TOP_BOX = 7
    OOH_DEVICE = 8


class NoBidReason(IntEnum):
    """`BidResponse.nbr`, OpenRTB 2.6 list 5.24 (the codes we use)."""

    UNKNOWN_ERROR = 0
    TECHNICAL_ERROR = 1
    INVALID_REQUEST = 2
    UNSUPPORTED_DEVICE = 6
    INSUFFICIENT_AUCTION_TIME = 9


# ---------------------------------------------------------------- request side


class Format(OpenRtbObject):
    w: NonNegative | None = None
    h: NonNegative | None = None
    wratio: NonNegative | None = None
    hratio: NonNegative | None = None
    wmin: NonNegative | None = None
    ext: Ext | None = None


class Banner(OpenRtbObject):
    format: list[Format] | None = None
    w: NonNegative | None = None
    h: NonNegative | None = None
    btype: list[int] | None = None
    battr: list[int] | None = None
    pos: int | None = None
    mimes: list[str] | None = None
    topframe: Flag | None = None
    expdir: list[int] | None = None
    api: list[int] | None = None
    id: str | None = None
    vcm: Flag | None = None
    ext: Ext | None = None


class Video(OpenRtbObject):
    mimes: list[str] | None = None
    minduration: NonNegative | None = None
    maxduration: NonNegative | None = None
    startdelay: int | None = None  # -1 and -2 are generic mid- and post-roll
    protocols: list[int] | None = None
    w: NonNegative | None = None
    h: NonNegative | None = None
    placement: int | None = None
    plcmt: int | None = None
    linearity: int | None = None
    skip: Flag | None = None
    minbitrate: NonNegative | None = None
    maxbitrate: NonNegative | None = None
    playbackmethod: list[int] | None = None
    api: list[int] | None = None
    ext: Ext | None = None


class Native(OpenRtbObject):
    """Recognised so an imp asking only for native can be declined; the request is not read."""

    request: str | dict[str, Any] | None = None
    ver: str | None = None
    api: list[int] | None = None
    battr: list[int] | None = None
    ext: Ext | None = None


class Imp(OpenRtbObject):
    id: str = Field(min_length=1)
    metric: list[dict[str, Any]] | None = None
    banner: Banner | None = None
    video: Video | None = None
    audio: dict[str, Any] | None = None
    native: Native | None = None
    pmp: dict[str, Any] | None = None
    displaymanager: str | None = None
    displaymanagerver: str | None = None
    instl: Flag | None = None
    tagid: str | None = None
    bidfloor: Price | None = None
    bidfloorcur: str | None = None  # the spec's default is "USD" when a floor is given
    clickbrowser: Flag | None = None
    secure: Flag | None = None
    iframebuster: list[str] | None = None
    rwdd: Flag | None = None
    exp: int | None = None
    ext: Ext | None = None


class Publisher(OpenRtbObject):
    id: str | None = None
    name: str | None = None
    cat: list[str] | None = None
    domain: str | None = None
    ext: Ext | None = None


class Site(OpenRtbObject):
    id: str | None = None
    name: str | None = None
    domain: str | None = None
    cat: list[str] | None = None
    sectioncat: list[str] | None = None
    pagecat: list[str] | None = None
    page: str | None = None
    ref: str | None = None
    search: str | None = None
    mobile: Flag | None = None
    privacypolicy: Flag | None = None
    publisher: Publisher | None = None
    content: dict[str, Any] | None = None
    keywords: str | None = None  # comma separated
    kwarray: list[str] | None = None  # 2.6
    ext: Ext | None = None


class App(OpenRtbObject):
    id: str | None = None
    name: str | None = None
    bundle: str | None = None
    domain: str | None = None
    storeurl: str | None = None
    cat: list[str] | None = None
    ver: str | None = None
    publisher: Publisher | None = None
    content: dict[str, Any] | None = None
    keywords: str | None = None
    kwarray: list[str] | None = None
    ext: Ext | None = None


class Geo(OpenRtbObject):
    lat: float | None = None
    lon: float | None = None
    type: int | None = None
    accuracy: NonNegative | None = None
    country: str | None = None  # ISO-3166-1 alpha-3
    region: str | None = None
    city: str | None = None
    zip: str | None = None
    utcoffset: int | None = None
    ext: Ext | None = None


class Device(OpenRtbObject):
    ua: str | None = None
    sua: dict[str, Any] | None = None
    geo: Geo | None = None
    dnt: Flag | None = None
    lmt: Flag | None = None
    ip: str | None = None
    ipv6: str | None = None
    devicetype: int | None = None  # see DeviceType
    make: str | None = None
    model: str | None = None
    os: str | None = None
    osv: str | None = None
    h: NonNegative | None = None
    w: NonNegative | None = None
    ppi: NonNegative | None = None
    pxratio: float | None = None
    js: Flag | None = None
    language: str | None = None
    carrier: str | None = None
    connectiontype: int | None = None
    ifa: str | None = None
    ext: Ext | None = None


class User(OpenRtbObject):
    id: str | None = None
    buyeruid: str | None = None
    yob: int | None = None
    gender: str | None = None
    keywords: str | None = None
    kwarray: list[str] | None = None
    customdata: str | None = None
    geo: Geo | None = None
    data: list[dict[str, Any]] | None = None
    consent: str | None = None  # 2.6: the TCF consent string (2.5: ext.consent)
    eids: list[dict[str, Any]] | None = None
    ext: Ext | None = None


class Regs(OpenRtbObject):
    coppa: Flag | None = None
    gdpr: Flag | None = None  # 2.6 (2.5: ext.gdpr)
    us_privacy: str | None = None
    gpp: str | None = None
    gpp_sid: list[int] | None = None
    ext: Ext | None = None


class Source(OpenRtbObject):
    fd: Flag | None = None
    tid: str | None = None
    pchain: str | None = None
    schain: dict[str, Any] | None = None
    ext: Ext | None = None


class BidRequest(OpenRtbObject):
    id: str = Field(min_length=1)
    imp: list[Imp] = Field(min_length=1)
    site: Site | None = None
    app: App | None = None
    dooh: dict[str, Any] | None = None
    device: Device | None = None
    user: User | None = None
    test: NonNegative | None = None  # 1: a test auction (not billable); read any non-zero as test
    at: int | None = None
    tmax: NonNegative | None = None
    wseat: list[str] | None = None
    bseat: list[str] | None = None
    allimps: Flag | None = None
    cur: list[str] | None = None
    wlang: list[str] | None = None
    bcat: list[str] | None = None
    cattax: int | None = None
    badv: list[str] | None = None
    bapp: list[str] | None = None
    source: Source | None = None
    regs: Regs | None = None
    ext: Ext | None = None


# --------------------------------------------------------------- response side


class Bid(OpenRtbObject):
    id: str
    impid: str
    price: Price
    nurl: str | None = None
    burl: str | None = None
    lurl: str | None = None
    adm: str | None = None
    adid: str | None = None
    adomain: list[str] | None = None
    bundle: str | None = None
    iurl: str | None = None
    cid: str | None = None
    crid: str | None = None
    tactic: str | None = None
    cattax: int | None = None
    cat: list[str] | None = None
    attr: list[int] | None = None
    apis: list[int] | None = None
    protocol: int | None = None
    language: str | None = None
    dealid: str | None = None
    w: NonNegative | None = None
    h: NonNegative | None = None
    wratio: NonNegative | None = None
    hratio: NonNegative | None = None
    exp: int | None = None
    dur: int | None = None
    mtype: int | None = None  # see MarkupType
    ext: Ext | None = None


class SeatBid(OpenRtbObject):
    bid: list[Bid]
    seat: str | None = None
    group: Flag | None = None
    ext: Ext | None = None


class BidResponse(OpenRtbObject):
    id: str
    seatbid: list[SeatBid] | None = None
    bidid: str | None = None
    cur: str | None = None  # the spec's default is "USD"
    customdata: str | None = None
    nbr: int | None = None  # see NoBidReason
    ext: Ext | None = None

    def to_json(self) -> dict[str, Any]:
        """The response as JSON-ready data: unset fields left out, prices still `Decimal`
        (write them with `core.jsonbody.dumps`, which keeps them exact numbers)."""
        return self.model_dump(mode="python", exclude_none=True)
