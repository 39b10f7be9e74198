"""/media-kit: the network's offer, generated from its own data, for the operator to send to any brand.

Public: a brand reads it before it has an account. Every figure is counted from the last
30 days of the network (reach, ad requests, CTR by format) or read from the catalogue
(placements, floors, categories). A rate without data says so ("no data yet"), never
0.00%: no impressions, or too few to tell with no click yet; a placement nobody can click
(video, in-store screens, CTV) says that instead.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import timedelta

from fastapi import Request
from sqlalchemy import func, select
from starlette.responses import Response

from shelfspace.catalog.enums import CLICKABLE_CHANNELS, CLICKABLE_FORMATS, AdFormat, AdvertiserStatus, Channel
from shelfspace.catalog.models import Advertiser, Product
from shelfspace.dashboard.periods import today
from shelfspace.dashboard.rendering import percent, render
from shelfspace.dashboard.routing import page_router
from shelfspace.db.session import session_scope
from shelfspace.reporting.inventory_stats import PlacementStats, channel_stats, network_reach, placement_stats
from shelfspace.runtime import runtime_of

router = page_router()

DAYS = 30
FEW_IMPRESSIONS = 1000  # below this, no click yet is no evidence of a 0% rate
NO_DATA = "no data yet"
NOT_CLICKABLE = "not clickable"
CHANNEL_PITCH = {
    Channel.WEB: "Banners and native ads on the shop's website, beside what shoppers browse.",
    Channel.APP: "Native and banner ads in the shop's app, where loyal customers come back every week.",
    Channel.SEARCH: "Sponsored products inside search results: the moment a shopper looks for your category.",
    Channel.VIDEO: "Pre-roll before the shop's own videos.",
    Channel.CTV: "Full-screen video on the shop's smart-TV app, sold by the thousand.",
    Channel.EMAIL: "A banner in the weekly offers e-mail.",
    Channel.INSTORE: "Video on the screens at the checkouts, in the stores themselves.",
}


def ctr_text(stats: Iterable[PlacementStats]) -> str:
    """The click-through of some placements as a brand should read it (see the module's doc)."""
    clickable = [p for p in stats if p.channel in CLICKABLE_CHANNELS and p.format in CLICKABLE_FORMATS]
    if not clickable:
        return NOT_CLICKABLE
    impressions, clicks = sum(p.impressions for p in clickable), sum(p.clicks for p in clickable)
    if not impressions or (not clicks and impressions < FEW_IMPRESSIONS):
        return NO_DATA
    return percent(clicks / impressions)


@router.get("/media-kit")
def media_kit(request: Request) -> Response:
    end = today(request)
    start = end - timedelta(days=DAYS - 1)
    with session_scope(runtime_of(request).db_sessions) as db:
        placements = placement_stats(db, start=start, end=end)
        channels = channel_stats(db, start=start, end=end)
        reach = network_reach(db, start=start, end=end)
        categories = Counter(
            {
                top: n
                for top, n in db.execute(
                    select(func.substr(Product.category, 1, 100), func.count())
                    .where(Product.archived_at.is_(None))
                    .group_by(Product.category)
                )
            }
        )
        industries = Counter(
            (category or "other").split("/", 1)[0]
            for category in db.scalars(select(Advertiser.category).where(Advertiser.status == AdvertiserStatus.ACTIVE))
        )
    by_format: defaultdict[AdFormat, list[PlacementStats]] = defaultdict(list)
    for p in placements:
        by_format[p.format].append(p)
    ctr = {f: ctr_text(by_format[f]) if by_format[f] else NO_DATA for f in AdFormat}
    ctr_of = {
        "placement": {p.placement_id: ctr_text([p]) for p in placements},
        "channel": {c: ctr_text([p for p in placements if p.channel is c]) for c in Channel},
    }
    tops: Counter[str] = Counter()
    for category, n in categories.items():
        tops[(category or "other").split("/", 1)[0]] += n
    return render(
        request,
        "public/media_kit.html",
        title="Media kit",
        network=runtime_of(request).settings.network_name,
        placements=placements,
        channels=channels,
        ctr=ctr,
        ctr_of=ctr_of,
        reach=reach,
        days=DAYS,
        requests=sum(p.requests for p in placements),
        impressions=sum(p.impressions for p in placements),
        categories=tops.most_common(12),
        industries=industries.most_common(),
        pitch=CHANNEL_PITCH,
        lowest_floor=min((p.floor_cpm_micros for p in placements), default=None),
    )
