"""What the network's inventory did: per placement and channel, over inclusive local days.

One place for the figures the operator console, the campaign wizard's forecast and the
media kit all show: slots asked for and filled (fill rate), valid impressions, clicks,
CTR, revenue (what advertisers were charged), eCPM and reach (distinct known users who
saw an ad). Invalid traffic is never counted here; reports disclose it separately.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from shelfspace.catalog.enums import AdFormat, Channel, PlacementStatus
from shelfspace.catalog.models import Placement
from shelfspace.delivery.models import PlacementRequests
from shelfspace.reporting.models import RollupDay, RollupInteraction

VIEW = "view"  # rollup_interactions.kind of a counted impression


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _ecpm(revenue_micros: int, impressions: int) -> int | None:
    return revenue_micros * 1000 // impressions if impressions else None


@dataclass(frozen=True, slots=True)
class PlacementStats:
    placement_id: str
    name: str
    channel: Channel
    format: AdFormat
    sizes: list[str]
    floor_cpm_micros: int
    requests: int
    filled: int
    fill_rate: float | None
    impressions: int
    viewable_impressions: int
    clicks: int
    ctr: float | None
    revenue_micros: int
    ecpm_micros: int | None
    reach: int


@dataclass(frozen=True, slots=True)
class ChannelStats:
    channel: Channel
    placements: int
    requests: int
    filled: int
    fill_rate: float | None
    impressions: int
    clicks: int
    ctr: float | None
    revenue_micros: int
    ecpm_micros: int | None
    reach: int


def _days(start: date, end: date) -> tuple[str, str]:
    return start.isoformat(), end.isoformat()


def placement_stats(db: Session, *, start: date, end: date) -> list[PlacementStats]:
    """Every active placement, zeros where nothing happened, in id order."""
    first, last = _days(start, end)
    delivery = {
        row.placement_id: row
        for row in db.execute(
            select(
                RollupDay.placement_id,
                func.sum(RollupDay.impressions).label("impressions"),
                func.sum(RollupDay.viewable_impressions).label("viewable"),
                func.sum(RollupDay.clicks).label("clicks"),
                func.sum(RollupDay.spend_micros).label("revenue"),
            )
            .where(RollupDay.day.between(first, last))
            .group_by(RollupDay.placement_id)
        )
    }
    asked = {
        row.placement_id: row
        for row in db.execute(
            select(
                PlacementRequests.placement_id,
                func.sum(PlacementRequests.requests).label("requests"),
                func.sum(PlacementRequests.filled).label("filled"),
            )
            .where(PlacementRequests.day.between(first, last))
            .group_by(PlacementRequests.placement_id)
        )
    }
    reach = {
        placement: users
        for placement, users in db.execute(
            select(RollupInteraction.placement_id, func.count(distinct(RollupInteraction.user_id)))
            .where(RollupInteraction.day.between(first, last), RollupInteraction.kind == VIEW)
            .group_by(RollupInteraction.placement_id)
        )
    }
    stats = []
    for p in db.scalars(select(Placement).where(Placement.status == PlacementStatus.ACTIVE).order_by(Placement.id)):
        d, a = delivery.get(p.id), asked.get(p.id)
        impressions, clicks, revenue = (int(d.impressions), int(d.clicks), int(d.revenue)) if d else (0, 0, 0)
        requests, filled = (int(a.requests), int(a.filled)) if a else (0, 0)
        stats.append(
            PlacementStats(
                placement_id=p.id,
                name=p.name,
                channel=Channel(p.channel),
                format=AdFormat(p.format),
                sizes=list(p.sizes),
                floor_cpm_micros=p.floor_cpm_micros,
                requests=requests,
                filled=filled,
                fill_rate=_rate(filled, requests),
                impressions=impressions,
                viewable_impressions=int(d.viewable) if d else 0,
                clicks=clicks,
                ctr=_rate(clicks, impressions),
                revenue_micros=revenue,
                ecpm_micros=_ecpm(revenue, impressions),
                reach=int(reach.get(p.id, 0)),
            )
        )
    return stats


def channel_stats(db: Session, *, start: date, end: date) -> list[ChannelStats]:
    """The placements' figures summed by channel; reach is distinct across the channel."""
    first, last = _days(start, end)
    reach = {
        channel: users
        for channel, users in db.execute(
            select(RollupInteraction.channel, func.count(distinct(RollupInteraction.user_id)))
            .where(RollupInteraction.day.between(first, last), RollupInteraction.kind == VIEW)
            .group_by(RollupInteraction.channel)
        )
    }
    by_channel: defaultdict[Channel, list[PlacementStats]] = defaultdict(list)
    for p in placement_stats(db, start=start, end=end):
        by_channel[p.channel].append(p)
    result = []
    for channel in Channel:
        members = by_channel.get(channel)
        if not members:
            continue
        requests, filled = sum(p.requests for p in members), sum(p.filled for p in members)
        impressions, clicks = sum(p.impressions for p in members), sum(p.clicks for p in members)
        revenue = sum(p.revenue_micros for p in members)
        result.append(
            ChannelStats(
                channel=channel,
                placements=len(members),
                requests=requests,
                filled=filled,
                fill_rate=_rate(filled, requests),
                impressions=impressions,
                clicks=clicks,
                ctr=_rate(clicks, impressions),
                revenue_micros=revenue,
                ecpm_micros=_ecpm(revenue, impressions),
                reach=int(reach.get(channel.value, 0)),
            )
        )
    return result


def format_ctr(db: Session, *, start: date, end: date) -> dict[AdFormat, float | None]:
    """Clicks per valid impression by ad format, None where a format had no impressions."""
    impressions: defaultdict[AdFormat, int] = defaultdict(int)
    clicks: defaultdict[AdFormat, int] = defaultdict(int)
    for p in placement_stats(db, start=start, end=end):
        impressions[p.format] += p.impressions
        clicks[p.format] += p.clicks
    return {f: _rate(clicks[f], impressions[f]) for f in AdFormat}


def network_reach(db: Session, *, start: date, end: date) -> int:
    """Distinct known users who saw at least one counted ad."""
    first, last = _days(start, end)
    return int(
        db.scalar(
            select(func.count(distinct(RollupInteraction.user_id))).where(
                RollupInteraction.day.between(first, last), RollupInteraction.kind == VIEW
            )
        )
        or 0
    )
