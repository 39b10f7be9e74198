"""/media-kit: the network's offer, generated from its own data, for the operator to send to any brand.

Public: a brand reads it before it has an account. Every figure is counted from the last
30 days of the network (reach, ad requests, CTR by format) or read from the catalogue
(placements, floors, categories); a format without data shows a dash, never a guess.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from fastapi import Request
from sqlalchemy import func, select
from starlette.responses import Response

from shelfspace.catalog.enums import AdvertiserStatus, Channel
from shelfspace.catalog.models import Advertiser, Product
from shelfspace.dashboard.periods import today
from shelfspace.dashboard.rendering import render
from shelfspace.dashboard.routing import page_router
from shelfspace.db.session import session_scope
from shelfspace.reporting.inventory_stats import channel_stats, format_ctr, network_reach, placement_stats

router = page_router()

DAYS = 30
CHANNEL_PITCH = {
    Channel.WEB: "Banners and native ads on the shop's website, beside what shoppers browse.",
    Channel.APP: "Native and banner ads in the shop's app, where loyal customers come back every week.",
    Channel.SEARCH: "Sponsored products inside search results: the moment a shopper looks for your category.",
    Channel.VIDEO: "Pre-roll before the shop's own videos.",
    Channel.CTV: "Full-screen video on the shop's smart-TV app, sold by the thousand.",
    Channel.EMAIL: "A banner in the weekly offers e-mail.",
    Channel.INSTORE: "Video on the screens at the checkouts, in the stores themselves.",
}


@router.get("/media-kit")
def media_kit(request: Request) -> Response:
    end = today(request)
    start = end - timedelta(days=DAYS - 1)
    with session_scope(request.app.state.sessions) as db:
        placements = placement_stats(db, start=start, end=end)
        channels = channel_stats(db, start=start, end=end)
        ctr = format_ctr(db, start=start, end=end)
        reach = network_reach(db, start=start, end=end)
        categories = Counter({top: n for top, n in db.execute(
            select(func.substr(Product.category, 1, 100), func.count())
            .where(Product.archived_at.is_(None)).group_by(Product.category))})
        industries = Counter(
            (category or "other").split("/", 1)[0] for category in db.scalars(
                select(Advertiser.category).where(Advertiser.status == AdvertiserStatus.ACTIVE)))
    tops: Counter[str] = Counter()
    for category, n in categories.items():
        tops[(category or "other").split("/", 1)[0]] += n
    return render(request, "public/media_kit.html", title="Media kit", network=request.app.state.settings.network_name,
                  placements=placements, channels=channels, ctr=ctr, reach=reach, days=DAYS,
                  requests=sum(p.requests for p in placements), impressions=sum(p.impressions for p in placements),
                  categories=tops.most_common(12), industries=industries.most_common(),
                  pitch=CHANNEL_PITCH, lowest_floor=min((p.floor_cpm_micros for p in placements), default=None))
